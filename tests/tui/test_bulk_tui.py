"""Bulk add suppliers (tui/screens/bulk_import.py): Pilot flows and pictures.

The screen is pushed the way the Suppliers tab's "Bulk add" button does it, over a logged-in
shell, and driven with keys only. Files are copied into the test's folder, which becomes the
working directory, so paths on screen are short and the same on every run. After a deliberate
change: ``python -m pytest tests/tui/test_bulk_tui.py --snapshot-update``, then look at every
changed SVG.
"""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from stdnum.cl import rut
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Static

from gosocket_tui.db.models import SupplierLink
from gosocket_tui.services import bulk
from gosocket_tui.services.bulk import passes
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.dialogs.bulk_stop import StopDialog
from gosocket_tui.tui.dialogs.bulk_template import TemplateDialog
from gosocket_tui.tui.screens.bulk_import import (
    BulkImportResult,
    BulkImportScreen,
    open_bulk_import,
)
from gosocket_tui.tui.widgets.bulk_path import complete_path
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.flows import CORPUS, busy, open_bulk, process, screen_of
from tests.tui.helpers import RunBefore, SnapCompare, log_in, settle, wait_for

LANGS = pytest.mark.parametrize("lang", ["en", "es"])


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's folder as the working directory, with a few corpus files in it."""
    folder = tmp_path / "files"
    folder.mkdir()
    for name in ("bad_notify.csv", "utf8_bom_en.csv", "not_a_zip.xlsx", "windows1252_es.csv"):
        shutil.copy(CORPUS / name, folder / name)
    monkeypatch.chdir(folder)
    return folder


async def open_file(pilot: Pilot[Any], name: str) -> BulkImportScreen:
    screen = screen_of(pilot)
    await pilot.press(*name, "enter")
    await wait_for(pilot, lambda: screen.step in ("previewed", "choose") and not busy(screen))
    await settle(pilot)
    return screen


async def steady(pilot: Pilot[Any], timeout: float = 30) -> None:
    """Wait until the screen draws the same picture twice in a row.

    Tables size themselves on idle, a refresh after their rows arrive, and the body's anchor
    follows; on a busy machine a picture taken too early catches that half-way.
    """
    await settle(pilot)
    deadline = time.monotonic() + timeout
    previous = ""
    while time.monotonic() < deadline:
        await pilot.pause(0.1)
        current = pilot.app.export_screenshot()
        if current == previous:
            return
        previous = current
    raise AssertionError("the screen did not settle")


def shown(screen: BulkImportScreen, selector: str) -> str:
    widget = screen.query_one(selector, Static)
    return str(widget.render()) if widget.has_class("-shown") else ""


# ----------------------------------------------------------------------------- flows


async def test_preview_check_valid_only_import_and_summary(make: AppFactory, workdir: Path) -> None:
    results: list[object] = []
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot, results)
        screen = await open_file(pilot, "bad_notify.csv")
        assert screen.step == "previewed"
        assert 'CSV, UTF-8, separated by ","' in shown(screen, "#bulk-source")
        assert "A→Tax ID · B→Name · C→Email · D→Notify" in shown(screen, "#bulk-source")
        preview = screen.query_one("#bulk-preview", DataTable)
        assert preview.row_count == 5
        assert screen.query_one("#bulk-report-path", Input).value == "bad_notify_problems.csv"

        screen = await process(pilot)
        assert screen.step == "checked"
        assert "5 rows: 1 valid (1 new" in shown(screen, "#bulk-counts")
        issues = screen.query_one("#bulk-issues", DataTable)
        assert issues.row_count == 5
        assert screen.focused is issues
        assert 'Row 2, D (Notify*) "yes": Notify* must be 1' in shown(screen, "#bulk-issue-detail")
        await pilot.press("down")
        assert 'Row 3, D (Notify*) "2"' in shown(screen, "#bulk-issue-detail")
        assert screen.query_one("#bulk-import", Button).disabled

        screen.query_one("#bulk-valid-only", Checkbox).focus()
        await pilot.press("space")
        await settle(pilot)
        import_button = screen.query_one("#bulk-import", Button)
        assert not import_button.disabled
        assert "Import will save the 1 valid rows" in shown(screen, "#bulk-counts")
        import_button.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.step == "done")
        await settle(pilot)
        counts = shown(screen, "#bulk-counts")
        assert "Added: 1 · Updated: 0 · Skipped: 0 · Not imported (problems): 4" in counts
        assert "Invitations queued: 1" in counts
        assert screen.focused is screen.query_one("#bulk-close")
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, BulkImportScreen)
    (result,) = results
    assert isinstance(result, BulkImportResult)
    assert result.summary.added == 1
    assert [link.tax_id for link in SupplierLink.select()] == ["77100007K"]


async def test_all_valid_file_goes_straight_to_import(make: AppFactory, workdir: Path) -> None:
    async with make().run_test(size=(120, 40)) as pilot:
        await open_bulk(pilot)
        screen = await open_file(pilot, "utf8_bom_en.csv")
        screen = await process(pilot)
        assert "Ready: press Import to save them." in shown(screen, "#bulk-counts")
        assert screen.focused is screen.query_one("#bulk-import")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.step == "done")
        assert "Added: 4" in shown(screen, "#bulk-counts")
    assert SupplierLink.select().count() == 4


async def test_refused_file_is_explained(make: AppFactory, workdir: Path) -> None:
    async with make().run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        screen = await open_file(pilot, "not_a_zip.xlsx")
        assert screen.step == "choose"
        message = screen.query_one("#bulk-file-message", Static)
        assert message.has_class("-error")
        assert "not_a_zip.xlsx is not an Excel .xlsx file" in str(message.render())
        assert screen.query_one("#bulk-process", Button).disabled


async def test_changing_an_option_asks_for_a_new_check(make: AppFactory, workdir: Path) -> None:
    async with make().run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        await open_file(pilot, "windows1252_es.csv")
        screen = await process(pilot)
        assert screen.step == "checked" and screen.report is not None
        spool = screen.report._spool
        assert spool is not None
        from textual.widgets import Select

        screen.query_one("#bulk-policy", Select).value = "update"
        await settle(pilot)
        assert screen.step == "previewed"
        assert screen.report is None
        assert not spool.path.exists()
        assert "process the file again" in shown(screen, "#bulk-counts")


async def test_export_report(make: AppFactory, workdir: Path) -> None:
    async with make().run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        await open_file(pilot, "bad_notify.csv")
        screen = await process(pilot)
        screen.query_one("#bulk-report-path", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Report written" in shown(screen, "#bulk-summary"))
    lines = list(csv.reader((workdir / "bad_notify_problems.csv").open(encoding="utf-8-sig")))
    assert lines[0] == ["Row", "Column", "Value", "Problem", "Type"]
    assert len(lines) == 6


async def test_export_report_never_replaces_a_file(make: AppFactory, workdir: Path) -> None:
    """An existing file is not replaced, and the imported file never (output_files rules)."""
    original = (workdir / "bad_notify.csv").read_bytes()
    (workdir / "bad_notify_problems.csv").write_text("mine", encoding="utf-8")
    async with make().run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        await open_file(pilot, "bad_notify.csv")
        screen = await process(pilot)
        field = screen.query_one("#bulk-report-path", Input)
        field.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "already exists" in shown(screen, "#bulk-summary"))
        field.value = str(workdir / "bad_notify.csv")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "is the input file" in shown(screen, "#bulk-summary"))
    assert (workdir / "bad_notify_problems.csv").read_text(encoding="utf-8") == "mine"
    assert (workdir / "bad_notify.csv").read_bytes() == original


async def test_download_template(make: AppFactory, workdir: Path) -> None:
    async with make().run_test(size=(80, 24)) as pilot:
        screen = await open_bulk(pilot)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TemplateDialog))
        await settle(pilot)
        assert pilot.app.screen.query_one("#template-path", Input).value == (
            "suppliers_template.csv"
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        await settle(pilot)
        assert "Template written to suppliers_template.csv" in shown(screen, "#bulk-file-message")
    assert (
        (workdir / "suppliers_template.csv")
        .read_text(encoding="utf-8-sig")
        .startswith("Tax ID*,Name*")
    )


def big_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Tax ID*", "Name*", "Email*", "Notify*"])
        for i in range(rows):
            body = str(10_000_000 + i * 7)
            writer.writerow([body + rut.calc_check_digit(body), f"P {i}", f"p{i}@x.cl", "1"])


def slow_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow every progress report down so Escape lands mid-pass, whatever the machine."""
    monkeypatch.setattr(passes, "PROGRESS_EVERY_SECONDS", 0.0)
    original = BulkImportScreen._progress_from_worker

    def slow(self: BulkImportScreen, progress: bulk.Progress) -> None:
        time.sleep(0.2)
        original(self, progress)

    monkeypatch.setattr(BulkImportScreen, "_progress_from_worker", slow)


async def start_pass(pilot: Pilot[Any], stage: str) -> BulkImportScreen:
    """Open big.csv, then start its check or (after the check) its import."""
    await open_bulk(pilot)
    await open_file(pilot, "big.csv")
    screen = screen_of(pilot)
    if stage == "importing":
        screen = await process(pilot)
        assert screen.focused is screen.query_one("#bulk-import")
    await pilot.press("enter")
    assert screen.step == stage
    return screen


async def ask_to_stop(pilot: Pilot[Any], stage: str) -> StopDialog:
    await pilot.press("escape")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, StopDialog))
    dialog = pilot.app.screen
    assert isinstance(dialog, StopDialog)
    title = "Stop the check?" if stage == "checking" else "Stop the import?"
    assert str(dialog.query_one("#stop-dialog").border_title) == title
    return dialog


@pytest.mark.parametrize("stage", ["checking", "importing"])
async def test_escape_asks_and_stop_cancels_writing_nothing(
    make: AppFactory, workdir: Path, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    big_file(workdir / "big.csv", 3_000)
    slow_progress(monkeypatch)
    async with make().run_test(size=(80, 24)) as pilot:
        screen = await start_pass(pilot, stage)
        await ask_to_stop(pilot, stage)
        await pilot.press("enter")  # Stop, which has the focus
        await wait_for(pilot, lambda: not busy(screen) and screen.step == "previewed")
        await settle(pilot)
        assert "Cancelled: nothing was written." in shown(screen, "#bulk-counts")
        assert pilot.app.screen is screen  # Escape did not close it
        assert not screen.query_one("#bulk-process", Button).disabled  # it can run again
    assert SupplierLink.select().count() == 0


@pytest.mark.parametrize("stage", ["checking", "importing"])
async def test_escape_then_continue_lets_the_pass_finish(
    make: AppFactory, workdir: Path, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    big_file(workdir / "big.csv", 3_000)
    slow_progress(monkeypatch)
    async with make().run_test(size=(80, 24)) as pilot:
        screen = await start_pass(pilot, stage)
        await ask_to_stop(pilot, stage)
        await pilot.press("escape")  # Continue
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        await wait_for(pilot, lambda: not busy(screen) and screen.step != stage)
        await settle(pilot)
        if stage == "checking":
            assert screen.step == "checked"
            assert "3,000 rows: 3,000 valid" in shown(screen, "#bulk-counts")
        else:
            assert screen.step == "done"
            assert "Added: 3,000" in shown(screen, "#bulk-counts")
    assert SupplierLink.select().count() == (3_000 if stage == "importing" else 0)


@pytest.mark.parametrize("stage", ["checking", "importing"])
async def test_a_pass_that_ends_during_the_question_waits_for_the_answer(
    make: AppFactory, workdir: Path, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page under the dialog keeps still (no focus move a key meant for the dialog could
    hit); Stop then drops a finished check, and says that a finished import was too late."""
    big_file(workdir / "big.csv", 3_000)
    slow_progress(monkeypatch)
    async with make().run_test(size=(80, 24)) as pilot:
        screen = await start_pass(pilot, stage)
        focused = screen.focused
        dialog = await ask_to_stop(pilot, stage)
        await wait_for(pilot, lambda: not busy(screen))
        await settle(pilot)
        assert pilot.app.screen is dialog and screen.step == stage
        assert screen.focused is focused
        await pilot.press("enter")  # Stop
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        await settle(pilot)
        counts = shown(screen, "#bulk-counts")
        if stage == "checking":
            assert screen.step == "previewed" and screen.report is None
            assert "Cancelled: nothing was written." in counts
        else:
            assert screen.step == "done"
            assert "The import had already finished when it was stopped." in counts
            assert "Added: 3,000" in counts
    assert SupplierLink.select().count() == (3_000 if stage == "importing" else 0)


async def test_non_administrator_is_refused(make: AppFactory, workdir: Path) -> None:
    async with make().run_test(size=(80, 24)) as pilot:
        app = pilot.app
        assert isinstance(app, GosocketApp)
        await log_in(pilot, "carlos", PASSWORD)
        assert app.session is not None
        app.push_screen(BulkImportScreen(app.ctx, app.session))
        await settle(pilot)
        screen = await open_file(pilot, "utf8_bom_en.csv")
        screen = await process(pilot)
        assert "Only administrators can manage suppliers." in shown(screen, "#bulk-counts")
    assert SupplierLink.select().count() == 0


@pytest.mark.parametrize(("username", "opens"), [("ana", True), ("carlos", False)])
async def test_palette_helper_opens_for_administrators(
    make: AppFactory, username: str, opens: bool
) -> None:
    async with make().run_test(size=(80, 24)) as pilot:
        await log_in(pilot, username, PASSWORD)
        app = pilot.app
        assert isinstance(app, GosocketApp)
        open_bulk_import(app)
        await settle(pilot)
        assert isinstance(app.screen, BulkImportScreen) is opens


def test_path_completion(tmp_path: Path) -> None:
    (tmp_path / "proveedores").mkdir()
    (tmp_path / "proveedores.csv").write_text("x")
    (tmp_path / "proveedores.pdf").write_text("x")
    (tmp_path / ".oculto.csv").write_text("x")
    assert complete_path("prov", tmp_path) == "proveedores/"
    assert complete_path("proveedores.", tmp_path) == "proveedores.csv"
    assert complete_path("proveedores.p", tmp_path) is None
    assert complete_path(".ocu", tmp_path) == ".oculto.csv"
    assert complete_path("zz", tmp_path) is None
    assert complete_path(str(tmp_path) + "/proveedores.c") == str(tmp_path) + "/proveedores.csv"


# ------------------------------------------------------------------------- pictures


def step_preview(name: str = "bad_notify.csv") -> RunBefore:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_bulk(pilot)
        await open_file(pilot, name)
        screen = screen_of(pilot)
        await steady(pilot)
        screen.query_one("#bulk-body").scroll_home(animate=False)
        await steady(pilot)

    return run_before


def step_report() -> RunBefore:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_bulk(pilot)
        await open_file(pilot, "bad_notify.csv")
        await process(pilot)
        await steady(pilot)

    return run_before


def step_progress() -> RunBefore:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_bulk(pilot)
        await open_file(pilot, "utf8_bom_en.csv")
        screen = screen_of(pilot)
        # A frozen moment of a big check: figures that do not depend on the machine.
        screen._set_step("checking")
        screen.show_progress(bulk.Progress("validate", 420_000, 0.42, 35.0, 12_000.0, 48.3))
        await steady(pilot)

    return run_before


def step_summary() -> RunBefore:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_bulk(pilot)
        screen = await open_file(pilot, "utf8_bom_en.csv")
        await process(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.step == "done")
        await steady(pilot)

    return run_before


@LANGS
def test_snapshot_preview(
    snap_compare: SnapCompare, make: AppFactory, workdir: Path, lang: str
) -> None:
    assert snap_compare(make(lang=lang), terminal_size=(80, 24), run_before=step_preview())


def test_snapshot_preview_wide(snap_compare: SnapCompare, make: AppFactory, workdir: Path) -> None:
    run = step_preview("utf8_bom_en.csv")
    assert snap_compare(make(), terminal_size=(120, 40), run_before=run)


@LANGS
def test_snapshot_report(
    snap_compare: SnapCompare, make: AppFactory, workdir: Path, lang: str
) -> None:
    assert snap_compare(make(lang=lang), terminal_size=(80, 24), run_before=step_report())


def test_snapshot_report_wide(snap_compare: SnapCompare, make: AppFactory, workdir: Path) -> None:
    assert snap_compare(make(), terminal_size=(120, 40), run_before=step_report())


@LANGS
def test_snapshot_progress(
    snap_compare: SnapCompare, make: AppFactory, workdir: Path, lang: str
) -> None:
    assert snap_compare(make(lang=lang), terminal_size=(80, 24), run_before=step_progress())


@LANGS
def test_snapshot_summary(
    snap_compare: SnapCompare, make: AppFactory, workdir: Path, lang: str
) -> None:
    assert snap_compare(make(lang=lang), terminal_size=(80, 24), run_before=step_summary())


def test_snapshot_template_dialog(
    snap_compare: SnapCompare, make: AppFactory, workdir: Path
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_bulk(pilot)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TemplateDialog))
        await steady(pilot)

    assert snap_compare(make(), terminal_size=(80, 24), run_before=run_before)


@LANGS
def test_snapshot_stop_question(
    snap_compare: SnapCompare, make: AppFactory, workdir: Path, lang: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await step_progress()(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, StopDialog))
        await steady(pilot)

    assert snap_compare(make(lang=lang), terminal_size=(80, 24), run_before=run_before)
