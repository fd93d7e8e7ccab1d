"""My SSH keys (F4 or the palette): each user sees and removes their own keys in the app.

Keys are the fixed public lines below (public keys are no secret), so the pictures stay the
same from run to run. The dialog reads and removes through ``services.ssh_keys``; another
user's key is never listed, a comment is never markup, and removing the key of the current
SSH session ends the session after saying so.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from gosocket_tui.clock import FixedClock
from gosocket_tui.config import with_overrides
from gosocket_tui.db.models import AuditEvent, UserKey
from gosocket_tui.i18n import _, set_language
from gosocket_tui.services import ssh_keys
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.tui.app import GosocketApp, make_app
from gosocket_tui.tui.commands import palette_commands
from gosocket_tui.tui.dialogs import my_keys as my_keys_module
from gosocket_tui.tui.dialogs.invite import ConfirmScreen
from gosocket_tui.tui.dialogs.my_keys import MyKeysScreen
from gosocket_tui.tui.presets import SNAPSHOT
from gosocket_tui.tui.screens.shell import ShellScreen
from tests.tui.helpers import SnapCompare, settle, wait_for
from tests.tui.test_hostile_text import CONTROLS, assert_safe, screen_text

LAPTOP = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIejqEHtEE6Q0bMnLbXMEQFgkMFuj/BVQuU6xM2sBuBU"
DESKTOP = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJVFX8cc7nb8xQVRpoZwx/j/D5tlwpxxQlbnhHiKekDZ"
HOSTILE_COMMENT = "[@click=app.screenshot('k.svg','.')]laptop[/]" + CONTROLS


def fingerprint(line: str) -> str:
    return ssh_keys.parse_public_key(line).fingerprint


@pytest.fixture
def keys(ctx: ServiceContext, buyers: object, clock: FixedClock) -> list[str]:
    """ana's two keys (the laptop one used to log in once), and one of carlos's."""
    ssh_keys.add_key(ctx, "ana", LAPTOP + " ana@laptop")
    clock.advance(minutes=10)
    ssh_keys.add_key(ctx, "ana", DESKTOP, comment="office desktop")
    ssh_keys.authenticate_key(ctx, "ana", ssh_keys.parse_public_key(LAPTOP).key)
    carlos_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILALcGFBa7A+skl5451+ZzVj3wOokJkb9l2wLgIp+PnG"
    ssh_keys.add_key(ctx, "carlos", carlos_key + " carlos@pc")
    return [fingerprint(LAPTOP), fingerprint(DESKTOP)]


def key_app(
    ctx: ServiceContext, session: Session, lang: str = "en", *, by: str = ""
) -> GosocketApp:
    """The app as ``serve`` starts it: logged in already (by the key ``by``, if given)."""
    if lang != ctx.config.lang:
        ctx = dataclasses.replace(ctx, config=with_overrides(ctx.config, lang=lang))
    signed_in = dataclasses.replace(session, key_fingerprint=by) if by else session
    return make_app(ctx, preset=SNAPSHOT, remote=bool(by), signed_in=signed_in)


async def open_keys(pilot: Pilot[Any]) -> MyKeysScreen:
    await settle(pilot)
    assert isinstance(pilot.app.screen, ShellScreen)
    await pilot.press("f6")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MyKeysScreen))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MyKeysScreen)
    return screen


def listed(screen: MyKeysScreen) -> list[str]:
    listing = screen.query_one("#keys-list", OptionList)
    return [str(listing.get_option_at_index(i).id) for i in range(listing.option_count)]


async def test_f4_lists_only_my_own_keys_with_their_dates(
    ctx: ServiceContext, admin: Session, keys: list[str]
) -> None:
    laptop, desktop = keys
    app = key_app(ctx, admin, by=laptop)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_keys(pilot)
        assert listed(screen) == [laptop, desktop]
        text = screen_text(app)
        for shown in (laptop, desktop, "ana@laptop", "office desktop", "this session", "never"):
            assert shown in text, shown
        assert "carlos@pc" not in text
        # The whole fingerprint fits at 80 columns, inside the frame.
        row = next(line for line in text.splitlines() if laptop in line)
        assert row.index(laptop) + len(laptop) < 79
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ShellScreen)


async def test_the_palette_offers_my_keys(ctx: ServiceContext, viewer: Session) -> None:
    app = key_app(ctx, viewer)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "My SSH keys" in [c.title for c in palette_commands(app)]
        await pilot.press("ctrl+p", *"My SSH keys")
        await settle(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MyKeysScreen))


async def test_no_keys_says_how_to_add_one(ctx: ServiceContext, viewer: Session) -> None:
    app = key_app(ctx, viewer)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(pilot)
        text = screen_text(app)
        assert "You have no SSH keys." in text
        assert "gosocket-tui user key add carlos --key-file KEY.pub" in text
        await pilot.press("delete")  # nothing to remove: no confirmation opens
        await settle(pilot)
        assert isinstance(app.screen, MyKeysScreen)


async def test_removing_a_key_asks_first_then_removes_only_it(
    ctx: ServiceContext, admin: Session, keys: list[str]
) -> None:
    laptop, desktop = keys
    app = key_app(ctx, admin, by=laptop)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_keys(pilot)
        await pilot.press("down")  # the desktop key
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = screen_text(app)
        assert desktop in text and "office desktop" in text
        assert "ends the session" not in text  # not this session's key
        await pilot.press("escape")  # cancelled: nothing removed
        await settle(pilot)
        assert UserKey.select().where(UserKey.fingerprint == desktop).exists()

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # the focus starts on Cancel: a hurried Enter keeps it
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert UserKey.select().where(UserKey.fingerprint == desktop).exists()

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("shift+tab", "enter")  # Remove, chosen
        await wait_for(pilot, lambda: listed(screen) == [laptop])
        assert not UserKey.select().where(UserKey.fingerprint == desktop).exists()
        assert any("Key removed" in str(n.message) for n in app.notices)
    removal = AuditEvent.get(AuditEvent.action == "ssh_key.remove")
    assert (removal.target, removal.detail) == ("ana", desktop)


async def test_removing_the_key_of_this_session_warns_then_ends_it(
    ctx: ServiceContext, admin: Session, keys: list[str]
) -> None:
    laptop, _desktop = keys
    app = key_app(ctx, admin, by=laptop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(pilot)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        warning = app.screen.query_one("#confirm-text", Static).render()
        assert "removing it ends the session" in str(warning)
        await pilot.press("shift+tab", "enter")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert not UserKey.select().where(UserKey.fingerprint == laptop).exists()
    logout = AuditEvent.get(AuditEvent.action == "auth.logout")
    assert "removed the key" in logout.detail


async def test_a_hostile_comment_is_shown_literally(
    ctx: ServiceContext, admin: Session, keys: list[str]
) -> None:
    """A comment written straight into the database (the service would drop the controls)."""
    laptop, _desktop = keys
    UserKey.update(comment=HOSTILE_COMMENT).where(UserKey.fingerprint == laptop).execute()
    app = key_app(ctx, admin, by=laptop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(pilot)
        assert_safe(app, "[@click=app.screenshot('k.svg','.')]laptop[/]")
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert_safe(app, "[@click=app.screenshot('k.svg','.')]laptop[/]")


LANGS = pytest.mark.parametrize("lang", ["en", "es"])


@LANGS
def test_snapshot_my_keys(
    snap_compare: SnapCompare, ctx: ServiceContext, admin: Session, keys: list[str], lang: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_keys(pilot)

    app = key_app(ctx, admin, lang, by=keys[0])
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@LANGS
def test_snapshot_remove_this_sessions_key(
    snap_compare: SnapCompare, ctx: ServiceContext, admin: Session, keys: list[str], lang: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_keys(pilot)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await settle(pilot)

    app = key_app(ctx, admin, lang, by=keys[0])
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@LANGS
def test_snapshot_no_keys(
    snap_compare: SnapCompare, ctx: ServiceContext, viewer: Session, lang: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_keys(pilot)

    assert snap_compare(key_app(ctx, viewer, lang), terminal_size=(80, 24), run_before=run_before)


def test_every_message_has_a_spanish_translation() -> None:
    source = Path(my_keys_module.__file__).read_text(encoding="utf-8")
    messages = {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    } | {binding.description for binding in MyKeysScreen.BINDINGS if isinstance(binding, Binding)}
    set_language("es")
    untranslated = [m for m in messages if m and _(m) == m]
    assert not untranslated, untranslated
