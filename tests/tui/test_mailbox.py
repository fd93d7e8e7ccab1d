"""Mailbox: the sink's received mail, the delivery log, the checklist, background delivery.

Real parts only: a SQLite file, an aiosmtpd sink on loopback (``MailSink`` binds a free port)
whose reception times come from the test's ``FixedClock``, and the real deliverer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import Input, Static

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import AuditEvent, DeliveryAttempt, OutboxMessage
from gosocket_tui.mail.sink import MailSink, free_port
from gosocket_tui.services import auth, invitations
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery import log as delivery_log
from gosocket_tui.services.session import Session
from gosocket_tui.tui.screens.login import LoginScreen
from gosocket_tui.tui.views.mailbox import (
    DELIVERIES,
    HELP,
    RECEIVED,
    MailboxView,
)
from gosocket_tui.tui.widgets.mail_deliveries import DeliveryTable, default_export_path
from gosocket_tui.tui.widgets.mail_list import MailList
from tests.conftest import PASSWORD
from tests.invitation_helpers import add_supplier, code_in, deliver
from tests.tui.flows import invite_and_deliver, open_mailbox, rendered, show_tab
from tests.tui.helpers import SnapCompare, build_app, log_in, settle

FIXED_KEY = "1772452800.M1P1Q1.sink"


SECOND = {"country": "CL", "tax_id": "96.790.240-3", "name": "Proveedora Sur Ltda"}
SECOND_EMAIL = "facturas@sur.example"


def fix_replies() -> None:
    """The sink answers "queued as <Maildir key>", and a key holds the real time and host:
    fixed here so the pictures stay the same."""
    for message in OutboxMessage.select():
        if message.server_reply:
            reply = re.sub(r"queued as \S+", f"queued as {FIXED_KEY}", message.server_reply)
            OutboxMessage.update(server_reply=reply).where(OutboxMessage.id == message.id).execute()
    for attempt in DeliveryAttempt.select():
        reply = re.sub(r"queued as \S+", f"queued as {FIXED_KEY}", attempt.reply)
        DeliveryAttempt.update(reply=reply).where(DeliveryAttempt.id == attempt.id).execute()


def status(view: MailboxView) -> str:
    return rendered(view, "mailbox-status")


# --- who sees what --------------------------------------------------------------------------


async def test_non_administrators_see_only_a_notice(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    invite_and_deliver(ctx, admin, sink)
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot, "carlos")
        assert view.has_class("-refused")
        assert not view.query_one("#mailbox-tabs").display
        assert not view.query_one("#mailbox-panes").display
        assert rendered(view, "mailbox-refused") == (
            "Only administrators can see the invitation emails and their delivery."
        )
        assert "ventas@cafe.example" not in app.export_screenshot()
        assert view.focus_content() is False
    refused = AuditEvent.select().where(
        (AuditEvent.action == "invitation.delivery_log") & (AuditEvent.outcome == "refused")
    )
    assert refused.count() == 0  # the view does not even ask


async def test_an_account_disabled_while_logged_in_is_logged_out_when_the_log_loads(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    invite_and_deliver(ctx, admin, sink)
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        auth.set_user_active(ctx, "ana", False)
        await pilot.press("f3")
        await settle(pilot)
        reason = "Your account is no longer active. Please log in again."
        assert app.session is None
        assert isinstance(app.screen, LoginScreen)  # not a load error on the Mailbox
        assert str(app.screen.query_one("#login-message", Static).render()) == reason
    logouts = AuditEvent.select().where(AuditEvent.action == "auth.logout")
    assert [event.detail for event in logouts] == [reason]


async def test_without_a_sink_the_delivery_log_comes_first(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    invite_and_deliver(ctx, admin, sink)
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        assert view.active_tab == DELIVERIES
        assert not view.query(f"#{RECEIVED}")
        assert not view.query(MailList)
        assert [e.recipient for e in view.query_one(DeliveryTable).entries] == [
            "ventas@cafe.example"
        ]
        assert app.focused is view.query_one(DeliveryTable)


# --- received mail --------------------------------------------------------------------------


async def test_received_mail_newest_first_with_the_code_in_full(
    ctx: ServiceContext, admin: Session, sink: MailSink, clock: FixedClock
) -> None:
    invite_and_deliver(ctx, admin, sink)
    clock.advance(minutes=5)
    invite_and_deliver(ctx, admin, sink, **SECOND, email=SECOND_EMAIL)
    first, second = sink.wait_for(2)
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        mail = view.query_one(MailList)
        assert app.focused is mail
        assert [m.rcpt_tos for m in mail.messages] == [(SECOND_EMAIL,), ("ventas@cafe.example",)]
        assert status(view) == "2 messages · Ctrl+R refresh"
        pane = rendered(view, "mail-message-text")
        assert f"Activation code: {code_in(second)}" in pane
        assert "Hola, Proveedora Sur Ltda:" in pane  # the supplier's language (Chile)
        assert "Received: 2026-03-02 12:05:00 UTC" in pane
        await pilot.press("down")
        await pilot.pause()
        assert f"Activation code: {code_in(first)}" in rendered(view, "mail-message-text")


async def test_f5_shows_a_newly_delivered_message(
    ctx: ServiceContext, admin: Session, sink: MailSink, clock: FixedClock
) -> None:
    invite_and_deliver(ctx, admin, sink)
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        mail = view.query_one(MailList)
        assert len(mail.messages) == 1
        clock.advance(minutes=1)
        invite_and_deliver(ctx, admin, sink, **SECOND, email=SECOND_EMAIL)
        newest = sink.wait_for(2)[-1]
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert mail.messages[0].key == newest.key
        assert mail.cursor_row == 0  # the cursor was on the newest: it follows the new one
        assert code_in(newest) in rendered(view, "mail-message-text")
        # The delivery log picked it up too.
        assert len(view.query_one(DeliveryTable).entries) == 2


async def test_the_view_refreshes_itself_while_shown(
    ctx: ServiceContext,
    admin: Session,
    sink: MailSink,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(MailboxView, "AUTO_REFRESH_SECONDS", 0.2)
    invite_and_deliver(ctx, admin, sink)
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        mail = view.query_one(MailList)
        await pilot.press("down")  # reading the (only) message; nothing moves under the reader
        clock.advance(minutes=1)
        invite_and_deliver(ctx, admin, sink, **SECOND, email=SECOND_EMAIL)
        sink.wait_for(2)
        for _ in range(50):
            await pilot.pause(0.1)
            if len(mail.messages) == 2:
                break
        assert len(mail.messages) == 2


async def test_international_addresses_are_shown_as_written(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    invite_and_deliver(ctx, admin, sink, email="ventas@cafés.example")
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        assert "Recipient: ventas@cafés.example" in rendered(view, "mail-message-text")
        cell = view.query_one(MailList).get_cell_at(Coordinate(0, 1))
        assert cell.plain == "ventas@cafés.example"


async def test_mail_text_cannot_drive_the_terminal(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    invite_and_deliver(ctx, admin, sink, name="Evil [b]Corp[/b] \x1b[2J SAS")
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        pane = rendered(view, "mail-message-text")
        assert "[b]Corp[/b]" in pane  # shown as typed, never as markup
        assert "\x1b" not in pane


# --- delivery log ---------------------------------------------------------------------------


async def test_delivery_log_shows_the_evidence_of_each_email(
    ctx: ServiceContext, admin: Session, sink: MailSink, clock: FixedClock
) -> None:
    invite_and_deliver(ctx, admin, sink)
    clock.advance(minutes=2)
    sink.fail_with = (550, "5.1.1 <facturas@sur.example>: mailbox unavailable")
    invite_and_deliver(ctx, admin, sink, **SECOND, email=SECOND_EMAIL)
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        # By keyboard: back to the tab bar, then right.
        await pilot.press("shift+tab", "right", "tab")
        await settle(pilot)
        table = view.query_one(DeliveryTable)
        assert app.focused is table
        assert [(e.recipient, e.status) for e in table.entries] == [
            (SECOND_EMAIL, "failed"),
            ("ventas@cafe.example", "sent"),
        ]
        assert status(view) == "2 emails · Ctrl+S export"
        detail = rendered(view, "delivery-detail-text")
        assert "Proveedora Sur Ltda (CL:967902403)  Failed" in detail
        assert "Server reply: 550 5.1.1 <facturas@sur.example>: mailbox unavailable" in detail
        assert f"Message-ID: {table.entries[0].message_id}" in detail
        await pilot.press("down")
        await pilot.pause()
        detail = rendered(view, "delivery-detail-text")
        assert "Sent: 2026-03-02 12:00:00 UTC" in detail
        assert "Server reply: 250 " in detail


async def test_enter_shows_one_supplier_and_escape_all_of_them(
    ctx: ServiceContext, admin: Session, sink: MailSink, clock: FixedClock
) -> None:
    cafe = invite_and_deliver(ctx, admin, sink)
    clock.advance(minutes=1)
    invite_and_deliver(ctx, admin, sink, **SECOND, email=SECOND_EMAIL)
    clock.advance(minutes=1)
    invitations.resend(ctx, admin, cafe)
    deliver(ctx, sink.port)
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        await show_tab(pilot, view, DELIVERIES)
        table = view.query_one(DeliveryTable)
        assert len(table.entries) == 3
        assert table.entries[0].link_id == cafe
        await pilot.press("enter")
        await settle(pilot)
        assert [e.link_id for e in table.entries] == [cafe, cafe]
        assert rendered(view, "delivery-scope").startswith("Emails to Cafés de Colombia SAS only")
        await pilot.press("escape")
        await settle(pilot)
        assert len(table.entries) == 3
        assert not view.query_one("#delivery-scope").display


async def test_export_writes_the_supplier_delivery_log(
    ctx: ServiceContext, admin: Session, sink: MailSink, tmp_path: Path
) -> None:
    cafe = invite_and_deliver(ctx, admin, sink)
    target = tmp_path / "evidence.txt"
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        path = view.query_one("#delivery-path", Input)
        assert app.focused is path
        assert path.value == "~/gosocket-delivery-8600073861.txt"
        path.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert not view.query_one("#delivery-export-message").display
        written = target.read_text(encoding="utf-8")
        target.write_text("kept", encoding="utf-8")
        await pilot.press("enter")  # the same file again: refused, not replaced
        await settle(pilot)
        assert rendered(view, "delivery-export-message").startswith(f"{target} already exists")
    assert target.read_text(encoding="utf-8") == "kept"
    assert written == delivery_log.delivery_log_text(ctx, admin, cafe)
    assert not list(tmp_path.glob(".*.part"))


async def test_export_to_a_folder_is_explained(
    ctx: ServiceContext, admin: Session, sink: MailSink, tmp_path: Path
) -> None:
    invite_and_deliver(ctx, admin, sink)
    app = build_app(ctx, maildir=sink.maildir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        await pilot.press("ctrl+s")
        view.query_one("#delivery-path", Input).value = str(tmp_path)
        await pilot.press("enter")
        await settle(pilot)
        message = rendered(view, "delivery-export-message")
        assert message == f"{tmp_path} is a folder: add a file name."


def test_default_export_path_uses_the_compact_tax_id() -> None:
    assert default_export_path("CL:967902403") == "~/gosocket-delivery-967902403.txt"
    assert default_export_path("XX:../../etc") == "~/gosocket-delivery-etc.txt"
    assert default_export_path("") == "~/gosocket-delivery-supplier.txt"


async def test_troubleshooting_names_the_sender_to_safelist(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    app = build_app(ctx, maildir=sink.maildir, smtp_sender="Gosocket <avisos@gosocket.example>")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        await show_tab(pilot, view, HELP)
        help_text = rendered(view, "mail-help-text")
        assert "spam or junk folder" in help_text
        assert "Gosocket <avisos@gosocket.example>" in help_text
        assert "Correct the supplier's email and resend" in help_text
        assert "Try another address" in help_text


# --- background delivery --------------------------------------------------------------------


async def test_kick_delivery_sends_in_the_background(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    app = build_app(
        ctx,
        maildir=sink.maildir,
        deliver_mail=True,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_security="none",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_mailbox(pilot)
        link_id = add_supplier(ctx, admin)
        invitations.invite(ctx, admin, [link_id])
        worker = app.kick_delivery()
        assert worker is not None
        assert app.kick_delivery() is None  # one run at a time: this one asks for another
        await worker.wait()
        (message,) = sink.wait_for(1)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert code_in(message) in rendered(view, "mail-message-text")
    assert OutboxMessage.get().status == "sent"


async def test_mail_server_down_never_interrupts_the_user(
    ctx: ServiceContext, admin: Session
) -> None:
    app = build_app(
        ctx, deliver_mail=True, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none"
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        invitations.invite(ctx, admin, [add_supplier(ctx, admin)])
        for _ in range(2):
            worker = app.kick_delivery()
            assert worker is not None
            await worker.wait()
            await settle(pilot)
        assert app.is_running
        assert not app.notices
    message = OutboxMessage.get()
    assert message.status == "pending"  # kept for a retry later, with the evidence
    # The server's fault counts no attempt (rule of issue 10; before, 1).
    assert message.attempts == 0 and message.last_error


async def test_no_background_delivery_when_switched_off(
    ctx: ServiceContext, admin: Session
) -> None:
    app = build_app(ctx, deliver_mail=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        invitations.invite(ctx, admin, [add_supplier(ctx, admin)])
        assert app.kick_delivery() is None
    assert OutboxMessage.get().attempts == 0


# --- pictures -------------------------------------------------------------------------------


def _two_emails(ctx: ServiceContext, admin: Session, sink: MailSink, clock: FixedClock) -> None:
    invite_and_deliver(ctx, admin, sink)
    clock.advance(minutes=7, seconds=12)
    sink.fail_with = (550, "5.1.1 <facturas@sur.example>: mailbox unavailable")
    invite_and_deliver(ctx, admin, sink, **SECOND, email=SECOND_EMAIL)
    sink.fail_with = None
    fix_replies()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_snapshot_received_mail(
    snap_compare: SnapCompare,
    ctx: ServiceContext,
    admin: Session,
    sink: MailSink,
    clock: FixedClock,
    lang: str,
) -> None:
    invite_and_deliver(ctx, admin, sink)
    clock.advance(minutes=3)
    invite_and_deliver(ctx, admin, sink, **SECOND, email=SECOND_EMAIL)

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_mailbox(pilot)

    app = build_app(ctx, maildir=sink.maildir, lang=lang)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_snapshot_delivery_log(
    snap_compare: SnapCompare,
    ctx: ServiceContext,
    admin: Session,
    sink: MailSink,
    clock: FixedClock,
    lang: str,
) -> None:
    _two_emails(ctx, admin, sink, clock)

    async def run_before(pilot: Pilot[Any]) -> None:
        view = await open_mailbox(pilot)
        await show_tab(pilot, view, DELIVERIES)

    app = build_app(ctx, maildir=sink.maildir, lang=lang)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_troubleshooting_spanish(
    snap_compare: SnapCompare, ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        view = await open_mailbox(pilot)
        await show_tab(pilot, view, HELP)

    app = build_app(ctx, maildir=sink.maildir, lang="es")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
