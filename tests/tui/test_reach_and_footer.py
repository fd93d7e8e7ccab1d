"""Every screen reachable by keyboard, and the footer that says how.

Bulk add suppliers opens from the Suppliers tab (a button and ctrl+o, shown in the footer)
and from the command palette; administrators only. The footer keeps the global keys (F2–F4,
^l, ^q) in sight at 80 columns whatever is focused, and every dialog shows its own keys.
"""

from __future__ import annotations

from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Button

from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.commands import palette_commands
from gosocket_tui.tui.dialogs.add_supplier import AddSupplierScreen
from gosocket_tui.tui.screens.bulk_import import BulkImportScreen
from gosocket_tui.tui.screens.shell import ShellScreen
from gosocket_tui.tui.widgets.footer import KeyFooter
from gosocket_tui.tui.widgets.supplier_table import SupplierTable
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import SnapCompare, log_in, settle

GLOBAL_KEYS = ["f2", "f3", "f4", "ctrl+l", "ctrl+q"]


def footer_keys(app: GosocketApp) -> dict[str, bool]:
    """The keys the current screen's footer shows: key → enabled."""
    footer = app.screen.query_one(KeyFooter)
    return {key.key: not key.has_class("-disabled") for key in footer.query("FooterKey")}


async def back_to_shell(pilot: Pilot[Any]) -> None:
    await pilot.press("escape")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ShellScreen)


async def test_bulk_import_opens_with_its_key_and_its_button(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        assert footer_keys(app).get("ctrl+o") is True  # the filter has the focus
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, BulkImportScreen)
        await back_to_shell(pilot)
        button = app.screen.query_one("#supplier-bulk", Button)
        assert not button.disabled
        await pilot.click(button)
        await settle(pilot)
        assert isinstance(app.screen, BulkImportScreen)


async def test_bulk_import_from_the_command_palette(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        assert "Network → Bulk add suppliers" in [c.title for c in palette_commands(app)]
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Bulk add")
        for _ in range(50):
            await pilot.pause(0.05)
            if app.screen.query_one(CommandList).option_count:
                break
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BulkImportScreen)


async def test_non_administrators_see_bulk_import_greyed_and_refused(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "carlos", PASSWORD)
        assert app.screen.query_one("#supplier-bulk", Button).disabled
        assert footer_keys(app).get("ctrl+o") is False  # shown, greyed
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, ShellScreen)
        assert "Network → Bulk add suppliers" not in [c.title for c in palette_commands(app)]


async def test_the_footer_keeps_the_global_keys_at_80_columns(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        for focus in ("#supplier-tax-id", "#supplier-table"):
            app.screen.query_one(focus).focus()
            await settle(pilot)
            keys = list(footer_keys(app))
            assert keys[: len(GLOBAL_KEYS)] == GLOBAL_KEYS, (focus, keys)
        assert isinstance(app.focused, SupplierTable)
        assert "enter" in footer_keys(app)  # the table's first key still fits


async def test_dialogs_show_their_own_keys(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, AddSupplierScreen)
        keys = footer_keys(app)
        assert keys.get("escape") is True and keys.get("ctrl+s") is True
        assert "f2" not in keys and "i" not in keys  # nothing of the screen behind


def test_snapshot_shell_table_focused(snap_compare: SnapCompare, make: AppFactory) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "ana", PASSWORD)
        pilot.app.screen.query_one("#supplier-table").focus()
        await settle(pilot)

    assert snap_compare(make(), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_add_supplier_dialog(snap_compare: SnapCompare, make: AppFactory) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press("ctrl+n")
        await settle(pilot)

    assert snap_compare(make(), terminal_size=(80, 24), run_before=run_before)
