"""A session logged in by SSH key: no login screen, the header says so, logging out ends it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Label

from gosocket_tui.db.models import AuditEvent
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.tui.app import make_app
from gosocket_tui.tui.presets import SNAPSHOT
from gosocket_tui.tui.screens.shell import ShellScreen
from tests.tui.helpers import settle, wait_for


def _by_key(session: Session) -> Session:
    return dataclasses.replace(session, key_fingerprint="SHA256:" + "A" * 43)


@pytest.mark.parametrize(("lang", "said"), [("en", "by SSH key"), ("es", "por clave SSH")])
async def test_a_key_session_opens_on_the_shell_and_says_so(
    ctx: ServiceContext, admin: Session, lang: str, said: str, tmp_path: Path
) -> None:
    ctx = dataclasses.replace(ctx, config=dataclasses.replace(ctx.config, lang=lang))
    app = make_app(ctx, preset=SNAPSHOT, remote=True, signed_in=_by_key(admin))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ShellScreen)
        key = app.screen.query_one("#header-key", Label)
        assert str(key.render()) == said
        # Whole at 80 columns, beside the Tax ID and the administrator badge.
        assert key.region.right <= 80 and key.region.width == len(said) + 1
        app.save_screenshot(str(tmp_path / f"key-{lang}.svg"))


async def test_a_password_session_has_no_key_label(ctx: ServiceContext, admin: Session) -> None:
    app = make_app(ctx, preset=SNAPSHOT, signed_in=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query("#header-key")


async def test_logging_out_of_a_key_session_ends_the_app(
    ctx: ServiceContext, admin: Session
) -> None:
    """Never back to a password login form: the connection was authenticated by the key."""
    app = make_app(ctx, preset=SNAPSHOT, remote=True, signed_in=_by_key(admin))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert AuditEvent.select().where(AuditEvent.action == "auth.logout").count() == 1
