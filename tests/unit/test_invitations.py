"""The invitations service: who may invite whom, and what each step writes."""

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import (
    AuditEvent,
    Company,
    Invitation,
    OutboxMessage,
    SupplierLink,
)
from gosocket_tui.errors import NotFound, PermissionDenied, ValidationError
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import invitations
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery import log as delivery_log
from gosocket_tui.services.session import Session
from tests.invitation_helpers import CO_TAX, add_supplier, code_hashes

# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


# --- invite ---------------------------------------------------------------------------------


def test_invite_queues_invitation_and_message_without_a_code(
    ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    link_id = add_supplier(ctx, admin)
    result = invitations.invite(ctx, admin, [link_id])
    assert [o.queued for o in result.outcomes] == [True]
    assert result.outcomes[0].tax_id_formatted == CO_TAX
    invitation = Invitation.get(Invitation.link == link_id)
    assert invitation.status == "queued" and not code_hashes(invitation.id)
    # Written in the supplier's language (Colombia: Spanish), not the administrator's.
    assert invitation.email == "ventas@cafe.example" and invitation.language == "es"
    message = OutboxMessage.get(OutboxMessage.invitation == invitation.id)
    assert message.status == "pending" and message.next_attempt_at == clock.now()
    assert message.message_id.startswith("<gosocket.") and message.message_id.endswith(">")
    assert message.subject == "Invitación a la red Gosocket de Comercial Andes SpA"
    assert message.language == "es"
    link = SupplierLink.get_by_id(link_id)
    assert (link.status, link.status_at, link.expires_at) == ("queued", clock.now(), None)
    assert invitations.invitation_state(link, clock.now()) == "queued"
    events = AuditEvent.select().where(AuditEvent.action == "invitation.invite")
    assert [(e.outcome, e.actor_name, e.target) for e in events] == [("ok", "ana", "CO:8600073861")]


def test_invite_many_reports_each_skip_reason(
    ctx: ServiceContext, admin: Session, other_admin: Session, clock: FixedClock
) -> None:
    fresh = add_supplier(ctx, admin)
    queued = add_supplier(ctx, admin, country="CL", tax_id="96.790.240-3", name="Uno SpA")
    no_email = add_supplier(ctx, admin, country="CL", tax_id="77.777.777-7", name="Dos SpA")
    SupplierLink.update(email="").where(SupplierLink.id == no_email).execute()
    invited = add_supplier(ctx, admin, country="PE", tax_id="20512333797", name="Tres SAC")
    # A supplier that already uses the platform, and a supplier of another company.
    registered = add_supplier(ctx, admin, country="PE", tax_id="20100070970", name="x")
    foreign = add_supplier(ctx, other_admin, country="CL", tax_id="96.790.240-3")
    invitations.invite(ctx, admin, [queued])
    SupplierLink.update(status="invited", expires_at=clock.now() + timedelta(days=1)).where(
        SupplierLink.id == invited
    ).execute()

    result = invitations.invite(ctx, admin, [fresh, queued, no_email, invited, registered, foreign])

    reasons = {o.link_id: o.reason for o in result.outcomes}
    assert reasons == {
        fresh: None,
        queued: "already_queued",
        no_email: "no_email",
        invited: "already_invited",
        registered: "registered",
        foreign: "not_found",
    }
    assert [o.link_id for o in result.queued] == [fresh]
    assert "Resend" in next(o.message for o in result.outcomes if o.link_id == invited)
    assert Invitation.select().where(Invitation.link == foreign).count() == 0
    assert SupplierLink.get_by_id(foreign).status == "not_invited"
    refused = AuditEvent.get(
        (AuditEvent.action == "invitation.invite") & (AuditEvent.outcome == "refused")
    )
    assert refused.target == f"link {foreign}"


def test_expired_invitation_may_be_invited_again(
    ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    link_id = add_supplier(ctx, admin)
    SupplierLink.update(status="invited", expires_at=clock.now() - timedelta(seconds=1)).where(
        SupplierLink.id == link_id
    ).execute()
    assert invitations.invitation_state(SupplierLink.get_by_id(link_id), clock.now()) == "expired"
    assert invitations.invite(ctx, admin, [link_id]).queued


def test_viewer_may_not_invite_resend_or_cancel(
    ctx: ServiceContext, admin: Session, viewer: Session
) -> None:
    link_id = add_supplier(ctx, admin)
    for call in (
        lambda: invitations.invite(ctx, viewer, [link_id]),
        lambda: invitations.resend(ctx, viewer, link_id),
        lambda: invitations.change_email(ctx, viewer, link_id, "a@b.example"),
        lambda: invitations.cancel(ctx, viewer, link_id),
        lambda: delivery_log.delivery_log(ctx, viewer, link_id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Invitation.select().count() == 0
    assert (
        AuditEvent.select()
        .where(AuditEvent.outcome == "refused", AuditEvent.actor_name == "carlos")
        .count()
        == 5
    )


def test_other_companys_supplier_is_not_found(
    ctx: ServiceContext, admin: Session, other_admin: Session
) -> None:
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    for call in (
        lambda: invitations.resend(ctx, other_admin, link_id),
        lambda: invitations.change_email(ctx, other_admin, link_id, "x@evil.example"),
        lambda: invitations.cancel(ctx, other_admin, link_id),
        lambda: delivery_log.delivery_log(ctx, other_admin, link_id),
    ):
        with pytest.raises(NotFound):
            call()
    assert Invitation.select().count() == 1
    assert SupplierLink.get_by_id(link_id).email == "ventas@cafe.example"
    assert delivery_log.recent_deliveries(ctx, other_admin) == []


# --- resend, change email, cancel -----------------------------------------------------------


def test_resend_supersedes_the_open_invitation(ctx: ServiceContext, admin: Session) -> None:
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    first = Invitation.get(Invitation.link == link_id)
    info = invitations.resend(ctx, admin, link_id)
    assert info.state == "queued" and info.email == "ventas@cafe.example"
    first = Invitation.get_by_id(first.id)
    assert first.status == "superseded" and not code_hashes(first.id)
    assert OutboxMessage.get(OutboxMessage.invitation == first.id).status == "cancelled"
    second = Invitation.get((Invitation.link == link_id) & (Invitation.status == "queued"))
    assert OutboxMessage.get(OutboxMessage.invitation == second.id).status == "pending"


def test_resend_refuses_a_registered_supplier(ctx: ServiceContext, admin: Session) -> None:
    link_id = add_supplier(ctx, admin, country="PE", tax_id="20100070970", name="x")
    with pytest.raises(ValidationError, match="already registered"):
        invitations.resend(ctx, admin, link_id)
    assert Invitation.select().count() == 0


def test_change_email_validates_then_resends_to_the_new_address(
    ctx: ServiceContext, admin: Session
) -> None:
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    with pytest.raises(ValidationError) as info:
        invitations.change_email(ctx, admin, link_id, "not an email")
    assert info.value.field == "email"
    assert SupplierLink.get_by_id(link_id).email == "ventas@cafe.example"

    result = invitations.change_email(ctx, admin, link_id, "  compras@cafe.example ")
    assert result.email == "compras@cafe.example" and result.state == "queued"
    current = Invitation.get((Invitation.link == link_id) & (Invitation.status == "queued"))
    assert current.email == "compras@cafe.example"
    assert OutboxMessage.get(OutboxMessage.invitation == current.id).recipient == (
        "compras@cafe.example"
    )
    assert Invitation.select().where(Invitation.status == "superseded").count() == 1


def test_cancel_withdraws_queued_mail(
    ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    link_id = add_supplier(ctx, admin)
    with pytest.raises(ValidationError, match="no pending invitation"):
        invitations.cancel(ctx, admin, link_id)
    invitations.invite(ctx, admin, [link_id])
    info = invitations.cancel(ctx, admin, link_id)
    assert info.state == "cancelled" and info.state_at == clock.now()
    invitation = Invitation.get(Invitation.link == link_id)
    assert invitation.status == "cancelled" and invitation.cancelled_at == clock.now()
    assert OutboxMessage.get(OutboxMessage.invitation == invitation.id).status == "cancelled"
    # A cancelled supplier may be invited again.
    assert invitations.invite(ctx, admin, [link_id]).queued


def test_invitation_state_mapping() -> None:
    now = datetime(2026, 3, 2, 12, 0)

    class Row:
        def __init__(self, status: str, expires_at: datetime | None = None) -> None:
            self.status = status
            self.expires_at = expires_at

    assert invitations.invitation_state(Row("invited", now + timedelta(seconds=1)), now) == (
        "invited"
    )
    assert invitations.invitation_state(Row("invited", now), now) == "expired"
    for status in ("not_invited", "queued", "delivery_failed", "registered", "cancelled"):
        assert invitations.invitation_state(Row(status), now) == status
    assert invitations.state_label("expired") == "Expired"


def test_resolve_suppliers_by_tax_id(
    ctx: ServiceContext, admin: Session, other_admin: Session
) -> None:
    link_id = add_supplier(ctx, admin)
    assert invitations.resolve_suppliers(ctx, admin, ["860007386-1", "CO:860.007.386-1"]) == [
        link_id,
        link_id,
    ]
    with pytest.raises(NotFound, match=re.escape("96.790.240-3")):
        invitations.resolve_suppliers(ctx, admin, ["96.790.240-3"])
    with pytest.raises(NotFound):
        invitations.resolve_suppliers(ctx, other_admin, ["CO:860007386-1"])


def test_registered_company_counts_even_if_the_link_lags(
    ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    link_id = add_supplier(ctx, admin)
    Company.update(registered_at=clock.now()).where(
        Company.id == SupplierLink.get_by_id(link_id).supplier_id
    ).execute()
    assert invitations.invite(ctx, admin, [link_id]).skipped[0].reason == "registered"
