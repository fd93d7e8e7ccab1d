"""Download template (Descargar plantilla): write the bulk template as CSV or Excel to a path.

A small dialog over the bulk import screen: the format, where to write it (completed like
the file path), Save. The file is written in a thread worker through
``bulk.write_template``; the dialog ends with the path written, or None (Escape).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select, Static

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _, get_language
from gosocket_tui.services.bulk import FileKind, write_template
from gosocket_tui.services.exchange import FilePlace
from gosocket_tui.tui.dialogs.base import Dialog
from gosocket_tui.tui.files import write_file
from gosocket_tui.tui.safe import text as safe_text
from gosocket_tui.tui.widgets.bulk_path import PathSuggester
from gosocket_tui.tui.workers import call_service


def default_template_name(fmt: str, lang: str) -> str:
    stem = "plantilla_proveedores" if lang == "es" else "suppliers_template"
    return f"{stem}.{fmt}"


class TemplateDialog(Dialog[Path | None]):
    """Choose CSV or Excel and a path; the template is written there."""

    CSS_PATH = "bulk_template.tcss"
    FRAME_ID = "template-dialog"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, folder: Path | None = None, files: FilePlace | None = None) -> None:
        super().__init__()
        self.files = files or FilePlace()
        self.folder = None if self.files.confined else folder
        self._lang = get_language()

    def _default_path(self, fmt: str) -> str:
        name = default_template_name(fmt, self._lang)
        return str(self.folder / name) if self.folder else name

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(_("Format"))
            yield Select(
                [(_("CSV (opens in Excel)"), "csv"), (_("Excel workbook (.xlsx)"), "xlsx")],
                value="csv",
                allow_blank=False,
                compact=True,
                id="template-format",
            )
        with Horizontal(classes="row"):
            yield Label(_("Save as"))
            yield Input(
                self._default_path("csv"),
                suggester=None if self.files.confined else PathSuggester(),
                compact=True,
                id="template-path",
            )
        yield Static(
            _(
                "Columns: Tax ID*, Name*, Description, Address, City, Province, Phone, "
                "Fax, Email*, Groups, Notify* (1 = send the invitation now, 0 = not yet), "
                "Country."
            ),
            id="template-note",
        )
        with Horizontal(classes="dialog-buttons", id="template-buttons"):
            yield Button(_("Save"), variant="primary", compact=True, id="template-save")
            yield Button(_("Cancel"), compact=True, id="template-cancel")

    def on_mount(self) -> None:
        self.query_one("#template-dialog").border_title = _("Download template")
        self.query_one("#template-path", Input).focus()

    @property
    def fmt(self) -> str:
        value = self.query_one("#template-format", Select).value
        return "xlsx" if value == "xlsx" else "csv"

    @on(Select.Changed, "#template-format")
    def _format_changed(self) -> None:
        field = self.query_one("#template-path", Input)
        current = Path(field.value)
        if current.suffix.lower() in (".csv", ".xlsx"):
            field.value = str(current.with_suffix("." + self.fmt))

    @on(Input.Submitted, "#template-path")
    @on(Button.Pressed, "#template-save")
    def action_save(self) -> None:
        raw = self.query_one("#template-path", Input).value.strip()
        if not raw:
            self._note(_("Enter where to save the template."), error=True)
            return
        if Path(raw).suffix.lower() not in (".csv", ".xlsx"):
            raw = raw + "." + self.fmt
        self.query_one("#template-save", Button).disabled = True
        self._write(raw, self.fmt, self._lang)

    def _note(self, message: str, *, error: bool = False) -> None:
        note = self.query_one("#template-note", Static)
        note.update(safe_text(message))
        note.set_class(error, "-error")

    def _write(self, raw: str, fmt: str, lang: str) -> None:
        files = self.files
        template_kind: FileKind = "xlsx" if fmt == "xlsx" else "csv"
        call_service(
            self,
            lambda: write_file(
                files, raw, lambda staging: write_template(staging, template_kind, lang)
            ),
            self._written,
            self._failed,
            group="bulk-template",
        )

    def _written(self, path: Path) -> None:
        self.query_one("#template-save", Button).disabled = False
        self.dismiss(path)

    def _failed(self, error: GosocketError) -> None:
        self.query_one("#template-save", Button).disabled = False
        self._note(error.message, error=True)

    @on(Button.Pressed, "#template-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
