"""Reminders and expiry as a state, with a fake clock, a real SQLite file (or PostgreSQL) and a
real aiosmtpd sink on loopback."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import AuditEvent, Invitation, OutboxMessage, SupplierLink
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import set_language
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import auth, company_settings, invitations, suppliers
from gosocket_tui.services.activation import activate
from gosocket_tui.services.codes import verify_code
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery import log as delivery_log
from gosocket_tui.services.delivery.deliverer import deliver_over_connections
from gosocket_tui.services.expiry import sweep_expired
from gosocket_tui.services.session import Session
from tests.conftest import PASSWORD
from tests.invitation_helpers import add_supplier, code_hashes, code_in, deliver, smtp_settings


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


def invited(
    ctx: ServiceContext, admin: Session, sink: MailSink, *, days: str | None = "2,5"
) -> int:
    """A supplier invited with the first email delivered; reminders on at ``days``."""
    if days is not None:
        company_settings.update_settings(ctx, admin, reminders_enabled=True, reminder_days=days)
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    assert deliver(ctx, sink.port).sent == 1
    return link_id


def activate_cafe(ctx: ServiceContext, code: str) -> None:
    activate(
        ctx,
        supplier_country="CO",
        supplier_tax_id="860007386",
        inviter_country="CL",
        inviter_tax_id="76.086.428-5",
        code=code,
        username="cafe.admin",
        password="tostado medio 2026",
    )


def reminders_sent() -> int:
    return OutboxMessage.select().where(OutboxMessage.kind == "reminder").count()


def test_reminders_go_on_schedule_once_each_and_every_code_works(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = invited(ctx, admin, sink)
    clock.advance(days=2, seconds=-1)
    assert deliver(ctx, sink.port).claimed == 0  # not yet due
    clock.advance(seconds=1)
    assert deliver(ctx, sink.port).sent == 1
    assert deliver(ctx, sink.port).claimed == 0  # never twice
    clock.advance(days=3)
    assert deliver(ctx, sink.port).sent == 1
    clock.advance(days=1)
    assert deliver(ctx, sink.port).claimed == 0  # the schedule ends at two

    first, second, third = sink.wait_for(3)
    reminder = "Recordatorio: "  # in the Chilean supplier's Spanish, like its invitation
    assert second.subject.startswith(reminder) and third.subject.startswith(reminder)
    codes = [code_in(message) for message in (first, second, third)]
    assert len(set(codes)) == 3
    invitation = Invitation.get()
    hashes = code_hashes(invitation.id)
    assert all(any(verify_code(code, h) for h in hashes) for code in codes)
    link = SupplierLink.get_by_id(link_id)
    assert (link.status, link.reminders) == ("invited", 2)
    assert invitation.expires_at == link.expires_at  # reminders never move the deadline
    assert suppliers.invitation_label(link.status, link.reminders) == "Invited · reminded 2×"
    set_language("es")
    assert suppliers.invitation_label("invited", 2) == "Invitado · recordado 2×"
    set_language("en")

    reminded = AuditEvent.select().where(AuditEvent.action == "invitation.reminded")
    assert [e.outcome for e in reminded] == ["ok", "ok"]
    admin = auth.authenticate(ctx, "ana", PASSWORD)
    entries = delivery_log.delivery_log(ctx, admin, link_id)
    assert [e.status for e in entries] == ["sent", "sent", "sent"]
    assert entries[1].subject.startswith(reminder)

    activate_cafe(ctx, codes[0])  # the original code still works after two reminders
    assert SupplierLink.get_by_id(link_id).status == "registered"


def test_the_reminder_code_works_too(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invited(ctx, admin, sink)
    clock.advance(days=2)
    assert deliver(ctx, sink.port).sent == 1
    activate_cafe(ctx, code_in(sink.wait_for(2)[1]))
    assert Invitation.get().status == "used"


def test_a_stopped_deliverer_sends_one_reminder_not_a_burst(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invited(ctx, admin, sink)
    clock.advance(days=6)
    assert deliver(ctx, sink.port).sent == 1
    clock.advance(hours=12)
    assert deliver(ctx, sink.port).claimed == 0
    assert Invitation.get().reminders_queued == 2


def test_no_reminder_after_registration(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invited(ctx, admin, sink)
    activate_cafe(ctx, code_in(sink.wait_for(1)[0]))
    clock.advance(days=3)
    assert deliver(ctx, sink.port).claimed == 0
    assert reminders_sent() == 0


def test_no_reminder_after_cancellation(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = invited(ctx, admin, sink)
    invitations.cancel(ctx, admin, link_id)
    clock.advance(days=3)
    assert deliver(ctx, sink.port).claimed == 0
    assert reminders_sent() == 0


def test_a_reminder_queued_then_turned_off_never_leaves(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    """Mail on the company's behalf is its decision: a reminder still in the outbox when an
    administrator turns reminders off (the server was down, the deliverer behind) stays."""
    invited(ctx, admin, sink)
    clock.advance(days=2)
    from gosocket_tui.services.delivery.reminders import queue_due_reminders

    assert queue_due_reminders(ctx) == 1
    company_settings.update_settings(
        ctx, auth.authenticate(ctx, "ana", PASSWORD), reminders_enabled=False
    )
    report = deliver(ctx, sink.port)
    assert report.sent == 0
    assert len(sink.messages()) == 1  # the invitation only
    assert OutboxMessage.get(OutboxMessage.kind == "reminder").status == "cancelled"


def test_a_reminder_queued_then_cancelled_never_leaves(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = invited(ctx, admin, sink)
    clock.advance(days=2)
    from gosocket_tui.services.delivery.reminders import queue_due_reminders

    assert queue_due_reminders(ctx) == 1
    invitations.cancel(ctx, auth.authenticate(ctx, "ana", PASSWORD), link_id)
    report = deliver(ctx, sink.port)
    assert (report.sent, report.cancelled) == (0, 0)  # cancelled with the invitation
    assert len(sink.messages()) == 1


def test_no_reminder_after_expiry(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invited(ctx, admin, sink)
    clock.advance(hours=ctx.config.activation_code_lifetime_hours)
    assert deliver(ctx, sink.port).claimed == 0
    assert reminders_sent() == 0
    assert Invitation.get().status == "expired"


def test_no_reminder_after_a_hard_bounce(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invited(ctx, admin, sink)
    clock.advance(days=2)
    sink.fail_with = (550, "5.1.1 user unknown")
    sink.fail_times = 1
    assert deliver(ctx, sink.port).failed == 1  # the first reminder bounced
    link = SupplierLink.get()
    assert (link.status, link.reminders) == ("invited", 0)  # the first code still works
    clock.advance(days=3)
    assert deliver(ctx, sink.port).claimed == 0  # no second reminder to a dead address
    failed = AuditEvent.get(AuditEvent.action == "invitation.reminder_failed")
    assert failed.outcome == "failed"


def test_no_reminder_when_the_first_email_bounced(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    company_settings.update_settings(ctx, admin, reminders_enabled=True)
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    sink.fail_with = (550, "5.1.1 user unknown")
    sink.fail_times = 1
    assert deliver(ctx, sink.port).failed == 1
    clock.advance(days=3)
    assert deliver(ctx, sink.port).claimed == 0


def test_reminders_are_off_until_an_administrator_turns_them_on(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invited(ctx, admin, sink, days=None)
    clock.advance(days=3)
    assert deliver(ctx, sink.port).claimed == 0


def test_a_code_that_expires_makes_the_invitation_and_the_link_expired(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = invited(ctx, admin, sink, days=None)
    clock.advance(hours=ctx.config.activation_code_lifetime_hours, seconds=-1)
    assert sweep_expired(ctx) == 0
    clock.advance(seconds=1)
    assert sweep_expired(ctx) == 1
    assert sweep_expired(ctx) == 0  # idempotent
    link = SupplierLink.get_by_id(link_id)
    assert (link.status, Invitation.get().status) == ("expired", "expired")

    admin = auth.authenticate(ctx, "ana", PASSWORD)
    listed = suppliers.list_suppliers(ctx, admin, suppliers.SupplierFilter(status="expired"))
    assert [row.id for row in listed.rows] == [link_id]
    pending = suppliers.list_suppliers(ctx, admin, suppliers.SupplierFilter(status="invited"))
    assert pending.rows == []
    assert invitations.resend(ctx, admin, link_id).state == "queued"
    assert deliver(ctx, sink.port).sent == 1
    assert SupplierLink.get_by_id(link_id).status == "invited"


def test_the_listing_filter_sweeps_first(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = invited(ctx, admin, sink, days=None)
    clock.advance(days=8)
    admin = auth.authenticate(ctx, "ana", PASSWORD)
    listed = suppliers.list_suppliers(ctx, admin, suppliers.SupplierFilter(status="expired"))
    assert [row.id for row in listed.rows] == [link_id]
    assert SupplierLink.get_by_id(link_id).status == "expired"


def test_an_expired_invitation_never_activates(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invited(ctx, admin, sink, days=None)
    code = code_in(sink.wait_for(1)[0])
    clock.advance(hours=ctx.config.activation_code_lifetime_hours)
    assert sweep_expired(ctx) == 1
    with pytest.raises(UserError) as info:
        activate_cafe(ctx, code)
    assert info.value.message == "Invalid or expired activation code."
    refusal = AuditEvent.get(AuditEvent.action == "supplier.activate")
    assert (refusal.outcome, refusal.detail) == ("expired", "code expired")


def test_three_deliverers_at_once_send_one_reminder(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invited(ctx, admin, sink)
    clock.advance(days=2)
    report = deliver_over_connections(ctx, smtp_settings(sink.port), "race", 3)
    assert report.sent == 1
    assert reminders_sent() == 1 and len(sink.wait_for(2)) == 2
