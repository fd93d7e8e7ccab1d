"""The bulk screen's page: its widgets from top to bottom, their words, what its options say.

Sections with the class ``bulk-section`` stay hidden (``bulk_import.tcss``) until the screen
gives them ``-shown``; the screen finds every widget by its id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import Button, Checkbox, DataTable, Input, Label, ProgressBar, Select, Static

from gosocket_tui.i18n import _, format_int
from gosocket_tui.services import bulk as bulk_import
from gosocket_tui.services.taxid import country_choices
from gosocket_tui.tui.widgets.bulk_paste import PasteArea, PathInput
from gosocket_tui.tui.widgets.footer import KeyFooter

POLICY_LABELS: dict[bulk_import.Policy, str] = {
    "skip": "Skip them (leave as they are)",
    "update": "Update their contact data",
    "error": "Report them as problems",
}


def bulk_page(path: str, suggester: Callable[[], Suggester], country: str) -> ComposeResult:
    """The page, with ``path`` in the file field and ``country`` as the default country."""
    yield Static(id="bulk-brand", classes="brand")
    with VerticalScroll(id="bulk-body"):
        yield Static(id="bulk-intro", classes="bulk-text bulk-muted")
        with Horizontal(classes="bulk-row"):
            yield Label(id="bulk-path-label")
            yield PathInput(
                path,
                suggester=suggester(),
                compact=True,
                id="bulk-path",
            )
            yield Button(compact=True, id="bulk-open")
            yield Button(compact=True, id="bulk-template")
        with Horizontal(classes="bulk-row"):
            yield Label(id="bulk-paste-label")
            yield PasteArea(id="bulk-paste")
        yield Static(id="bulk-exchange", classes="bulk-text bulk-muted bulk-section")
        yield Static(id="bulk-file-message", classes="bulk-text bulk-section")
        yield Static(id="bulk-source", classes="bulk-text bulk-section")
        yield DataTable(
            id="bulk-preview",
            classes="bulk-section",
            show_cursor=False,
            zebra_stripes=True,
        )
        with Grid(id="bulk-options"):
            yield Label(id="bulk-policy-label")
            yield Select[str](
                [(_(label), value) for value, label in POLICY_LABELS.items()],
                value="skip",
                allow_blank=False,
                compact=True,
                id="bulk-policy",
            )
            yield Label(id="bulk-country-label")
            yield Select[str](
                country_choices(),
                value=country,
                allow_blank=False,
                compact=True,
                id="bulk-country",
            )
        yield Checkbox(compact=True, id="bulk-valid-only")
        with Horizontal(classes="bulk-actions"):
            yield Button(variant="primary", compact=True, id="bulk-process", disabled=True)
        yield ProgressBar(total=100, show_eta=False, id="bulk-progress", classes="bulk-section")
        yield Static(id="bulk-progress-text", classes="bulk-text bulk-section")
        yield Static(id="bulk-counts", classes="bulk-text bulk-section")
        yield DataTable(
            id="bulk-issues", classes="bulk-section", cursor_type="row", zebra_stripes=True
        )
        yield Static(id="bulk-issue-detail", classes="bulk-text bulk-section")
        with Horizontal(id="bulk-export-row", classes="bulk-row bulk-section"):
            yield Label(id="bulk-report-label")
            yield Input(suggester=suggester(), compact=True, id="bulk-report-path")
            yield Button(compact=True, id="bulk-export")
        yield Static(id="bulk-summary", classes="bulk-text bulk-section")
        with Horizontal(classes="bulk-actions"):
            yield Button(variant="success", compact=True, id="bulk-import", disabled=True)
            yield Button(compact=True, id="bulk-close")
    yield KeyFooter()


def label_page(screen: Screen[Any], *, confined: bool) -> None:
    """Every label of the page in the current language (after a language switch too);
    ``confined``: the session reads only its exchange inbox, so it names a file there."""
    screen.query_one("#bulk-brand", Static).update(_("Bulk add suppliers"))
    screen.query_one("#bulk-intro", Static).update(
        _(
            "Register many suppliers from a CSV or Excel (.xlsx) file with the template's "
            "columns. Nothing is saved until you press Import."
        )
    )
    screen.query_one("#bulk-path-label", Label).update(_("File"))
    screen.query_one("#bulk-path", Input).placeholder = (
        _("name of a file in your inbox (→ completes)")
        if confined
        else _("path to the file (→ completes)")
    )
    screen.query_one("#bulk-paste-label", Label).update(_("Paste"))
    screen.query_one("#bulk-open", Button).label = _("Open")
    screen.query_one("#bulk-template", Button).label = _("Download template")
    screen.query_one("#bulk-policy-label", Label).update(_("Existing suppliers"))
    policy = screen.query_one("#bulk-policy", Select)
    current = policy.value if isinstance(policy.value, str) else "skip"
    policy.set_options([(_(label), value) for value, label in POLICY_LABELS.items()])
    policy.value = current
    screen.query_one("#bulk-country-label", Label).update(_("Default country"))
    screen.query_one("#bulk-valid-only", Checkbox).label = _(
        "Import only the valid rows (skip the rows with problems)"
    )
    screen.query_one("#bulk-process", Button).label = _("Process file")
    screen.query_one("#bulk-import", Button).label = _("Import")
    screen.query_one("#bulk-close", Button).label = _("Close")
    screen.query_one("#bulk-report-label", Label).update(_("Report file"))
    screen.query_one("#bulk-export", Button).label = _("Export report")
    for button in screen.query(Button):
        button.refresh(layout=True)


def paste_area_text(rows: int | None) -> str:
    """What the paste line says: how to paste, or how many rows the paste held."""
    if rows is None:
        return _("or paste rows here (Ctrl+Shift+V / your terminal's paste)")
    return _(
        "{rows} rows pasted · paste again to replace them",
        rows=format_int(rows),
    )


def read_options(screen: Screen[Any]) -> bulk_import.ImportOptions:
    """What the page's options say: existing suppliers, default country, valid rows only."""
    policy_value = screen.query_one("#bulk-policy", Select).value
    policy: bulk_import.Policy = "skip"
    if policy_value == "update":
        policy = "update"
    elif policy_value == "error":
        policy = "error"
    country = screen.query_one("#bulk-country", Select).value
    return bulk_import.ImportOptions(
        default_country=country if isinstance(country, str) else "",
        on_existing=policy,
        valid_only=screen.query_one("#bulk-valid-only", Checkbox).value,
    )
