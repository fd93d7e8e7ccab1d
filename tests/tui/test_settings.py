"""Settings view: administrators only, reached by F5 and the palette; Save with clear messages;
the preview is the email as it will be sent, shown as text."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Select, Static, TextArea

from gosocket_tui.services import company_settings
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.tui.commands import palette_commands
from gosocket_tui.tui.screens.shell import ShellScreen
from gosocket_tui.tui.views.settings import SettingsView
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import log_in, settle

NOTE = "Gracias por su interés.\n[@click=app.quit]Compras[/]"


async def open_settings(pilot: Pilot[Any], username: str = "ana") -> SettingsView:
    await log_in(pilot, username, PASSWORD)
    await pilot.press("f5")
    await settle(pilot)
    view = pilot.app.screen.query_one(SettingsView)
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)
    return view


def shell(app: Any) -> ShellScreen:
    assert isinstance(app.screen, ShellScreen)
    return app.screen


def preview_text(view: SettingsView) -> str:
    return str(view.query_one("#settings-preview", Static).render())


async def test_save_checks_every_value_and_the_preview_shows_the_email_as_text(
    make: AppFactory, ctx: ServiceContext, admin: Session
) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_settings(pilot)
        assert shell(app).current == "settings"
        # A Chilean company's suppliers read Spanish unless chosen otherwise.
        assert "Subject: Invitación a la red Gosocket de Comercial Andes SpA" in preview_text(view)
        view.query_one("#settings-preview-language", Select).value = "en"
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "Subject: Invitation to the Gosocket network from Comercial Andes SpA" in (
            preview_text(view)
        )
        view.query_one("#settings-reminders", Checkbox).value = True
        view.query_one("#settings-days", Input).value = "2,9"
        view.query_one("#settings-note", TextArea).text = NOTE
        view.query_one("#settings-reply-to", Input).value = "compras@andes.example"
        view.save()
        await app.workers.wait_for_complete()
        await settle(pilot)
        message = str(view.query_one("#settings-message", Static).render())
        assert "before the code expires" in message
        assert view.query_one("#settings-days", Input).has_class("-invalid")
        assert company_settings.settings_of(admin.company_id) == company_settings.DEFAULTS

        view.query_one("#settings-days", Input).value = "2,5"
        view.save()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert str(view.query_one("#settings-message", Static).render()) == "Settings saved."
        saved = company_settings.settings_of(admin.company_id)
        assert (saved.reminders_enabled, saved.note) == (True, NOTE)
        await app.workers.wait_for_complete()
        await settle(pilot)
        shown = preview_text(view)
        assert "Reply-To: Comercial Andes SpA <compras@andes.example>" in shown
        assert "[@click=app.quit]Compras[/]" in shown  # literal text, never markup
        assert isinstance(app.screen, ShellScreen)  # the markup quit nothing


async def test_non_administrators_have_no_settings(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "carlos", PASSWORD)
        sidebar = app.screen.query_one("#sidebar", OptionList)
        ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
        assert ids == ["overview", "network", "mailbox", "activity"]
        assert "Settings" not in [c.title for c in palette_commands(app)]
        await pilot.press("f5")
        await settle(pilot)
        assert shell(app).current == "network"
        assert not app.screen.query(SettingsView)
        assert shell(app).check_action("show", ("settings",)) is False


async def test_administrators_reach_settings_from_the_palette(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        (command,) = [c for c in palette_commands(app) if c.title == "Settings"]
        command.callback()
        await settle(pilot)
        assert shell(app).current == "settings"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_snapshot_settings(
    snap_compare: Any, make: AppFactory, ctx: ServiceContext, admin: Session, lang: str
) -> None:
    company_settings.update_settings(
        ctx,
        admin,
        reminders_enabled=True,
        note=NOTE,
        reply_to="compras@andes.example",
    )
    app = make(lang=lang)

    async def run_before(pilot: Pilot[None]) -> None:
        await open_settings(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_the_shell_keys_work_from_inside_every_view(make: AppFactory) -> None:
    """F5 and F6 belong to the shell everywhere: the Mailbox and Activity views refresh with
    ctrl+r and export with ctrl+s, so inside them F5 still opens Settings, F6 My SSH keys."""
    from gosocket_tui.tui.dialogs.my_keys import MyKeysScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        for view in ("f3", "f4"):  # Mailbox, Activity
            await pilot.press(view)
            await settle(pilot)
            await pilot.press("tab")  # the focus inside the view
            await pilot.press("f5")
            await settle(pilot)
            assert shell(app).current == "settings"
            await pilot.press(view, "tab", "f6")
            await settle(pilot)
            assert isinstance(app.screen, MyKeysScreen)
            await pilot.press("escape")
            await settle(pilot)
