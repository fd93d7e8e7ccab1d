"""The trainer's demo, end to end at 80x24: invite, read the email, activate, log in.

Everything is real: the demo data on a SQLite file, the demo's own mail sink started the way
``gosocket-tui demo`` starts it (``services.demo.start_demo_sink``), the app's background
deliverer sending to it over SMTP, and every screen driven by keys.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from gosocket_tui.clock import FixedClock
from gosocket_tui.config import Config
from gosocket_tui.db.models import SupplierLink
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import invitations, suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.demo import (
    DEMO_PASSWORD,
    demo_info,
    demo_maildir,
    load_fixture,
    start_demo_sink,
)
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.screens.login import LoginScreen
from gosocket_tui.tui.screens.shell import ShellScreen
from gosocket_tui.tui.views.mailbox import MailboxView
from gosocket_tui.tui.widgets.mail_list import MailList, find_code
from tests.cli_helpers import Cli
from tests.tui.flows import fill_activation, open_activation
from tests.tui.helpers import build_app, log_in, settle

BUYER = "Comercial Andes SpA"
BUYER_ADMIN = "ana.admin"


@pytest.fixture
def demo_sink(
    demo_ctx: ServiceContext, tmp_path: Path, clock: FixedClock
) -> Iterator[tuple[MailSink, ServiceContext]]:
    """The demo's sink, and the demo's services pointed at it (as the CLI's demo does)."""
    sink, config = start_demo_sink(demo_ctx.config, maildir=tmp_path / "demo-mail", clock=clock.now)
    try:
        yield sink, dataclasses.replace(demo_ctx, config=config)
    finally:
        sink.stop()


def test_the_demo_sink_replaces_the_mail_server(config: Config, tmp_path: Path) -> None:
    sink, delivery = start_demo_sink(config)
    try:
        assert sink.running
        assert sink.maildir == demo_maildir(config) == tmp_path / "demo-maildir"
        assert (delivery.smtp_host, delivery.smtp_port) == ("127.0.0.1", sink.port)
        assert (delivery.smtp_security, delivery.smtp_username, delivery.smtp_password) == (
            "none",
            "",
            "",
        )
        assert delivery.db == config.db
    finally:
        sink.stop()
    assert sink.maildir.is_dir()  # kept for the next demo; --fresh empties it
    (sink.maildir / "new" / "old-message").write_text("x")
    sink, _config = start_demo_sink(config, fresh=True)
    sink.stop()
    assert not (sink.maildir / "new" / "old-message").exists()


def test_the_demo_command_runs_the_app_with_its_own_sink(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``gosocket-tui demo``: the app gets the sink's Maildir and delivers to the sink, which
    stops when the app ends."""
    seen: dict[str, object] = {}

    def run(app: GosocketApp) -> None:  # instead of taking over the terminal
        seen["config"] = app.ctx.config
        seen["maildir"] = app.maildir
        seen["deliver_mail"] = app.deliver_mail

    monkeypatch.setattr(GosocketApp, "run", run)
    monkeypatch.setattr("gosocket_tui.cli.app.require_terminal", lambda: None)  # no tty here
    cli = Cli(tmp_path / "demo.db", capsys, monkeypatch)
    result = cli("demo", "--fresh")
    assert result.code == 0, result.err
    config = seen["config"]
    assert isinstance(config, Config)
    assert seen["maildir"] == tmp_path / "demo-maildir"
    assert seen["deliver_mail"] is True
    assert (config.smtp_host, config.smtp_security) == ("127.0.0.1", "none")
    with pytest.raises(OSError):  # the sink was stopped with the app
        socket.create_connection(("127.0.0.1", config.smtp_port), timeout=1).close()


async def test_trainer_invites_reads_the_code_and_the_supplier_activates(
    demo_sink: tuple[MailSink, ServiceContext],
) -> None:
    sink, ctx = demo_sink
    app = build_app(ctx, demo=demo_info(load_fixture(), sink.maildir), deliver_mail=True)
    async with app.run_test(size=(80, 24)) as pilot:
        # The buyer's administrator logs in and invites a Colombian supplier.
        await log_in(pilot, BUYER_ADMIN, DEMO_PASSWORD)
        assert isinstance(app.screen, ShellScreen)
        buyer = app.session
        assert buyer is not None and buyer.company_name == BUYER
        # The Suppliers tab has no Invite key yet: the service queues it, as Invite will.
        link = (
            SupplierLink.select()
            .where(
                (SupplierLink.buyer == buyer.company_id)
                & (SupplierLink.status == "not_invited")
                & (SupplierLink.country == "CO")
            )
            .order_by(SupplierLink.id)
            .first()
        )
        assert link is not None
        result = invitations.invite(ctx, buyer, [link.id])
        assert [o.queued for o in result.outcomes] == [True]
        worker = app.kick_delivery()  # what the Suppliers tab calls after Invite
        assert worker is not None
        await worker.wait()
        (received,) = sink.wait_for(1)
        assert received.rcpt_tos == (link.email,)

        # The Mailbox shows the email with its code.
        await pilot.press("f3")
        await settle(pilot)
        mailbox = app.screen.query_one(MailboxView)
        mail = mailbox.query_one(MailList)
        assert [m.key for m in mail.messages] == [received.key]
        text = str(mailbox.query_one("#mail-message-text", Static).render())
        code = find_code(text)
        assert code is not None and code == find_code(received.text)
        assert f"Hola, {link.name}:" in text  # the supplier's language (Colombia), not ana's

        # Log out; the supplier activates with the code from the email.
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        screen = await open_activation(pilot)
        await fill_activation(
            pilot,
            country="CO",
            tax_id=link.tax_id[:-1],  # the NIT without its check digit, as Gosocket asks
            inviter_country="CL",
            inviter_tax_id="76.086.428-5",
            code=code.lower(),
            username="proveedor.co",
            password="cafe con leche 2026",
            typed=True,
        )
        assert screen.has_class("-done"), str(screen.query_one("#act-code-note").render())
        success = str(screen.query_one("#activation-success", Static).render())
        # The code is known: the panel speaks the invitation's language.
        assert success == (
            f"{link.name} ya está registrado en la red Gosocket. Inicie sesión como proveedor.co."
        )

        # Back on the login screen with the new username: the supplier logs in.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#username", Input).value == "proveedor.co"
        await pilot.press(*"cafe con leche 2026", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ShellScreen)
        assert app.session is not None and app.session.company_name == link.name
        await pilot.press("ctrl+l")
        await settle(pilot)

        # The buyer sees the supplier registered.
        await log_in(pilot, BUYER_ADMIN, DEMO_PASSWORD)
        assert app.session is not None and app.session.company_name == BUYER
        detail = suppliers.get_supplier(ctx, app.session, link.id)
        assert detail.state == "registered"
