"""The peewee models. The schema itself is created by ``migrations.py``, never from here.

``SupplierLink`` copies the supplier's country, Tax ID and name and carries the current
invitation state so that listing, filtering and keyset paging over a million suppliers run on
one table and its indexes; the services keep those copies in step inside the same transaction
that changes the source row.
"""

from __future__ import annotations

import peewee

database = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    id = peewee.AutoField()

    class Meta:
        database = database
        legacy_table_names = False


class Company(BaseModel):
    country = peewee.CharField(max_length=2)
    tax_id = peewee.CharField(max_length=32)
    name = peewee.TextField()
    registered_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = "company"


class User(BaseModel):
    company = peewee.ForeignKeyField(Company, backref="users")
    company_id: int
    username = peewee.CharField(max_length=64, unique=True)
    password_hash = peewee.TextField()
    is_admin = peewee.BooleanField(default=False)
    is_active = peewee.BooleanField(default=True)
    failed_logins = peewee.IntegerField(default=0)
    locked_until = peewee.DateTimeField(null=True)
    last_login_at = peewee.DateTimeField(null=True)
    language = peewee.CharField(max_length=5, null=True)
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = "app_user"


class UserKey(BaseModel):
    """An SSH public key that logs its user in; the fingerprint maps to exactly one user."""

    user = peewee.ForeignKeyField(User, backref="keys", on_delete="CASCADE")
    user_id: int
    algorithm = peewee.CharField(max_length=64)
    public_key = peewee.TextField()
    fingerprint = peewee.CharField(max_length=100, unique=True)
    comment = peewee.CharField(max_length=100, default="")
    created_at = peewee.DateTimeField()
    last_used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "user_key"


class SupplierLink(BaseModel):
    """A buyer's supplier: contact data is the buyer's own, identity is the supplier company's."""

    buyer = peewee.ForeignKeyField(Company, backref="supplier_links")
    buyer_id: int
    supplier = peewee.ForeignKeyField(Company, backref="client_links")
    supplier_id: int
    country = peewee.CharField(max_length=2)
    tax_id = peewee.CharField(max_length=32)
    name = peewee.TextField()
    email = peewee.TextField(default="")
    description = peewee.TextField(default="")
    address = peewee.TextField(default="")
    city = peewee.TextField(default="")
    province = peewee.TextField(default="")
    phone = peewee.TextField(default="")
    fax = peewee.TextField(default="")
    groups = peewee.TextField(default="")
    # What the supplier is written to in: es, pt or en (services/supplier_language.py); a row
    # written without one ("") reads as its country's default.
    language = peewee.CharField(max_length=5, default="")
    status = peewee.CharField(max_length=20, default="not_invited")
    status_at = peewee.DateTimeField(null=True)
    expires_at = peewee.DateTimeField(null=True)
    reminders = peewee.IntegerField(default=0)
    added_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    added_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "supplier_link"


class SupplierStateCount(BaseModel):
    """How many of a buyer's suppliers are in a stored state: written only by the triggers of
    migration 12 (and the bulk writer in their place); not in ``ALL_MODELS`` (a copy rebuilds
    it from the links it writes)."""

    buyer_id = peewee.IntegerField()
    status = peewee.CharField(max_length=20)
    n = peewee.BigIntegerField()

    class Meta:
        table_name = "supplier_state_count"
        primary_key = peewee.CompositeKey("buyer_id", "status")


class Invitation(BaseModel):
    link = peewee.ForeignKeyField(SupplierLink, backref="invitations", on_delete="CASCADE")
    link_id: int
    buyer = peewee.ForeignKeyField(Company)
    buyer_id: int
    supplier = peewee.ForeignKeyField(Company)
    supplier_id: int
    email = peewee.TextField()
    language = peewee.CharField(max_length=5, default="en")
    status = peewee.CharField(max_length=20, default="queued")
    attempts = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField()
    sent_at = peewee.DateTimeField(null=True)
    expires_at = peewee.DateTimeField(null=True)
    used_at = peewee.DateTimeField(null=True)
    cancelled_at = peewee.DateTimeField(null=True)
    invited_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    #: Reminders queued for this invitation so far: the scheduler's "never twice" guard.
    reminders_queued = peewee.IntegerField(default=0)

    class Meta:
        table_name = "invitation"


class InvitationDayCount(BaseModel):
    """Invitations of a buyer ``sent``, ``used`` or ``activated`` (used, send time known) on a
    day: written only by the triggers of migration 12; not in ``ALL_MODELS`` (a copy
    rebuilds it from the invitations it writes)."""

    buyer_id = peewee.IntegerField()
    kind = peewee.CharField(max_length=10)
    day = peewee.DateField()
    n = peewee.BigIntegerField()

    class Meta:
        table_name = "invitation_day_count"
        primary_key = peewee.CompositeKey("buyer_id", "kind", "day")


class InvitationCode(BaseModel):
    """One activation code made for an invitation: its salted hash and when it expires.

    Every code an email may have carried is kept until the invitation is used, cancelled,
    superseded or fails, and any of them activates: SMTP cannot be exactly-once, so a
    duplicate email (a crash between the server's 250 and our record of it) must carry a code
    that works too. The plain code is never stored (SECURITY.md).
    """

    invitation = peewee.ForeignKeyField(Invitation, backref="codes", on_delete="CASCADE")
    invitation_id: int
    code_hash = peewee.TextField()
    created_at = peewee.DateTimeField()
    expires_at = peewee.DateTimeField()

    class Meta:
        table_name = "invitation_code"


class OutboxMessage(BaseModel):
    buyer = peewee.ForeignKeyField(Company)
    buyer_id: int
    invitation = peewee.ForeignKeyField(Invitation, null=True, on_delete="SET NULL")
    invitation_id: int | None
    kind = peewee.CharField(max_length=32)
    recipient = peewee.TextField()
    subject = peewee.TextField(default="")
    language = peewee.CharField(max_length=5, default="en")
    message_id = peewee.TextField(unique=True)
    status = peewee.CharField(max_length=16, default="pending")
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField()
    claimed_at = peewee.DateTimeField(null=True)
    claimed_by = peewee.TextField(null=True)
    sent_at = peewee.DateTimeField(null=True)
    last_error = peewee.TextField(null=True)
    server_reply = peewee.TextField(null=True)
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = "outbox_message"


class DeliveryAttempt(BaseModel):
    """One try at handing a message to the SMTP server: the evidence support asks for."""

    message = peewee.ForeignKeyField(
        OutboxMessage, backref="delivery_attempts", on_delete="CASCADE"
    )
    message_id: int
    at = peewee.DateTimeField()
    outcome = peewee.CharField(max_length=16)
    code = peewee.IntegerField(null=True)
    reply = peewee.TextField(default="")

    class Meta:
        table_name = "delivery_attempt"


class AuditEvent(BaseModel):
    """Append-only trail. No foreign keys, so deleting a user never erases what they did."""

    at = peewee.DateTimeField()
    actor_id = peewee.IntegerField(null=True)
    actor_name = peewee.TextField(default="")
    company_id = peewee.IntegerField(null=True)
    action = peewee.CharField(max_length=64)
    target = peewee.TextField(default="")
    outcome = peewee.CharField(max_length=16, default="ok")
    detail = peewee.TextField(default="")

    class Meta:
        table_name = "audit_event"


class CompanySettings(BaseModel):
    """A company's own choices for its invitations; no row means the defaults."""

    company = peewee.ForeignKeyField(Company, unique=True, on_delete="CASCADE")
    company_id: int
    reminders_enabled = peewee.BooleanField(default=False)
    reminder_days = peewee.CharField(max_length=32, default="2,5")
    note = peewee.TextField(default="")
    reply_to = peewee.TextField(default="")
    updated_at = peewee.DateTimeField(null=True)
    updated_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "company_settings"


class SchemaVersion(peewee.Model):
    version = peewee.IntegerField()

    class Meta:
        database = database
        table_name = "schema_version"
        primary_key = False


ALL_MODELS: list[type[BaseModel]] = [
    Company,
    User,
    UserKey,
    SupplierLink,
    Invitation,
    InvitationCode,
    OutboxMessage,
    DeliveryAttempt,
    AuditEvent,
    CompanySettings,
]
