"""Activate with activation code (Activar con código de activación): the supplier's side.

The supplier gives its own Tax ID, the inviting company's Tax ID and the code, and chooses a
username and password. Every reason a code is refused (wrong, expired, used, superseded,
blocked, unknown supplier or inviter, supplier already registered) gives the same message
after the same password hash, so the form cannot be used to learn which companies exist, what
they are called or which codes are pending. Each wrong code counts against the
invitation; after ``activation_max_attempts`` the invitation is blocked until the buyer
resends (then even the right code fails), so a 60-bit code cannot be guessed online.

Any live code of the invitation activates it, each until its own expiry: when an email was
sent twice (SMTP cannot be exactly-once), both emails' codes work until one is used.

Success is one transaction: the company gets access (``registered_at``), every buyer's link to
it turns 'registered' (the check mark appears in each buyer's table), its first user is
created as its administrator, the invitation is used and any other open invitation to it is
closed.

Over SSH (``ssh activate@host``, ``gosocket-tui serve``) the supplier proved it holds a key
before it saw the form: ``ssh_public_key`` registers that key for the new user in the same
transaction, so the key is its login from then on. No other service attaches a key to a user
it did not just create (the operator's ``user key add`` excepted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import (
    Company,
    Invitation,
    InvitationCode,
    SupplierLink,
    User,
    UserKey,
)
from gosocket_tui.errors import UserError, ValidationError
from gosocket_tui.i18n import _, get_language, normalize_language, normalize_supplier_language
from gosocket_tui.services import audit
from gosocket_tui.services.auth import check_username, insert_user_in_transaction
from gosocket_tui.services.codes import invalid_code, parse_code, verify_code
from gosocket_tui.services.companies import CompanyInfo, company_info, find_company
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.invitation_queue import (
    OPEN_STATUSES,
    close_open_invitations,
    drop_codes,
)
from gosocket_tui.services.passwords import check_password_rules, hash_password
from gosocket_tui.services.ssh_keys import ParsedKey, key_taken, parse_public_key
from gosocket_tui.services.taxid import TaxId, parse_tax_id


@dataclass(frozen=True)
class ActivationResult:
    """The supplier company now registered, and its new administrator."""

    company: CompanyInfo
    user_id: int
    username: str
    #: How many buyers' tables now show the supplier as registered.
    clients: int
    #: The language the invitation was written in (the activation screen speaks it after).
    language: str = "en"


def _parse(country: str, tax_id: str, field: str) -> TaxId:
    """Activation accepts a Colombian NIT without its check digit, as Gosocket asks for it."""
    try:
        return parse_tax_id(country, tax_id, allow_missing_check_digit=True)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field) from None


def parse_activation_ref(ref: str, field: str) -> TaxId:
    """``COUNTRY:TAXID`` as typed on the command line, check digit optional for Colombia."""
    country, sep, tax_id = ref.partition(":")
    if not sep or not country.strip() or not tax_id.strip():
        raise ValidationError(
            _("Expected COUNTRY:TAXID, for example {example}", example="CO:860007386"),
            field=field,
        )
    return _parse(country, tax_id, field)


def activate(
    ctx: ServiceContext,
    *,
    supplier_country: str,
    supplier_tax_id: str,
    inviter_country: str,
    inviter_tax_id: str,
    code: str,
    username: str,
    password: str,
    ssh_public_key: str | None = None,
) -> ActivationResult:
    """Register the supplier with its activation code and create its administrator.

    ``ssh_public_key``: the OpenSSH line of the key an SSH activation proved it holds; it
    becomes the new user's key in the same transaction (audited ``ssh_key.add``).

    Raises ValidationError (field 'tax_id', 'inviter_tax_id', 'code', 'username',
    'password' or 'key') or Duplicate for a taken username. A key registered meanwhile to
    someone else undoes the whole activation (the code stays unused).

    Every refusal of the activation itself (wrong, expired, used or blocked code, unknown or
    already registered company, no invitation) is the one ``invalid_code()`` message after the
    same password hash. A refused code still commits its attempt count and audit row.
    """
    supplier_tax = _parse(supplier_country, supplier_tax_id, "tax_id")
    inviter_tax = _parse(inviter_country, inviter_tax_id, "inviter_tax_id")
    try:
        compact_code: str | None = parse_code(code)
    except ValidationError:
        compact_code = None
    name = check_username(username)
    check_password_rules(password, name)
    key = parse_public_key(ssh_public_key) if ssh_public_key is not None else None
    # Hashed before the transaction (argon2 takes a while) and for every attempt alike, a
    # malformed code included: every refusal costs the same, so timing tells nothing either.
    password_hash = hash_password(password)
    if compact_code is None:
        raise invalid_code()
    max_attempts = ctx.config.activation_max_attempts
    target = f"{supplier_tax.country}:{supplier_tax.compact}"
    inviter_ref = f"{inviter_tax.country}:{inviter_tax.compact}"

    def refuse(company_id: int | None, outcome: str, detail: str) -> UserError:
        audit.record(
            ctx,
            None,
            "supplier.activate",
            target=target,
            outcome=outcome,
            detail=detail,
            company_id=company_id,
            actor_name=name,
        )
        return invalid_code()

    def write() -> ActivationResult | UserError:
        now = ctx.clock.now()
        supplier = find_company(supplier_tax)
        inviter = find_company(inviter_tax)
        if supplier is None or inviter is None:
            return refuse(None, "failed", "unknown company")
        if supplier.registered_at is not None:
            # Never "X is already registered": that would name companies to anyone who asks.
            return refuse(supplier.id, "refused", "already registered")
        # 'queued' too: a crash between the server's 250 and our record of it leaves the
        # invitation queued, but its code was stored before the email left and must work.
        invitation = (
            Invitation.select()
            .where(
                (Invitation.supplier == supplier.id)
                & (Invitation.buyer == inviter.id)
                & Invitation.status.in_((*OPEN_STATUSES, "expired"))
            )
            .order_by(Invitation.id.desc())
            .first()
        )
        if invitation is None:
            return refuse(inviter.id, "failed", "no pending invitation")
        if invitation.status == "expired":  # the sweep ran: every code of it has expired
            return refuse(inviter.id, "expired", "code expired")
        if invitation.attempts >= max_attempts:
            return refuse(inviter.id, "blocked", "too many wrong codes; resend needed")
        live = [
            row.code_hash
            for row in InvitationCode.select(InvitationCode.code_hash).where(
                (InvitationCode.invitation == invitation.id) & (InvitationCode.expires_at > now)
            )
        ]
        if not live:
            return refuse(inviter.id, "expired", "code expired")
        # Every live code is checked (no early exit), so the time does not tell which matched.
        matches = [verify_code(compact_code, code_hash) for code_hash in live]
        if not any(matches):
            # Counted in the database, not from the value read above: concurrent wrong
            # attempts (PostgreSQL does not serialise them) must each count.
            Invitation.update(attempts=Invitation.attempts + 1).where(
                Invitation.id == invitation.id
            ).execute()
            attempts = Invitation.get_by_id(invitation.id).attempts
            error = refuse(inviter.id, "failed", f"wrong code ({attempts}/{max_attempts})")
            if attempts >= max_attempts:
                audit.record(
                    ctx,
                    None,
                    "invitation.blocked",
                    target=target,
                    company_id=inviter.id,
                    actor_name="system",
                    detail=f"{max_attempts} wrong codes",
                )
            return error

        # Registering is a conditional update, first: of two activations of one company at
        # the same moment (two buyers' codes), exactly one wins; the other changes nothing.
        # The supplier's profile name is the one in the invitation it accepted; from now on
        # every buyer sees that name instead of its own notes (SECURITY.md).
        profile_name = SupplierLink.get_by_id(invitation.link_id).name
        won = (
            Company.update(registered_at=now, name=profile_name)
            .where((Company.id == supplier.id) & Company.registered_at.is_null())
            .execute()
        )
        if not won:
            return refuse(supplier.id, "refused", "registered meanwhile")
        user = insert_user_in_transaction(ctx, supplier.id, name, password_hash, is_admin=True)
        # The new administrator's interface speaks en or es (Portuguese is the supplier's
        # side only): the language of the form when it is one of those, else the default.
        User.update(language=normalize_language(get_language())).where(User.id == user.id).execute()
        if key is not None:
            _register_key(ctx, key, user, now)
        buyer_ids = [
            row.buyer_id
            for row in SupplierLink.select(SupplierLink.buyer).where(
                SupplierLink.supplier == supplier.id
            )
        ]
        SupplierLink.update(
            name=profile_name, status="registered", status_at=now, expires_at=None, updated_at=now
        ).where(SupplierLink.supplier == supplier.id).execute()
        Invitation.update(status="used", used_at=now).where(
            Invitation.id == invitation.id
        ).execute()
        drop_codes([invitation.id])
        close_open_invitations(Invitation.supplier == supplier.id, "cancelled", now)
        audit.record(
            ctx,
            None,
            "supplier.activate",
            target=target,
            company_id=supplier.id,
            actor_name=name,
            detail=f"invited by {inviter_ref}",
        )
        audit.record(
            ctx,
            None,
            "user.create",
            target=name,
            company_id=supplier.id,
            actor_name=name,
            detail="administrator, by activation",
        )
        for buyer_id in buyer_ids:
            # Only the inviter learns it was its code: another buyer must not learn who else
            # has this supplier.
            audit.record(
                ctx,
                None,
                "supplier.registered",
                target=target,
                company_id=buyer_id,
                actor_name=name,
                detail="activated with your invitation" if buyer_id == inviter.id else "",
            )
        return ActivationResult(
            company=company_info(Company.get_by_id(supplier.id)),
            user_id=user.id,
            username=name,
            clients=len(buyer_ids),
            language=normalize_supplier_language(invitation.language) or "en",
        )

    result = transaction(write)
    if isinstance(result, UserError):
        raise result
    return result


def _register_key(ctx: ServiceContext, key: ParsedKey, user: User, now: datetime) -> None:
    """The activating key becomes the new user's login; raising undoes the activation."""
    if UserKey.select().where(UserKey.fingerprint == key.fingerprint).exists():
        raise key_taken(field="key")
    try:
        with ctx.db.atomic():
            UserKey.create(
                user=user.id,
                algorithm=key.algorithm,
                public_key=key.public_key,
                fingerprint=key.fingerprint,
                created_at=now,
            )
    except peewee.IntegrityError as exc:  # registered by a concurrent transaction
        raise key_taken(field="key") from exc
    audit.record(
        ctx,
        None,
        "ssh_key.add",
        target=user.username,
        company_id=user.company_id,
        actor_name=user.username,
        detail=f"{key.fingerprint} {key.algorithm}, by activation",
    )
