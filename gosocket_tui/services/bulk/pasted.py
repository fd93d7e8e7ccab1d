"""Rows pasted from a spreadsheet, read as a supplier file.

Over SSH a paste is often the only way in. Excel, LibreOffice Calc and Google Sheets copy a
block of cells as tab-separated text: one line per row, and a cell holding a tab, a line break
or a quote is quoted, its quotes doubled. :func:`paste_rows` keeps that text in a private
temporary file and returns a :class:`PastedText`, an ``os.PathLike`` that stands where a path
stands: ``validate``, ``import_file``, the spool and the report take it as they take a file,
and ``reader.open_supplier_file`` reads it with :class:`PastedFile`, the CSV backend told what
was decided here. So a paste gets exactly the checks, preview, problems and all-or-nothing
import of a file.

Decisions (the screen shows them):

* **Header.** The first non-blank row is the header when at least two of its cells name
  template columns (English or Spanish, any alias a file may use), then it is row 1 as in the
  spreadsheet. Otherwise there is none: the columns are the template's, in its order, and the
  first pasted line is row 1. One matching cell is not enough: a supplier named "Mail" must
  not turn a row into a header.
* **Size.** At most :data:`MAX_PASTED_ROWS` data rows (and the file size limit); beyond that
  the paste is refused at once, saying to send a file.
* **Control characters** (ESC, NUL… the C0 characters that make a file "binary") refuse the
  paste, naming the row and column; markup, bidi and C1 characters are read as text, as in a
  file (the screen shows them safely and the checks judge the values).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from types import TracebackType
from typing import Final

from openpyxl.utils import get_column_letter

from gosocket_tui.config import Config
from gosocket_tui.i18n import _, format_int
from gosocket_tui.services.bulk.csv_files import CsvFile, _sniff_delimiter
from gosocket_tui.services.bulk.headers import (
    FIELDS,
    ColumnMapping,
    header_label,
    map_columns,
    match_header,
)
from gosocket_tui.services.bulk.refusals import FileRefused, cannot_read, too_large
from gosocket_tui.services.bulk.source import SourceInfo, one_line_ends

MAX_PASTED_ROWS: Final = 10_000
# The C0 characters that make a CSV file "binary" (encoding.py); tab, LF, CR, VT, FF and the
# DOS end-of-file mark are tolerated there too. Lone surrogates are not text at all.
_REFUSED: Final = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\ud800-\udfff]")
_HEADER_MATCHES: Final = 2
_NOTIFY_WIDTH: Final = FIELDS.index("notify") + 1  # template columns up to Notify


class PasteTooLong(FileRefused):
    """More rows than a paste may hold; the screen adds how its user sends a file instead."""


class PastedText(os.PathLike[str]):
    """Pasted rows kept in a private file (``0600`` in a ``0700`` folder) until discarded.

    ``info`` is what was found (kind ``pasted``), ``rows`` the number of non-blank data rows.
    Use it as a context manager, or call :meth:`discard`; the file also goes when the object
    is garbage-collected.
    """

    def __init__(self, body: str, info: SourceInfo, rows: int) -> None:
        folder = tempfile.mkdtemp(prefix="gosocket-paste-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        # The file's name is what the report, the summary and the audit trail call it.
        self.path = Path(folder) / _("Pasted text")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w", encoding="utf-8", newline="") as out:
            out.write(body)
        self.info = info
        self.rows = rows

    def __fspath__(self) -> str:
        return str(self.path)

    def discard(self) -> None:
        """Remove the file (a later read is refused like a missing file)."""
        self._finalizer()

    def __enter__(self) -> PastedText:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


def paste_rows(
    text: str, *, max_rows: int = MAX_PASTED_ROWS, max_bytes: int | None = None
) -> PastedText:
    """Check pasted text (header, size, control characters) and keep it for the import.

    Raises ``FileRefused`` (``PasteTooLong`` past ``max_rows`` data rows) with a message for
    the user; a quote left open or a stray one is reported later, by the reader, in the words
    it uses for a file.
    """
    limit = Config.import_max_bytes if max_bytes is None else max_bytes
    body = one_line_ends(text.removeprefix("\ufeff"))
    if not body.replace("\t", "").strip():
        raise FileRefused(
            _("Nothing was pasted: copy the rows in your spreadsheet, then paste them here.")
        )
    if len(body.encode("utf-8", "surrogatepass")) > limit:
        raise FileRefused(too_large(Path(_("Pasted text")), limit))
    first = next(line for line in io.StringIO(body) if line.replace("\t", "").strip())
    delimiter = "\t" if "\t" in first else _sniff_delimiter([first])
    info = SourceInfo("pasted", "utf-8", delimiter, [])
    rows = 0
    number = 0
    found = False
    records = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True)
    try:
        for cells in records:
            number += 1
            _refuse_controls(number, cells, info.columns)
            if not any(c.strip() for c in cells):
                continue
            if not found:
                found = True
                _read_header(info, number, cells)
                if info.header_row:
                    continue
            rows += 1
            if rows > max_rows:
                raise PasteTooLong(_too_many(max_rows))
    except csv.Error:
        pass  # the reader stops at the same place, with its message for the line
    else:
        if not rows:
            raise FileRefused(
                _("The pasted text holds only the header row; copy the supplier rows with it.")
            )
    if not info.columns:  # a quote error before any row: the reader will say so
        info.columns = _template_columns()
    if not info.header_row:
        info.warnings.insert(
            0,
            _(
                "The pasted rows have no header row: their columns are read in the template's "
                "order."
            ),
        )
    return PastedText(body, info, rows)


def _read_header(info: SourceInfo, number: int, cells: list[str]) -> None:
    """Set ``info``'s columns and header row (0: none) from the first non-blank row."""
    trimmed = [c.strip() for c in cells]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    if sum(1 for c in trimmed if match_header(c)) >= _HEADER_MATCHES:
        try:
            info.columns, notes = map_columns(trimmed)
        except FileRefused as exc:
            raise FileRefused(exc.message, row=number) from None
        info.warnings.extend(notes)
        info.header_row = number
        return
    if len(cells) < _NOTIFY_WIDTH:
        raise FileRefused(
            _(
                "The pasted rows have no header row, so their columns must be the template's, "
                "in its order: {headers}; these rows have {count} columns. Copy the header row "
                "with them.",
                headers=", ".join(header_label(name) for name in FIELDS),
                count=len(cells),
            ),
            row=number,
        )
    info.columns = _template_columns()
    info.header_row = 0


def _template_columns() -> list[ColumnMapping]:
    return [ColumnMapping(i, header_label(name), name) for i, name in enumerate(FIELDS)]


def _refuse_controls(number: int, cells: list[str], columns: list[ColumnMapping]) -> None:
    for index, cell in enumerate(cells):
        found = _REFUSED.search(cell)
        if found is None:
            continue
        column = get_column_letter(index + 1)
        header = columns[index].header if index < len(columns) else ""
        raise FileRefused(
            _(
                "Row {row}, column {column} of the pasted text holds a control character "
                "(U+{code}), which spreadsheets do not copy; correct the cell and paste again.",
                row=number,
                column=f"{column} ({header})" if header else column,
                code=f"{ord(found.group()):04X}",
            ),
            row=number,
        )


def _too_many(limit: int) -> str:
    return _(
        "The pasted text has more than {limit} rows, the most a paste may hold; save them as a "
        "CSV or Excel file and open the file instead.",
        limit=format_int(limit),
    )


class PastedFile(CsvFile):
    """The CSV backend over a paste: UTF-8, with the delimiter and columns ``paste_rows``
    found (its own sniffing would look for the header a few rows down, and find none)."""

    @classmethod
    def from_paste(cls, pasted: PastedText) -> PastedFile:
        try:
            size = pasted.path.stat().st_size
        except OSError as exc:
            raise FileRefused(cannot_read(pasted.path, exc)) from None
        info = dataclasses.replace(
            pasted.info, columns=list(pasted.info.columns), warnings=list(pasted.info.warnings)
        )
        self = cls(pasted.path, info, size, MAX_PASTED_ROWS)
        self.byte_limit = size
        self.encoding = "utf-8"
        self.delimiter = info.delimiter or "\t"
        self.sep_line = False
        self._raw = None
        return self
