"""Open a supplier file (CSV or Excel .xlsx) for bulk registration: check it, pick the reader.

This is only the *reading* half: it turns whatever bytes a user picked into a stream of
``RawRow`` (canonical field → stripped text) with spreadsheet row numbers. Judging the values
(Tax ID, email, Notify 1/0, duplicates) belongs to ``checks``, so ``yes`` in Notify or
``=HYPERLINK(…)`` in Name pass through untouched.

Guarantees the rest of the app relies on:

* **Streaming.** Neither format is ever read whole into memory, so a 1,000,000-row CSV is
  processed in constant memory; ``rows()`` is a generator and ``progress()`` feeds a bar.
* **Any bytes end in a project error.** Every problem (wrong type, bad encoding, binary data,
  zip bomb, damaged workbook, limits, missing columns) raises ``FileRefused`` with a translated
  one-line message; nothing else escapes, whatever the input.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from gosocket_tui.config import Config
from gosocket_tui.i18n import _
from gosocket_tui.services.bulk.csv_files import CsvFile
from gosocket_tui.services.bulk.pasted import PastedFile, PastedText
from gosocket_tui.services.bulk.refusals import FileRefused, cannot_read, too_large
from gosocket_tui.services.bulk.source import SupplierFile
from gosocket_tui.services.bulk.xlsx_files import XlsxFile
from gosocket_tui.services.bulk.xlsx_limits import (
    DEFAULT_MAX_UNCOMPRESSED_BYTES,
    DEFAULT_MAX_ZIP_ENTRIES,
)

CSV_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt"})
XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
_CONVERT_SUFFIXES: Final = frozenset({".xls", ".xlsb", ".ods", ".numbers"})

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def open_supplier_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    max_zip_entries: int = DEFAULT_MAX_ZIP_ENTRIES,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
) -> SupplierFile:
    """Check, sniff and map a CSV or .xlsx supplier file; rows are then streamed from it.

    Limits default to ``Config.import_max_bytes`` / ``import_max_rows``. Everything that can
    go wrong raises ``FileRefused`` (a ``UserError``) with a message for the user.
    """
    if isinstance(path, PastedText):  # rows pasted from a spreadsheet (pasted.py)
        return PastedFile.from_paste(path)
    file_path = Path(path)
    byte_limit = Config.import_max_bytes if max_bytes is None else max_bytes
    row_limit = Config.import_max_rows if max_rows is None else max_rows
    suffix = file_path.suffix.lower()
    if suffix in _CONVERT_SUFFIXES:
        raise FileRefused(
            _(
                "{name} is a {suffix} file, which cannot be read; open it in your spreadsheet "
                "and save it as .xlsx or CSV",
                name=file_path.name,
                suffix=suffix,
            )
        )
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise FileRefused(
            _(
                "{name}: unsupported file type; use a CSV (.csv) or Excel (.xlsx) file",
                name=file_path.name,
            )
        )
    try:
        size = file_path.stat().st_size
        if not file_path.is_file():
            raise IsADirectoryError(_("not a regular file"))
    except OSError as exc:
        raise FileRefused(cannot_read(file_path, exc)) from None
    if size > byte_limit:
        raise FileRefused(too_large(file_path, byte_limit))
    if size == 0:
        raise FileRefused(_("{name} is empty", name=file_path.name))
    head = _read_head(file_path)
    if head.startswith(_OLE2_MAGIC):
        raise FileRefused(
            _(
                "{name} is an old Excel (.xls) file or a password-protected workbook; open it "
                "in Excel and save it as .xlsx or CSV without a password",
                name=file_path.name,
            )
        )
    if suffix in XLSX_SUFFIXES:
        return XlsxFile.open(file_path, size, row_limit, max_zip_entries, max_uncompressed_bytes)
    if head.startswith(_ZIP_MAGIC):
        raise FileRefused(
            _(
                "{name} is an Excel workbook, not a CSV file; rename it to .xlsx",
                name=file_path.name,
            )
        )
    return CsvFile.open(file_path, size, byte_limit, row_limit)


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(8)
    except OSError as exc:
        raise FileRefused(cannot_read(path, exc)) from None
