"""Rows pasted into the bulk screen (the terminal's bracketed paste, a Textual ``Paste``
event): the same preview, check, problems table and import as a file; and pictures of the
pasted preview at 80x24 in both languages.

The event is posted to the app as the terminal driver posts it, so it reaches whatever has
the focus and bubbles from there. After a deliberate change:
``python -m pytest tests/tui/test_bulk_paste_tui.py --snapshot-update``, then look at every
changed SVG.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from gosocket_tui.db.models import SupplierLink
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.tui.screens.bulk_import import BulkImportScreen
from tests.paste_helpers import cells, clipboard, header, tax_id
from tests.tui.conftest import AppFactory
from tests.tui.flows import busy, open_bulk, process, screen_of
from tests.tui.helpers import RunBefore, SnapCompare, build_app, settle, wait_for

LANGS = pytest.mark.parametrize("lang", ["en", "es"])


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory: nothing here is read, the rows come from the paste."""
    folder = tmp_path / "files"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def shown(screen: BulkImportScreen, selector: str) -> str:
    widget = screen.query_one(selector, Static)
    return str(widget.render()) if widget.has_class("-shown") else ""


async def paste(pilot: Pilot[Any], text: str) -> BulkImportScreen:
    """Paste ``text`` as the terminal does and wait for the screen to read it."""
    screen = screen_of(pilot)
    pilot.app.post_message(events.Paste(text))
    await settle(pilot)
    await wait_for(pilot, lambda: screen.step != "opening" and not busy(screen))
    await settle(pilot)
    return screen


def table_text(table: DataTable[Any]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


# ----------------------------------------------------------------------------- flows


async def test_paste_into_the_file_field_is_previewed_checked_and_imported(
    make: AppFactory,
) -> None:
    rows = [header(), cells(1, notify="1"), cells(2)]
    async with make().run_test(size=(80, 24)) as pilot:
        screen = await open_bulk(pilot)
        assert screen.focused is screen.query_one("#bulk-path")  # where a user pastes first
        await paste(pilot, clipboard(rows))
        assert screen.step == "previewed"
        assert screen.query_one("#bulk-path", Input).value == ""  # rows are not a path
        assert "Pasted text: columns separated by tab" in shown(screen, "#bulk-source")
        preview = screen.query_one("#bulk-preview", DataTable)
        assert [row[:3] for row in table_text(preview)] == [
            ["2", tax_id(1), "Proveedor 1"],
            ["3", tax_id(2), "Proveedor 2"],
        ]
        assert screen.query_one("#bulk-report-path", Input).value == "pasted_rows_problems.csv"
        pasted = screen.pasted
        assert pasted is not None
        folder = Path(os.fspath(pasted)).parent

        screen = await process(pilot)
        assert "2 rows: 2 valid (2 new" in shown(screen, "#bulk-counts")
        assert screen.focused is screen.query_one("#bulk-import")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.step == "done")
        await settle(pilot)
        counts = shown(screen, "#bulk-counts")
        assert "Import finished: Pasted text" in counts
        assert "Added: 2" in counts and "Invitations queued: 1" in counts
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, BulkImportScreen)
        assert not folder.exists()  # the pasted text is gone with the screen
    assert SupplierLink.select().count() == 2


async def test_paste_area_takes_rows_without_a_header(make: AppFactory) -> None:
    async with make().run_test(size=(80, 24)) as pilot:
        screen = await open_bulk(pilot)
        area = screen.query_one("#bulk-paste")
        assert area.can_focus
        assert "or paste rows here (Ctrl+Shift+V / your terminal's paste)" in str(area.render())
        await pilot.press("tab", "tab", "tab")  # File → Open → Download template → here
        assert screen.focused is area
        await paste(pilot, clipboard([cells(1), cells(2), cells(3)], end="\n"))
        assert screen.step == "previewed"
        source = shown(screen, "#bulk-source")
        assert "no header row: their columns are read in the template's order" in source
        preview = screen.query_one("#bulk-preview", DataTable)
        assert [row[0] for row in table_text(preview)] == ["1", "2", "3"]
        assert "3 rows pasted" in str(area.render())


async def test_paste_with_problems_shows_the_problems_table(make: AppFactory) -> None:
    rows = [header(), cells(1), cells(2, notify="yes"), cells(1)]
    async with make().run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        await paste(pilot, clipboard(rows))
        screen = await process(pilot)
        assert screen.step == "checked"
        assert "3 rows: 1 valid (1 new" in shown(screen, "#bulk-counts")
        issues = screen.query_one("#bulk-issues", DataTable)
        assert [row[:2] for row in table_text(issues)] == [
            ["3", "K (Notify*)"],
            ["4", "A (Tax ID*)"],
        ]
        assert screen.focused is issues
        assert 'Row 3, K (Notify*) "yes": Notify* must be 1' in shown(screen, "#bulk-issue-detail")
        assert screen.query_one("#bulk-import", Button).disabled
    assert SupplierLink.select().count() == 0


async def test_a_new_paste_replaces_the_previous_one(make: AppFactory) -> None:
    async with make().run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        screen = await paste(pilot, clipboard([header(), cells(1)]))
        first = screen.pasted
        assert first is not None
        folder = Path(os.fspath(first)).parent
        screen = await process(pilot)
        assert screen.step == "checked"
        await paste(pilot, clipboard([header(), cells(5), cells(6)]))
        assert screen.step == "previewed" and screen.report is None
        assert not folder.exists()
        assert screen.query_one("#bulk-preview", DataTable).row_count == 2


async def test_ten_thousand_and_one_rows_are_refused_with_the_way_to_send_a_file(
    make: AppFactory,
) -> None:
    text = clipboard([cells(i) for i in range(10_001)])
    async with make().run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        screen = await paste(pilot, text)
        assert screen.step == "choose" and screen.pasted is None
        message = shown(screen, "#bulk-file-message")
        assert "more than 10,000 rows" in message
        assert "save them as a CSV or Excel file and open the file instead" in message
        assert screen.query_one("#bulk-process", Button).disabled


async def test_over_ssh_too_many_rows_names_the_sftp_line(
    ctx: ServiceContext, buyers: object, admin: Session
) -> None:
    app = build_app(ctx, remote=True, sftp_host="gosocket.example.com", sftp_port=2222)
    text = clipboard([cells(i) for i in range(10_001)])
    async with app.run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        screen = await paste(pilot, text)
        message = shown(screen, "#bulk-file-message")
        assert "more than 10,000 rows" in message
        assert "sftp -P 2222 ana@gosocket.example.com" in message
        assert "put FILE inbox/" in message


async def test_escape_character_in_a_cell_is_refused_and_markup_is_shown_as_text(
    make: AppFactory,
) -> None:
    markup = "[@click=app.quit]Evil[/]"
    async with make().run_test(size=(80, 24)) as pilot:
        screen = await open_bulk(pilot)
        await paste(pilot, clipboard([header(), cells(1), cells(2, city="Stgo\x1b]0;x\x07")]))
        assert screen.step == "choose"
        message = screen.query_one("#bulk-file-message", Static)
        assert message.has_class("-error")
        assert "Row 3, column E (City) of the pasted text holds a control character" in str(
            message.render()
        )
        assert "\x1b" not in pilot.app.export_screenshot()

        await paste(pilot, clipboard([header(), cells(1, name=markup)]))
        assert screen.step == "previewed"
        preview = screen.query_one("#bulk-preview", DataTable)
        assert table_text(preview)[0][2] == markup
        assert isinstance(pilot.app.screen, BulkImportScreen)  # no action ran


async def test_paste_is_refused_while_a_check_runs(make: AppFactory) -> None:
    """A paste during a check would swap the rows under it: it is declined, said why."""
    async with make().run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        screen = await paste(pilot, clipboard([header(), cells(1)]))
        screen._set_step("checking")  # the moment a check runs, frozen
        pilot.app.post_message(events.Paste(clipboard([header(), cells(9)])))
        await settle(pilot)
        assert "Wait until the check or import ends" in shown(screen, "#bulk-file-message")
        assert screen.query_one("#bulk-preview", DataTable).row_count == 1


# ------------------------------------------------------------------------- pictures


def step_pasted(lang: str) -> RunBefore:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_bulk(pilot)
        text = clipboard(
            [
                header(lang),
                cells(1, notify="1", address="Av. Apoquindo 3000\nPiso 5"),
                cells(2, name="Ferretería [b]Sur[/b]"),
                cells(3, notify="sí"),
            ]
        )
        await paste(pilot, text)
        await settle(pilot)
        await pilot.pause(0.3)
        await settle(pilot)

    return run_before


@LANGS
def test_snapshot_pasted_preview(snap_compare: SnapCompare, make: AppFactory, lang: str) -> None:
    assert snap_compare(make(lang=lang), terminal_size=(80, 24), run_before=step_pasted(lang))


def test_spanish_catalog_covers_the_bulk_screen() -> None:
    """Every string of the bulk screen, its paste line and its stop question is translated."""
    import ast

    from gosocket_tui import i18n
    from gosocket_tui.tui.dialogs import bulk_stop
    from gosocket_tui.tui.screens import bulk_files, bulk_import, bulk_layout, bulk_panes
    from gosocket_tui.tui.widgets import bulk_paste

    modules = (bulk_stop, bulk_files, bulk_import, bulk_layout, bulk_panes, bulk_paste)
    ids = {
        node.args[0].value
        for module in modules
        for node in ast.walk(ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    }
    assert ids
    assert ids <= set(i18n._catalog("es"))
