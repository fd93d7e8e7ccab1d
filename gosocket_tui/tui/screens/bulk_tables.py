"""What the bulk screen shows of a file: the columns detected, the first rows, the problems.

Every value comes from the file and may hold markup or escape sequences: it reaches a table
or a line only through ``safe.text`` (or ``safe.plain``), cut to :data:`PREVIEW_CELL`.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from gosocket_tui.i18n import _
from gosocket_tui.services import bulk as bulk_import
from gosocket_tui.services.bulk import RawRow, SourceInfo, header_label
from gosocket_tui.tui.safe import plain
from gosocket_tui.tui.safe import text as safe_text

PREVIEW_ROWS = 5
PREVIEW_CELL = 24
SHOWN_ISSUES = 1_000  # the table's share of the report; the CSV export has them all
TABLE_ROWS = 8  # rows a table shows before it scrolls


def cell(value: str) -> str:
    """A file value on one line, cut to :data:`PREVIEW_CELL` with an ellipsis."""
    flat = plain(value)
    return flat if len(flat) <= PREVIEW_CELL else flat[: PREVIEW_CELL - 1] + "…"


def size_table(table: DataTable[object], rows: int) -> None:
    """Give a table its height now (header, rows, a line for the horizontal scrollbar).

    With ``height: auto`` a DataTable measures itself a refresh after its rows arrive, so
    the page below it moved once more after any scroll meant to show it.
    """
    table.styles.height = min(rows, TABLE_ROWS) + 2


def source_lines(path: Path, info: SourceInfo) -> str:
    """What was detected: the file's kind, which column became which field, the warnings."""
    mapped = [
        f"{c.letter}→{header_label(c.field, marked=False)}"
        for c in info.columns
        if c.field is not None
    ]
    lines = [
        f"{path.name}: {info.describe()}",
        _("Columns: {columns}", columns=" · ".join(mapped)),
    ]
    if not info.has_country:
        lines.append(_("No Country column: every row takes the default country below."))
    lines += [f"⚠ {warning}" for warning in info.warnings]
    return "\n".join(lines)


def fill_preview(table: DataTable[object], info: SourceInfo, rows: list[RawRow]) -> None:
    """The first rows, one column per mapped field, headed by its letter and header."""
    table.clear(columns=True)
    columns = [c for c in info.columns if c.field is not None]
    table.add_column(_("Row"), key="row")
    for column in columns:
        table.add_column(safe_text(f"{column.letter} {cell(column.header)}"), key=column.letter)
    for row in rows:
        table.add_row(
            str(row.row_number),
            *(safe_text(cell(row.values.get(c.field or "", ""))) for c in columns),
        )
    size_table(table, len(rows))


def shown_issues(report: bulk_import.ValidationReport) -> int:
    """How many problems the table lists (the export has them all)."""
    return min(len(report.issues), SHOWN_ISSUES)


def fill_issues(table: DataTable[object], report: bulk_import.ValidationReport) -> None:
    """The problems by row, column and value (warnings marked ⚠)."""
    table.clear(columns=True)
    for label, key in (
        (_("Row"), "row"),
        (_("Column"), "column"),
        (_("Value"), "value"),
        (_("Problem"), "problem"),
    ):
        table.add_column(label, key=key)
    for issue in report.issues[:SHOWN_ISSUES]:
        problem = issue.message if issue.severity == "error" else "⚠ " + issue.message
        table.add_row(
            str(issue.row),
            safe_text(issue.column),
            safe_text(cell(issue.value)),
            safe_text(problem),
        )
    size_table(table, shown_issues(report))


def issue_detail(issue: bulk_import.Issue) -> str:
    """One problem in full, for under the table (table cells are cut short)."""
    where = _("Row {row}", row=issue.row) + (f", {issue.column}" if issue.column else "")
    value = f' "{plain(issue.value)}"' if issue.value else ""
    return f"{where}{value}: {issue.message}"
