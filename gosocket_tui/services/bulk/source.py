"""An opened supplier file: what was detected about it, its rows, and the shared row logic.

Row numbers are what the user sees in a spreadsheet: the header is row 1 and every record is
one row, even when a quoted cell holds a line break (Excel shows that as one row), and blank
lines count as (empty) rows. For CSV, ``RawRow.line`` additionally gives the physical line where
the record starts, for users who open the file in a text editor.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Final, Literal, TypeVar

from openpyxl.utils import get_column_letter

from gosocket_tui.i18n import _
from gosocket_tui.services.bulk.headers import FIELDS, ColumnMapping, header_label
from gosocket_tui.services.bulk.refusals import FileRefused

FileKind = Literal["csv", "xlsx"]
SourceKind = FileKind | Literal["pasted"]
T = TypeVar("T")
READ_CHUNK: Final = 1 << 20  # bytes per read when a file is scanned, streaming
EXCEL_MAX_ROWS: Final = 1_048_576  # a worksheet's last row


@dataclass(slots=True)
class SourceInfo:
    """What was detected about the file, for the confirmation screen and the import report."""

    kind: SourceKind
    encoding: str | None
    delimiter: str | None
    columns: list[ColumnMapping]
    warnings: list[str] = field(default_factory=list)
    sheet: str | None = None
    header_row: int = 1

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(c.field for c in self.columns if c.field is not None)

    @property
    def has_country(self) -> bool:
        """False means every row takes the import's default country."""
        return "country" in self.fields

    def describe(self) -> str:
        """One translated line such as ``CSV, Windows-1252, separated by ";"``."""
        if self.kind == "xlsx":
            return _("Excel workbook, sheet {sheet}", sheet=self.sheet or "")
        encoding = {
            "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8 (BOM)",
            "cp1252": "Windows-1252",
            "utf-16": "UTF-16",
        }.get(self.encoding or "", self.encoding or "")
        separator = _("tab") if self.delimiter == "\t" else f'"{self.delimiter}"'
        if self.kind == "pasted":
            return _("columns separated by {separator}", separator=separator)
        return _(
            "CSV, {encoding}, separated by {separator}", encoding=encoding, separator=separator
        )


Records = Generator[tuple[int, int | None, list[str], bool], None, None]


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row as text. ``values`` has every field of ``FIELDS``; absent ones are ``""``.

    ``row_number`` is the spreadsheet row; ``line`` the physical line where a CSV record starts
    (None for Excel); ``warnings`` are reading notes for this row (numeric Tax ID, extra cells).
    """

    row_number: int
    values: dict[str, str]
    line: int | None = None
    warnings: tuple[str, ...] = ()


def one_line_ends(text: str) -> str:
    """Line breaks inside a cell as ``\n`` whatever the file used (Excel's Alt+Enter is LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def take(items: Generator[T, None, None], n: int, keep: Callable[[T], object] = bool) -> list[T]:
    """The first ``n`` items ``keep`` accepts; ``items`` is closed after (its file with it)."""
    found: list[T] = []
    try:
        for item in items:
            if keep(item):
                found.append(item)
                if len(found) >= n:
                    break
    finally:
        items.close()
    return found


class SupplierFile:
    """An opened supplier file: ``info`` is known, rows are read on demand.

    Each ``rows()``/``preview()`` call reads from the start with its own handle, so a preview
    never consumes the rows of the import. ``progress()`` follows the latest ``rows()``.
    """

    def __init__(self, path: Path, info: SourceInfo, total_bytes: int, max_rows: int) -> None:
        self.path = path
        self.info = info
        self.total_bytes = total_bytes
        self.max_rows = max_rows
        self._fraction = 0.0
        self._live: weakref.WeakSet[Generator[RawRow, None, None]] = weakref.WeakSet()
        self._closed = False

    def _records(self, track: bool) -> Records:
        """Yield (row number, line, cells, Tax ID was numeric) for each non-blank data row.

        ``track`` marks the iteration whose position ``_record_fraction`` should follow.
        """
        raise NotImplementedError  # pragma: no cover

    def _record_fraction(self) -> float:
        raise NotImplementedError  # pragma: no cover

    def rows(self) -> Iterator[RawRow]:
        """Stream the data rows; raises ``FileRefused`` past ``max_rows`` rows."""
        return self._rows(limit=True)

    def preview(self, n: int = 5) -> list[RawRow]:
        """The first ``n`` data rows, for the confirmation screen (no row limit applied)."""
        if n <= 0:
            return []
        return take(self._rows(limit=False, track=False), n)

    def progress(self) -> float:
        """Fraction (0..1) of the file read by the current ``rows()``; safe from another thread."""
        return self._fraction

    def bytes_read(self) -> int:
        """Bytes of the file consumed so far (estimated from rows for Excel)."""
        return int(self.total_bytes * self._fraction)

    def _rows(self, *, limit: bool, track: bool = True) -> Generator[RawRow, None, None]:
        if self._closed:
            raise FileRefused(_("The file was already closed"))
        gen = self._generate(limit=limit, track=track)
        self._live.add(gen)
        return gen

    def _generate(self, *, limit: bool, track: bool) -> Generator[RawRow, None, None]:
        """Turn backend records into RawRows: field mapping, row limit, per-row notes."""
        columns = [(c.index, c.field) for c in self.info.columns if c.field is not None]
        width = len(self.info.columns)
        unlabeled = [c.index for c in self.info.columns if not c.header]
        tax_label = header_label("tax_id", marked=False)
        count = 0
        if track:
            self._fraction = 0.0
        records = self._records(track)
        try:
            for row_number, line, cells, numeric_tax_id in records:
                count += 1
                if limit and count > self.max_rows:
                    raise FileRefused(
                        _(
                            "The file has more than {limit} rows; split it into smaller files",
                            limit=self.max_rows,
                        ),
                        row=row_number,
                    )
                values = dict.fromkeys(FIELDS, "")
                for index, name in columns:
                    if index < len(cells):
                        values[name] = cells[index]
                notes: list[str] = []
                if numeric_tax_id:
                    notes.append(
                        _(
                            "Row {row}: the {column} cell is a number in Excel, so leading zeros "
                            'or a "K" may be lost; format the column as Text',
                            row=row_number,
                            column=tax_label,
                        )
                    )
                stray = next((i for i in unlabeled if i < len(cells) and cells[i]), None)
                if stray is None and len(cells) > width:
                    stray = next((i for i in range(width, len(cells)) if cells[i]), None)
                if stray is not None:
                    notes.append(
                        _(
                            "Row {row} has a value in column {letter}, which has no header; "
                            "values without a header are ignored",
                            row=row_number,
                            letter=get_column_letter(stray + 1),
                        )
                    )
                if track:
                    self._fraction = self._record_fraction()
                yield RawRow(row_number, values, line, tuple(notes))
            if track:
                self._fraction = 1.0
        finally:
            records.close()

    def close(self) -> None:
        """Close every handle still open (unfinished ``rows()`` generators included)."""
        self._closed = True
        for gen in list(self._live):
            gen.close()
        self._live.clear()

    def __enter__(self) -> SupplierFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
