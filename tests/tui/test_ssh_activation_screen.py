"""The activation screen as the whole app of an SSH activation (``ssh activate@host``): the key
the supplier connected with becomes its login, the success panel shows how to connect next
time, and leaving the screen ends the app."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import struct
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from textual.pilot import Pilot
from textual.widgets import Static

import gosocket_tui
from gosocket_tui.db.models import Invitation, User, UserKey
from gosocket_tui.i18n import _, set_language
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.tui.app import GosocketApp, make_app
from gosocket_tui.tui.presets import SNAPSHOT
from gosocket_tui.tui.screens.activation import (
    CODE_TRIES_PER_SSH_SESSION,
    ActivationScreen,
    KeyActivation,
    connect_line,
)
from tests.tui.flows import fill_activation
from tests.tui.helpers import SnapCompare, settle
from tests.tui.test_activation_screen import code  # noqa: F401 - the mailed code fixture


def _fixed_key() -> str:
    """An ed25519 public key line that is the same in every run (the pictures show it)."""

    def field(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    blob = field(b"ssh-ed25519") + field(bytes(range(32)))
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


KEY_LINE = _fixed_key()
KEY = KeyActivation(
    KEY_LINE,
    asyncssh.import_public_key(KEY_LINE).get_fingerprint("sha256"),
    ("192.0.2.10", 2222),
)


def ssh_app(ctx: ServiceContext, lang: str = "en", key: KeyActivation = KEY) -> GosocketApp:
    ctx = dataclasses.replace(ctx, config=dataclasses.replace(ctx.config, lang=lang))
    return make_app(ctx, preset=SNAPSHOT, remote=True, activation=key)


def test_the_connect_line_names_the_port_unless_it_is_22() -> None:
    assert connect_line("cafe.admin", ("192.0.2.10", 2222)) == "ssh -p 2222 cafe.admin@192.0.2.10"
    assert connect_line("cafe.admin", ("192.0.2.10", 22)) == "ssh cafe.admin@192.0.2.10"
    assert connect_line("cafe.admin", None) == "ssh -p PORT cafe.admin@HOST"


async def test_the_screen_is_the_whole_app_and_escape_ends_it(ctx: ServiceContext) -> None:
    app = ssh_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ActivationScreen)
        assert app.screen.query_one("#act-tax-id").region.height == 1  # its own CSS applies
        await pilot.press("escape")
        await settle(pilot)
        assert app.return_code is not None


async def test_success_registers_the_key_and_says_how_to_connect(
    ctx: ServiceContext,
    code: str,  # noqa: F811
) -> None:
    app = ssh_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await fill_activation(pilot, code=code)
        screen = app.screen
        assert isinstance(screen, ActivationScreen) and screen.has_class("-done")
        connect = screen.query_one("#activation-connect", Static)
        assert "ssh -p 2222 cafe.admin@192.0.2.10" in str(connect.render())
        assert connect.region.bottom <= 23  # on screen, above the footer, at 80x24
        await pilot.press("enter")  # Close
        await settle(pilot)
        assert app.return_code is not None
    user = User.get(User.username == "cafe.admin")
    assert UserKey.get(UserKey.user == user.id).public_key == KEY.public_key


async def test_a_wrong_code_is_shown_on_screen_at_80x24(
    ctx: ServiceContext,
    code: str,  # noqa: F811
) -> None:
    app = ssh_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await fill_activation(pilot, code="0000-0000-0000" if code != "0000-0000-0000" else "1")
        screen = app.screen
        note = screen.query_one("#act-code-note", Static)
        assert str(note.render()) == "Invalid or expired activation code."
        body = screen.query_one("#activation-body")
        assert body.region.contains_region(note.region)  # scrolled into view, not below it
    assert not UserKey.select().exists()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_snapshot_success_over_ssh(
    snap_compare: SnapCompare,
    ctx: ServiceContext,
    code: str,  # noqa: F811
    lang: str,
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await fill_activation(pilot, code=code)

    assert snap_compare(ssh_app(ctx, lang), terminal_size=(80, 24), run_before=run_before)


def test_every_message_of_activation_over_ssh_is_in_spanish_with_its_placeholders() -> None:
    catalog = Path(gosocket_tui.__file__).parent / "locale" / "es" / "ssh_activation.json"
    messages = json.loads(catalog.read_text(encoding="utf-8"))
    set_language("es")
    for english, spanish in messages.items():
        assert _(english) == spanish != english
        assert re.findall(r"\{\w+\}", spanish) == re.findall(r"\{\w+\}", english)
    assert connect_line("cafe.admin", None) == "ssh -p PUERTO cafe.admin@SERVIDOR"


async def test_a_session_ends_after_its_last_code_try(
    ctx: ServiceContext,
    code: str,  # noqa: F811
) -> None:
    """Per address, activation sessions are counted (``ssh/limits.py``); each has a few code
    tries, so an address gets a bounded number of tries in the window."""
    wrong = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
    app = ssh_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _try in range(CODE_TRIES_PER_SSH_SESSION - 1):
            await fill_activation(pilot, code=wrong)
            assert app.return_code is None
        await fill_activation(pilot, code=wrong)
        await settle(pilot)
        assert app.return_code is not None
    assert Invitation.get().attempts == CODE_TRIES_PER_SSH_SESSION
