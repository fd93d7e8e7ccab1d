"""Activation with the code from a real email, end to end on a real database and SMTP sink."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import (
    AuditEvent,
    Company,
    Invitation,
    InvitationCode,
    OutboxMessage,
    SupplierLink,
    User,
    UserKey,
)
from gosocket_tui.errors import Duplicate, UserError, ValidationError
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import auth, invitations, ssh_keys
from gosocket_tui.services.activation import ActivationResult, activate
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from tests.conftest import PASSWORD
from tests.invitation_helpers import add_supplier, code_in, deliver

NEW_PASSWORD = "tostado medio 2026"
INVALID = "Invalid or expired activation code."


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


def invite_and_read_code(
    ctx: ServiceContext, session: Session, link_id: int, sink: MailSink, *, resend: bool = False
) -> str:
    before = len(sink.messages())
    if resend:
        invitations.resend(ctx, session, link_id)
    else:
        assert invitations.invite(ctx, session, [link_id]).queued
    assert deliver(ctx, sink.port).sent == 1
    return code_in(sink.wait_for(before + 1)[-1])


def activate_cafe(ctx: ServiceContext, code: str, **overrides: Any) -> ActivationResult:
    values = {
        "supplier_country": "CO",
        "supplier_tax_id": "860007386",  # the NIT without its check digit, as Gosocket asks
        "inviter_country": "CL",
        "inviter_tax_id": "76.086.428-5",
        "code": code,
        "username": "cafe.admin",
        "password": NEW_PASSWORD,
        **overrides,
    }
    return activate(ctx, **values)


def refused(ctx: ServiceContext, code: str, **overrides: Any) -> str:
    with pytest.raises(UserError) as info:
        activate_cafe(ctx, code, **overrides)
    return info.value.message


def test_full_flow_add_invite_mail_activate_login(
    ctx: ServiceContext,
    admin: Session,
    other_admin: Session,
    clock: FixedClock,
    sink: MailSink,
) -> None:
    link_id = add_supplier(ctx, admin)
    # The same supplier is also on another buyer's list, with an invitation of its own.
    other_link = add_supplier(ctx, other_admin, email="facturas@cafe.example")
    other_code = invite_and_read_code(ctx, other_admin, other_link, sink)
    code = invite_and_read_code(ctx, admin, link_id, sink)
    assert code != other_code

    clock.advance(hours=1)
    result = activate_cafe(ctx, code.lower().replace("-", " "))

    assert result.username == "cafe.admin" and result.clients == 2
    assert result.company.tax_id == "8600073861" and result.company.registered_at == clock.now()
    supplier = Company.get(Company.tax_id == "8600073861")
    assert supplier.registered_at == clock.now()
    for link in SupplierLink.select().where(SupplierLink.supplier == supplier.id):
        assert (link.status, link.status_at, link.expires_at) == ("registered", clock.now(), None)
        assert invitations.invitation_state(link, clock.now()) == "registered"
    statuses = {i.link_id: i.status for i in Invitation.select()}
    assert statuses == {link_id: "used", other_link: "cancelled"}
    assert Invitation.get(Invitation.link == link_id).used_at == clock.now()
    assert InvitationCode.select().count() == 0

    session = auth.authenticate(ctx, "cafe.admin", NEW_PASSWORD)
    assert session.is_admin and session.company_id == supplier.id
    # Each buyer sees the registration in its own audit trail.
    registered = AuditEvent.select().where(AuditEvent.action == "supplier.registered")
    assert sorted(e.company_id for e in registered) == sorted([admin.company_id, 2])

    # The same code, and the other buyer's code, no longer do anything.
    for used in (code, other_code):
        # The generic refusal: naming the registered company would answer anyone who asks.
        assert refused(ctx, used, username="someone.else") == INVALID
    admin = auth.authenticate(ctx, "ana", PASSWORD)
    assert "already registered" in invitations.invite(ctx, admin, [link_id]).outcomes[0].message


def test_expired_code_fails_and_resend_gives_a_working_one(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    old = invite_and_read_code(ctx, admin, link_id, sink)
    clock.advance(hours=ctx.config.activation_code_lifetime_hours)
    link = SupplierLink.get_by_id(link_id)
    assert invitations.invitation_state(link, clock.now()) == "expired"
    assert refused(ctx, old) == INVALID

    admin = auth.authenticate(ctx, "ana", PASSWORD)
    new = invite_and_read_code(ctx, admin, link_id, sink, resend=True)
    assert new != old
    assert refused(ctx, old) == INVALID  # a resend never revives the old code
    assert activate_cafe(ctx, new).clients == 1


def test_resend_invalidates_the_previous_code(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    first = invite_and_read_code(ctx, admin, link_id, sink)
    second = invite_and_read_code(ctx, admin, link_id, sink, resend=True)
    assert Invitation.select().where(Invitation.status == "superseded").count() == 1
    assert refused(ctx, first) == INVALID
    assert activate_cafe(ctx, second).username == "cafe.admin"


def test_five_wrong_codes_block_until_resent(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    code = invite_and_read_code(ctx, admin, link_id, sink)
    wrong = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
    for attempt in range(1, 6):
        assert refused(ctx, wrong) == INVALID
        assert Invitation.get(Invitation.link == link_id).attempts == attempt
    # Blocked: even the right code fails now, and stops counting.
    assert refused(ctx, code) == INVALID
    assert Invitation.get(Invitation.link == link_id).attempts == 5
    assert AuditEvent.select().where(AuditEvent.action == "invitation.blocked").count() == 1
    assert Company.get(Company.tax_id == "8600073861").registered_at is None

    fresh = invite_and_read_code(ctx, admin, link_id, sink, resend=True)
    assert activate_cafe(ctx, fresh).clients == 1


def test_every_refusal_says_the_same(ctx: ServiceContext, admin: Session, sink: MailSink) -> None:
    link_id = add_supplier(ctx, admin)
    code = invite_and_read_code(ctx, admin, link_id, sink)
    messages = {
        refused(ctx, "not-a-code"),
        refused(ctx, code, supplier_country="CL", supplier_tax_id="96.790.240-3"),  # unknown
        refused(ctx, code, inviter_country="PE", inviter_tax_id="20512333797"),  # unknown
        refused(ctx, code, inviter_country="PE", inviter_tax_id="20100070970"),  # not inviter
    }
    assert messages == {INVALID}
    # None of those counted against the invitation.
    assert Invitation.get(Invitation.link == link_id).attempts == 0
    assert not any(code.replace("-", "") in e.detail.replace("-", "") for e in AuditEvent.select())


def test_a_queued_invitation_has_no_working_code_yet(ctx: ServiceContext, admin: Session) -> None:
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    assert refused(ctx, "ABCD-EFGH-JKMN") == INVALID


def test_form_errors_name_their_field_and_do_not_use_the_code(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    code = invite_and_read_code(ctx, admin, link_id, sink)
    cases = {
        "tax_id": {"supplier_tax_id": "12"},
        "inviter_tax_id": {"inviter_tax_id": "76.086.428-4"},
        "username": {"username": "x"},
        "password": {"password": "password123"},
    }
    for field, overrides in cases.items():
        with pytest.raises(ValidationError) as info:
            activate_cafe(ctx, code, **overrides)
        assert info.value.field == field
    with pytest.raises(ValidationError, match="reserved for activation over SSH") as info:
        activate_cafe(ctx, code, username="Activate")
    assert info.value.field == "username"
    auth.create_user(ctx, "CL:76.086.428-5", "cafe.admin", NEW_PASSWORD)
    with pytest.raises(Duplicate):
        activate_cafe(ctx, code)
    assert Company.get(Company.tax_id == "8600073861").registered_at is None
    assert Invitation.get(Invitation.link == link_id).attempts == 0
    assert activate_cafe(ctx, code, username="cafe.owner").username == "cafe.owner"


def test_full_nit_with_check_digit_is_accepted_too(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    code = invite_and_read_code(ctx, admin, link_id, sink)
    result = activate_cafe(ctx, code, supplier_tax_id="860.007.386-1", inviter_tax_id="760864285")
    assert result.company.tax_id_formatted == "860.007.386-1"
    assert OutboxMessage.select().where(OutboxMessage.status == "pending").count() == 0


# --- activation over SSH: the key the supplier connected with becomes its login ---------------


def _public_line(key: asyncssh.SSHKey) -> str:
    return key.export_public_key().decode().strip()


def test_activation_with_a_key_registers_it_for_the_new_user_in_the_same_transaction(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    code = invite_and_read_code(ctx, admin, link_id, sink)
    key = asyncssh.generate_private_key("ssh-ed25519")
    fingerprint = key.get_fingerprint("sha256")

    wrong = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
    assert refused(ctx, wrong, ssh_public_key=_public_line(key)) == INVALID
    assert not UserKey.select().exists()

    result = activate_cafe(ctx, code, ssh_public_key=_public_line(key))
    (row,) = UserKey.select()
    assert row.user_id == result.user_id and row.fingerprint == fingerprint
    assert row.comment == ""  # SSH does not send a key's comment
    added = AuditEvent.get(AuditEvent.action == "ssh_key.add")
    assert (added.actor_name, added.target, added.company_id) == (
        "cafe.admin",
        "cafe.admin",
        result.company.id,
    )
    assert added.detail == f"{fingerprint} ssh-ed25519, by activation"
    assert ssh_keys.authenticate_key(ctx, "cafe.admin", key).username == "cafe.admin"


def test_a_key_already_registered_undoes_the_whole_activation(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    """Two activations racing with one key: the second finds the key taken and changes nothing
    (the company stays unregistered, the code unused, no user)."""
    link_id = add_supplier(ctx, admin)
    code = invite_and_read_code(ctx, admin, link_id, sink)
    key = asyncssh.generate_private_key("ssh-ed25519")
    ssh_keys.add_key(ctx, "ana", _public_line(key))
    with pytest.raises(ValidationError, match="This key is already registered") as info:
        activate_cafe(ctx, code, ssh_public_key=_public_line(key))
    assert info.value.field == "key"
    assert Company.get(Company.tax_id == "8600073861").registered_at is None
    assert not User.select().where(User.username == "cafe.admin").exists()
    assert Invitation.get(Invitation.link == link_id).status != "used"
    assert activate_cafe(ctx, code).username == "cafe.admin"  # the code still works


def test_a_bad_key_is_refused_before_the_code_is_tried(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    code = invite_and_read_code(ctx, admin, link_id, sink)
    for text in (
        "",
        "ssh-ed25519 AAAA",
        _public_line(asyncssh.generate_private_key("ssh-rsa", key_size=1024)),
    ):
        with pytest.raises(ValidationError) as info:
            activate_cafe(ctx, code, ssh_public_key=text)
        assert info.value.field == "key"
    assert Invitation.get(Invitation.link == link_id).attempts == 0
    assert not UserKey.select().exists()
