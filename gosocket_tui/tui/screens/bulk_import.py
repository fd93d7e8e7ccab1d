"""Bulk add suppliers (Agregar Proveedores Masivo): file → preview → check → import → summary.

The steps of the help article's bulk registration, keyboard only:

1. Type the file's path (→ completes it) and press Enter, or paste rows copied from a
   spreadsheet (the terminal's paste, anywhere on the screen but the report field): the first
   rows are shown with what was detected (CSV encoding and separator, the Excel sheet, or the
   pasted rows' header) and which column became which field. Pasted rows then go through the
   same check and import as a file. "Download template" writes the CSV or Excel template.
2. Choose what happens to suppliers already in the list and the country of rows without one,
   then "Process file": every row is checked (nothing is written) with a progress bar; the
   problems are listed by row, column and value, and can be exported as CSV.
3. "Import" writes everything in one transaction (or, ticked, only the valid rows) and ends
   with a summary: added, updated, skipped, invitations queued.

Services run in thread workers; Escape during a check or an import asks whether to stop it
(``StopDialog``); Stop cancels it (the transaction is rolled back, nothing is written) and the
screen says so. Otherwise Escape closes the screen. The screen is dismissed with
the :class:`BulkImportResult` of an import (so the suppliers table can reload), or None. File
values are shown through ``safe.text`` only: a cell may hold markup or escape sequences.

This module is the steps and their state; beside it, ``bulk_layout`` (the page and its
words), ``bulk_tables`` (the preview and problem tables), ``bulk_panes`` (the progress, counts
and summary sentences) and ``bulk_files`` (what the workers read and write).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, Checkbox, DataTable, Input, ProgressBar, Select, Static
from textual.worker import get_current_worker

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _
from gosocket_tui.services import bulk as bulk_import
from gosocket_tui.services.bulk import RawRow, SourceInfo
from gosocket_tui.services.exchange import FilePlace
from gosocket_tui.tui.dialogs.bulk_stop import StopDialog
from gosocket_tui.tui.dialogs.bulk_template import TemplateDialog
from gosocket_tui.tui.files import with_fetch_hint
from gosocket_tui.tui.host import host
from gosocket_tui.tui.safe import text as safe_text
from gosocket_tui.tui.screens.bulk_files import (
    PastePreview,
    Preview,
    exchange_line,
    exchange_names,
    read_pasted,
    read_preview,
    write_problems,
)
from gosocket_tui.tui.screens.bulk_layout import (
    bulk_page,
    label_page,
    paste_area_text,
    read_options,
)
from gosocket_tui.tui.screens.bulk_panes import (
    counts_lines,
    issues_note,
    progress_line,
    summary_text,
)
from gosocket_tui.tui.screens.bulk_tables import (
    fill_issues,
    fill_preview,
    issue_detail,
    shown_issues,
    source_lines,
)
from gosocket_tui.tui.widgets.bulk_paste import PasteArea
from gosocket_tui.tui.widgets.bulk_path import ExchangeSuggester, PathSuggester
from gosocket_tui.tui.workers import call_service, from_worker

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

Step = Literal["choose", "opening", "previewed", "checking", "checked", "importing", "done"]
Source = Path | bulk_import.PastedText
T = TypeVar("T")


@dataclass(frozen=True)
class BulkImportResult:
    """What an import wrote; the suppliers table reloads when it gets one."""

    summary: bulk_import.ImportSummary


class BulkImportScreen(Screen["BulkImportResult | None"]):
    """Bulk add suppliers from a CSV or Excel file (administrators)."""

    CSS_PATH = "bulk_import.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+t", "template", "Download template"),
    ]

    def __init__(self, ctx: ServiceContext, session: Session, *, path: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self._initial_session = session
        self._initial_path = path
        self.step: Step = "choose"
        self.path: Path | None = None
        self.pasted: bulk_import.PastedText | None = None
        self.info: SourceInfo | None = None
        self.report: bulk_import.ValidationReport | None = None
        self.summary: bulk_import.ImportSummary | None = None
        self._cancelling = False
        self._question: StopDialog | None = None
        self._held: tuple[Callable[[Any], None], Any] | None = None

    @property
    def files(self) -> FilePlace:
        """Where this session reads and writes: the exchange folder when remote."""
        return host(self).files_for(self.session)

    @property
    def session(self) -> Session:
        """The app's current session (kept fresh by key presses), else the one given."""
        current = host(self).session
        return current if current is not None else self._initial_session

    # ----------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        country = self._initial_session.company_country
        yield from bulk_page(self._initial_path, self._suggester, country)

    def _suggester(self) -> Suggester:
        files = self.files
        return ExchangeSuggester(files) if files.confined else PathSuggester()

    def on_mount(self) -> None:
        self._list_exchange()
        self.relabel()
        self.query_one("#bulk-path", Input).focus()
        if self._initial_path:
            self.action_open()

    def relabel(self) -> None:
        """Every label in the current language (after a language switch too)."""
        label_page(self, confined=self.files.confined)
        self._show_paste_area()

    def _show_paste_area(self) -> None:
        rows = self.pasted.rows if self.pasted is not None else None
        self.query_one("#bulk-paste", PasteArea).update(paste_area_text(rows))

    @property
    def source(self) -> Source | None:
        """What the check and the import read: the pasted rows, else the file previewed."""
        return self.pasted if self.pasted is not None else self.path

    def _show(self, selector: str, shown: bool = True) -> None:
        self.query_one(selector).set_class(shown, "-shown")

    def _message(self, selector: str, message: str, kind: str = "") -> None:
        widget = self.query_one(selector, Static)
        widget.update(safe_text(message, keep_newlines=True))
        widget.set_class(kind == "error", "-error")
        widget.set_class(kind == "ok", "-ok")
        self._show(selector, bool(message))

    def _set_step(self, step: Step) -> None:
        self.step = step
        busy = step in ("opening", "checking", "importing")
        report = self.report
        valid_only = self.query_one("#bulk-valid-only", Checkbox).value
        can_import = (
            step == "checked"
            and report is not None
            and report.valid > 0
            and (report.ok or valid_only)
        )
        self._disable("#bulk-process", busy or step in ("choose", "done"))
        self._disable("#bulk-import", not can_import)
        for selector in (
            "#bulk-path",
            "#bulk-open",
            "#bulk-paste",
            "#bulk-policy",
            "#bulk-country",
            "#bulk-valid-only",
        ):
            self._disable(selector, busy or step == "done")
        self._show("#bulk-progress", busy and step != "opening")
        self._show("#bulk-progress-text", busy and step != "opening")
        if step in ("checking", "importing"):
            self.call_after_refresh(self._scroll_to_progress)
        self.refresh_bindings()

    def _disable(self, selector: str, disabled: bool) -> None:
        """Grey a control out, unless it has the focus: Textual would move the focus on its
        own (and scroll the page to it); every action checks the step, so it stays inert."""
        widget = self.query_one(selector)
        if disabled and widget is self.focused:
            return
        widget.disabled = disabled

    def _scroll_to_progress(self) -> None:
        if self.step in ("checking", "importing"):  # a short pass may be over already
            self.query_one("#bulk-progress-text").scroll_visible(animate=False)

    # ------------------------------------------------------------------ 1. the file

    def _list_exchange(self) -> None:
        """In a remote session, list the exchange folder: the files there are the choice."""
        files = self.files
        if not files.confined:
            return

        call_service(
            self,
            lambda: exchange_names(files),
            self._listed,
            self._list_failed,
            group="bulk-exchange",
        )

    def _list_failed(self, error: GosocketError) -> None:
        self._message("#bulk-exchange", error.message, "error")

    def _listed(self, names: list[str]) -> None:
        self._message("#bulk-exchange", exchange_line(names))

    @on(Input.Submitted, "#bulk-path")
    @on(Button.Pressed, "#bulk-open")
    def action_open(self) -> None:
        raw = self.query_one("#bulk-path", Input).value.strip()
        if not raw or self.step in ("opening", "checking", "importing"):
            return
        self._forget_report()
        self._forget_paste()
        self._set_step("opening")
        self._message("#bulk-file-message", _("Reading {name}…", name=Path(raw).name))
        self._open(raw)

    def _open(self, raw: str) -> None:
        files, config = self.files, self.ctx.config
        call_service(
            self,
            lambda: read_preview(files, raw, config),
            self._opened,
            self._open_failed,
            group="bulk-open",
        )

    def _open_failed(self, error: GosocketError) -> None:
        self.path = None
        self.info = None
        self._message("#bulk-file-message", error.message, "error")
        self._show("#bulk-source", False)
        self._show("#bulk-preview", False)
        self._set_step("choose")

    def _opened(self, opened: Preview) -> None:
        path, info, rows = opened
        self.path = path
        self.info = info
        self._message("#bulk-file-message", "")
        self._show_source(path, info)
        self._show_preview(info, rows)
        report_path = path.with_name(path.stem + "_problems.csv")
        self.query_one("#bulk-report-path", Input).value = (
            report_path.name if self.files.confined else str(report_path)
        )
        self._set_step("previewed")
        self.query_one("#bulk-process", Button).focus()

    # ------------------------------------------------------------ 1. or pasted rows

    def on_paste(self, event: events.Paste) -> None:
        """Rows pasted anywhere on the screen (the file field lets rows through): read them.

        The text is never shown as it came: the service reads it and the preview shows its
        cells through ``safe.text``.
        """
        event.stop()
        if not event.text.strip():
            return
        if self.step in ("opening", "checking", "importing", "done"):
            message = _("Wait until the check or import ends, then paste again.")
            if self.step == "done":
                message = _("This import is finished: close the screen to start another one.")
            self._message("#bulk-file-message", message, "error")
            return
        self._forget_report()
        self._forget_paste()
        self._set_step("opening")
        self._message("#bulk-file-message", _("Reading the pasted rows…"))
        files, config, text = self.files, self.ctx.config, event.text
        call_service(
            self,
            lambda: read_pasted(files, text, config),
            self._pasted,
            self._open_failed,
            group="bulk-open",
        )

    def _pasted(self, pasted: PastePreview) -> None:
        rows, info, preview = pasted
        self.pasted = rows
        self.path = None
        self.info = info
        self._message("#bulk-file-message", "")
        self._show_source(rows.path, info)
        self._show_preview(info, preview)
        self._show_paste_area()
        self.query_one("#bulk-report-path", Input).value = _("pasted_rows_problems.csv")
        self._set_step("previewed")
        self.query_one("#bulk-process", Button).focus()

    def _forget_paste(self) -> None:
        if self.pasted is not None:
            self.pasted.discard()
            self.pasted = None
            self._show_paste_area()

    def _show_source(self, path: Path, info: SourceInfo) -> None:
        self._message("#bulk-source", source_lines(path, info))

    def _show_preview(self, info: SourceInfo, rows: list[RawRow]) -> None:
        fill_preview(self.query_one("#bulk-preview", DataTable), info, rows)
        self._show("#bulk-preview", bool(rows))

    # ----------------------------------------------------------------- 2. the check

    @on(Select.Changed, "#bulk-policy")
    @on(Select.Changed, "#bulk-country")
    def _options_changed(self) -> None:
        """A checked report no longer says what the import would do: check again."""
        if self.step == "checked":
            self._forget_report()
            self._set_step("previewed")
            self._message(
                "#bulk-counts", _("The options changed: process the file again."), "error"
            )

    @on(Checkbox.Changed, "#bulk-valid-only")
    def _valid_only_changed(self) -> None:
        if self.step == "checked":
            self._set_step("checked")
            self._show_counts()

    def _field_names(self, path: Path) -> bool:
        """Whether the file field still names ``path`` (the file previewed)."""
        try:
            return self.files.named(self.query_one("#bulk-path", Input).value) == path
        except GosocketError:
            return False

    @on(Button.Pressed, "#bulk-process")
    def action_process(self) -> None:
        source = self.source
        if self.step not in ("previewed", "checked") or source is None:
            return
        if isinstance(source, Path) and not self._field_names(source):
            self.action_open()  # the path was edited: preview the new file first
            return
        self._forget_report()
        self._set_step("checking")
        self.show_progress(bulk_import.Progress("validate", 0, 0.0, 0.0, 0.0, None))
        self._check(self.session, source, read_options(self))

    def _check(self, session: Session, source: Source, options: bulk_import.ImportOptions) -> None:
        ctx = self.ctx
        call_service(
            self,
            lambda: bulk_import.validate(
                ctx, session, source, options, progress=self._progress_from_worker
            ),
            lambda report: self._when_answered(self._checked, report),
            lambda error: self._when_answered(self._check_failed, error),
            group="bulk-run",
        )

    def _progress_from_worker(self, progress: bulk_import.Progress) -> None:
        """Called by the service in the worker thread; raising stops it (and rolls back).

        Escape asks for the stop with ``_cancelling`` rather than by cancelling the worker:
        its outcome (cancelled, or done if it was already committing) must still arrive.
        """
        if self._cancelling or get_current_worker().is_cancelled:
            raise bulk_import.ImportCancelled(_("Cancelled: nothing was written."))
        from_worker(self, self.show_progress, progress)

    def show_progress(self, progress: bulk_import.Progress) -> None:
        """Draw a pass's progress: bar, rows, speed and time left."""
        self.query_one("#bulk-progress", ProgressBar).update(progress=progress.fraction * 100)
        self._message("#bulk-progress-text", progress_line(progress))

    def _was_cancelled(self, outcome: object) -> bool:
        """Escape was pressed while the worker ran: say so, and drop a late report."""
        if not self._cancelling:
            return False
        self._cancelling = False
        if isinstance(outcome, bulk_import.ValidationReport):
            outcome.discard()
        self._set_step("previewed" if self.source is not None else "choose")
        self._message("#bulk-counts", _("Cancelled: nothing was written."), "error")
        return True

    def _check_failed(self, error: GosocketError) -> None:
        if self._was_cancelled(error):
            return
        self._set_step("previewed")
        self._message("#bulk-counts", error.message, "error")
        self._show("#bulk-issues", False)
        self._show("#bulk-export-row", False)
        self._message("#bulk-issue-detail", "")

    def _checked(self, report: bulk_import.ValidationReport) -> None:
        if self._was_cancelled(report):
            return
        self.report = report
        self._set_step("checked")
        self._show_counts()
        self._show_issues(report)
        button = self.query_one("#bulk-import", Button)
        if not button.disabled:
            self._focus_result(button)
        elif report.issues:
            self._focus_result(self.query_one("#bulk-issues", DataTable))
        else:
            self._focus_result(self.query_one("#bulk-process", Button))

    def _focus_result(self, widget: Widget) -> None:
        """Focus ``widget`` and show the end of the page, where the outcome is.

        The tables get explicit heights (see ``_size_table``), so the page's length is
        known at the next refresh and the scroll lands at the same place every time.
        """
        self.set_focus(widget, scroll_visible=False)
        body = self.query_one("#bulk-body", VerticalScroll)
        self.call_after_refresh(body.scroll_end, animate=False)

    def _show_counts(self) -> None:
        report = self.report
        if report is None:
            return
        valid_only = self.query_one("#bulk-valid-only", Checkbox).value
        self._message("#bulk-counts", *counts_lines(report, valid_only))

    def _show_issues(self, report: bulk_import.ValidationReport) -> None:
        fill_issues(self.query_one("#bulk-issues", DataTable), report)
        shown = bool(report.issues)
        self._show("#bulk-issues", shown)
        self._show_issue(0)
        self._show("#bulk-export-row", shown)
        self._message("#bulk-summary", issues_note(report, shown_issues(report)))

    def _show_issue(self, index: int) -> None:
        """The highlighted problem in full under the table (table cells are cut short)."""
        report = self.report
        if report is None or not 0 <= index < shown_issues(report):
            self._message("#bulk-issue-detail", "")
            return
        self._message("#bulk-issue-detail", issue_detail(report.issues[index]))

    @on(DataTable.RowHighlighted, "#bulk-issues")
    def _issue_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_issue(event.cursor_row)

    # ------------------------------------------------------------- export the report

    @on(Input.Submitted, "#bulk-report-path")
    @on(Button.Pressed, "#bulk-export")
    def action_export(self) -> None:
        report = self.report
        raw = self.query_one("#bulk-report-path", Input).value.strip()
        if report is None or not raw:
            return
        files, source = self.files, self.path
        call_service(
            self,
            lambda: write_problems(files, raw, source, report),
            self._exported,
            self._export_failed,
            group="bulk-export",
        )

    def _exported(self, path: Path) -> None:
        shown = self.files.shown(path)
        written = _("Report written to {path}", path=shown)
        self._message("#bulk-summary", with_fetch_hint(self.app, self.files, written, shown), "ok")
        self._list_exchange()

    def _export_failed(self, error: GosocketError) -> None:
        self._message("#bulk-summary", error.message, "error")

    # ---------------------------------------------------------------- 3. the import

    @on(Button.Pressed, "#bulk-import")
    def action_import(self) -> None:
        report, source = self.report, self.source
        if self.step != "checked" or report is None or source is None:
            return
        if self.query_one("#bulk-import", Button).disabled:
            return
        self._set_step("importing")
        self.show_progress(bulk_import.Progress("import", 0, 0.0, 0.0, 0.0, None))
        self._import(self.session, source, read_options(self), report)

    def _import(
        self,
        session: Session,
        source: Source,
        options: bulk_import.ImportOptions,
        report: bulk_import.ValidationReport,
    ) -> None:
        ctx, files = self.ctx, self.files

        def run() -> bulk_import.ImportSummary:
            read: Source = source
            if isinstance(source, Path) and files.confined:
                # In the exchange folder the name is checked again: never a link swapped in.
                read = files.source(source.name)
            return bulk_import.import_file(
                ctx, session, read, options, progress=self._progress_from_worker, validated=report
            )

        call_service(
            self,
            run,
            lambda summary: self._when_answered(self._imported, summary),
            lambda error: self._when_answered(self._import_failed, error),
            group="bulk-run",
        )

    def _import_failed(self, error: GosocketError) -> None:
        if self._was_cancelled(error):
            return
        if isinstance(error, bulk_import.ImportRefused):
            # The list changed since the check (e.g. policy "error" and a new supplier).
            self._forget_report()
            self.report = error.report
            self._set_step("previewed")
            self._show_issues(error.report)
            self._message("#bulk-counts", error.message, "error")
            return
        self._set_step("checked")
        self._message("#bulk-counts", error.message, "error")

    def _imported(self, summary: bulk_import.ImportSummary) -> None:
        too_late = self._cancelling  # Stop came after the import was committed
        self._cancelling = False
        self.summary = summary
        self._forget_report()
        self._forget_paste()
        self._focus_result(self.query_one("#bulk-close", Button))  # before Import greys out
        self._set_step("done")
        self._show_summary(summary, too_late)

    def _show_summary(self, summary: bulk_import.ImportSummary, too_late: bool) -> None:
        text = summary_text(summary)
        if too_late:
            text = _("The import had already finished when it was stopped.") + "\n" + text
        self._message("#bulk-counts", text, "ok")
        self._show("#bulk-issues", False)
        self._show("#bulk-export-row", False)
        self._message("#bulk-issue-detail", "")
        self._message("#bulk-summary", "")

    # ------------------------------------------------------------------- leaving

    def _forget_report(self) -> None:
        if self.report is not None:
            self.report.discard()
        self.report = None

    def action_close(self) -> None:
        """Escape: ask whether to stop a running check or import, else close the screen."""
        if self.step == "checking" or self.step == "importing":
            if not self._cancelling and self._question is None:
                self._question = StopDialog(self.step)
                self.app.push_screen(self._question, self._stop_answered)
            return
        if self.step == "opening":
            return
        self._forget_report()
        self._forget_paste()
        self.dismiss(BulkImportResult(self.summary) if self.summary is not None else None)

    def _when_answered(self, handler: Callable[[T], None], outcome: T) -> None:
        """Deliver a pass's outcome now, or after the stop question is answered (the page
        under the dialog keeps still, and the answer decides what the outcome means)."""
        if self._question is not None:
            self._held = (handler, outcome)
            return
        handler(outcome)

    def _stop_answered(self, stop: bool | None) -> None:
        """Stop: the worker stops at its next progress report and the transaction is rolled
        back; its outcome (cancelled, or done if it was already committed) follows."""
        self._question = None
        held, self._held = self._held, None
        if stop:
            self._cancelling = True
            if held is None:
                self._message("#bulk-progress-text", _("Cancelling…"))
        if held is not None:
            handler, outcome = held
            handler(outcome)

    @on(Button.Pressed, "#bulk-close")
    def _close_pressed(self) -> None:
        self.action_close()

    @on(Button.Pressed, "#bulk-template")
    def action_template(self) -> None:
        folder = self.path.parent if self.path is not None else None
        self.app.push_screen(TemplateDialog(folder, self.files), self._template_written)

    def _template_written(self, path: Path | None) -> None:
        if path is not None:
            shown = self.files.shown(path)
            written = _("Template written to {path}", path=shown)
            self._message(
                "#bulk-file-message", with_fetch_hint(self.app, self.files, written, shown), "ok"
            )

    def on_unmount(self) -> None:
        self._forget_report()
        if self.pasted is not None:
            self.pasted.discard()


def open_bulk_import(app: App[Any]) -> None:
    """Push the screen for the logged-in user (the command palette's "Bulk add suppliers").

    Offered to administrators only; the service refuses anyone else anyway.
    """
    session = host(app).session
    if session is None or not session.is_admin:
        return
    if not isinstance(app.screen, BulkImportScreen):
        app.push_screen(BulkImportScreen(host(app).ctx, session))
