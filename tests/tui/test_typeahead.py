"""Keys typed ahead land where they were meant, in every form.

A paste, a password manager or a slow SSH link delivers text, Tab and more text in one read.
Each test queues a whole burst at once (``helpers.burst``; ``pilot.press`` would wait after each
key) and checks that each field got its own text. The login and activation screens have
their own tests (``test_login.py``, ``test_activation_screen.py``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.dialogs.add_supplier import AddSupplierScreen
from gosocket_tui.tui.dialogs.bulk_template import TemplateDialog
from gosocket_tui.tui.dialogs.invite import ChangeEmailScreen
from gosocket_tui.tui.screens.bulk_import import BulkImportScreen
from gosocket_tui.tui.views.network import NetworkView
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import burst, log_in, settle


def value(app: GosocketApp, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


async def logged_in(pilot: Pilot[Any]) -> None:
    await log_in(pilot, "ana", PASSWORD)
    pilot.app.screen.query_one("#supplier-tax-id", Input).focus()
    await settle(pilot)


async def test_add_supplier_form(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await logged_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, AddSupplierScreen)
        await burst(
            pilot,
            [
                *"76.086.429-3",
                "\t",
                *"Proveedora Sur SAC",
                "\t",
                *"facturas@sur.example",
                "\r",  # Enter moves on too
                *"Insumos",
            ],
        )
        assert value(app, "#add-tax_id") == "76.086.429-3"
        assert value(app, "#add-name") == "Proveedora Sur SAC"
        assert value(app, "#add-email") == "facturas@sur.example"
        assert value(app, "#add-description") == "Insumos"


async def test_supplier_filters(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await logged_in(pilot)
        await burst(pilot, [*"7608", "\t", *"Sur"])
        assert value(app, "#supplier-tax-id") == "7608"
        assert value(app, "#supplier-name") == "Sur"


async def test_client_filters(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await logged_in(pilot)
        app.screen.query_one(NetworkView).show_tab("clients")
        await settle(pilot)
        app.screen.query_one("#client-tax-id", Input).focus()
        await burst(pilot, [*"7608", "\t", *"Andes"])
        assert value(app, "#client-tax-id") == "7608"
        assert value(app, "#client-name") == "Andes"


async def test_change_email_dialog(make: AppFactory) -> None:
    app = make()
    results: list[str | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await logged_in(pilot)
        app.push_screen(ChangeEmailScreen("Proveedora", "old@sur.example"), results.append)
        await settle(pilot)
        # Select the old address away, type the new one, Tab to Confirm and press it.
        await burst(pilot, ["ctrl+u", *"new@sur.example", "\t", "\r"])
        assert results == ["new@sur.example"]


async def test_bulk_import_screen(make: AppFactory, tmp_path: Path) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await logged_in(pilot)
        assert app.session is not None
        app.push_screen(BulkImportScreen(app.ctx, app.session))
        await settle(pilot)
        # The path, then Tab past Open to "Download template", and Enter presses it.
        await burst(pilot, [*str(tmp_path / "x.csv"), "\t", "\t", "\r"])
        assert isinstance(app.screen, TemplateDialog)


async def test_keys_typed_right_after_ctrl_n_reach_the_new_form(make: AppFactory) -> None:
    """ctrl+n and the Tax ID typed at once: the form opens and gets every key."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await logged_in(pilot)
        await burst(pilot, ["ctrl+n", *"76.086.429-3", "\t", *"Proveedora Sur SAC"])
        assert isinstance(app.screen, AddSupplierScreen)
        assert value(app, "#add-tax_id") == "76.086.429-3"
        assert value(app, "#add-name") == "Proveedora Sur SAC"


async def test_keys_arriving_one_by_one_as_the_app_starts_keep_their_order(
    make: AppFactory,
) -> None:
    """A browser's keys (``demo --web``) arrive one message at a time while the first one is
    held for the login screen: those behind it must not overtake it."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        for char in "ana.admin":
            app.post_message(events.Key(char if char.isalnum() else "full_stop", char))
            await asyncio.sleep(0)
        await settle(pilot)
        assert value(app, "#username") == "ana.admin"


async def test_the_focus_given_back_to_an_unfocused_screen_lands_in_its_first_field(
    make: AppFactory,
) -> None:
    """Textual's web driver blurs the app as it starts, before the login screen focused its
    field: when the browser gives the focus back, the keys must reach the username."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.set_focus(None)
        app.app_focus = False
        app._last_focused_on_app_blur = None  # the blur came before any field had the focus
        app.post_message(events.AppFocus())
        await settle(pilot)
        await burst(pilot, list("ana"))
        assert value(app, "#username") == "ana"
