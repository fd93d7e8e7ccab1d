"""The activation screen in the supplier's language: F2 chooses it before the code is known,
the invitation's language takes over once the code is accepted, and the app's (the
administrators') language stays what it was: Portuguese is never the interface's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Static

import gosocket_tui
from gosocket_tui.i18n import get_language
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import invitations
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.tui.commands import palette_commands
from gosocket_tui.tui.screens.activation import ActivationScreen
from gosocket_tui.tui.screens.login import LoginScreen
from tests.invitation_helpers import add_supplier, code_in, deliver
from tests.tui.flows import fill_activation, open_activation
from tests.tui.helpers import SnapCompare, build_app, settle

PT = json.loads(
    (Path(gosocket_tui.__file__).parent / "locale" / "pt" / "activation.json").read_text("utf-8")
)
BR_CNPJ = "16.727.230/0001-97"
BR_NAME = "Café do Brasil Ltda"


@pytest.fixture
def br_code(ctx: ServiceContext, admin: Session, sink: MailSink) -> str:
    """A Brazilian supplier (Portuguese by its country) invited; the code from its email."""
    link_id = add_supplier(ctx, admin, country="BR", tax_id=BR_CNPJ, name=BR_NAME)
    invitations.invite(ctx, admin, [link_id])
    assert deliver(ctx, sink.port).sent == 1
    (message,) = sink.wait_for(1)
    assert "Seu código de ativação" in message.text
    return code_in(message)


async def _portuguese(pilot: Pilot[Any]) -> ActivationScreen:
    screen = await open_activation(pilot)
    while screen.screen_language != "pt":  # en → es → pt: two presses at most
        await pilot.press("f2")
    await pilot.pause()
    return screen


async def test_wrong_code_in_portuguese_leaves_the_app_in_english(
    ctx: ServiceContext, br_code: str
) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _portuguese(pilot)
        assert screen.query_one("#activation-submit", Button).label.plain == "Ativar"
        wrong = "0000-0000-0000" if br_code != "0000-0000-0000" else "1111-1111-1111"
        await fill_activation(pilot, country="BR", tax_id=BR_CNPJ, code=wrong)
        await settle(pilot)
        note = screen.query_one("#act-code-note", Static)
        assert str(note.render()) == PT["Invalid or expired activation code."]
        # The worker wrote Portuguese; the app (the administrators' side) did not change.
        assert get_language() == "en"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#login-button", Button).label.plain == "Log in"


async def test_success_speaks_the_invitation_language(ctx: ServiceContext, br_code: str) -> None:
    """The supplier filled the form in English; the Brazilian invitation's language wins."""
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        assert screen.screen_language == "en"
        await fill_activation(pilot, country="BR", tax_id=BR_CNPJ, code=br_code)
        await settle(pilot)
        assert screen.has_class("-done")
        success = str(screen.query_one("#activation-success", Static).render())
        assert success == PT[
            "{name} is now registered in the Gosocket network. Log in as {username}."
        ].format(name=BR_NAME, username="cafe.admin")
        assert get_language() == "en"


async def test_the_administrators_language_switch_never_offers_portuguese(
    ctx: ServiceContext,
) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        seen = {get_language()}
        for _press in range(3):
            await pilot.press("f2")  # the login screen's switch
            await pilot.pause()
            seen.add(get_language())
        assert seen == {"en", "es"}
        titles = [command.title for command in palette_commands(app)]
        assert not any("Portugu" in title for title in titles)


def test_snapshot_wrong_code_in_portuguese(
    snap_compare: SnapCompare, ctx: ServiceContext, br_code: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _portuguese(pilot)
        await fill_activation(pilot, country="BR", tax_id=BR_CNPJ, code="0000-0000-0000")
        await settle(pilot)

    assert br_code != "0000-0000-0000"
    assert snap_compare(build_app(ctx), terminal_size=(80, 24), run_before=run_before)
