"""Reading supplier files for bulk registration (CSV and Excel .xlsx), and writing the template.

This is only the *reading* half: it turns whatever bytes a user picked into a stream of
``RawRow`` (canonical field → stripped text) with spreadsheet row numbers. Judging the values
(Tax ID, email, Notify 1/0, duplicates) belongs to the validation layer on top of it, so
``yes`` in Notify or ``=HYPERLINK(…)`` in Name pass through untouched.

Guarantees the rest of the app relies on:

* **Streaming.** Neither format is ever read whole into memory, so a 1,000,000-row CSV is
  processed in constant memory; ``rows()`` is a generator and ``progress()`` feeds a bar.
* **Any bytes end in a project error.** Every problem (wrong type, bad encoding, binary data,
  zip bomb, damaged workbook, limits, missing columns) raises ``FileRefused`` with a translated
  one-line message; nothing else escapes, whatever the input.
* **Headers are forgiving.** Case, accents, spaces, ``*``, ``-``/``_``/``.`` and English or
  Spanish names are all accepted (``RUT``, ``Razón Social``, ``Correo electrónico``…).

Row numbers are what the user sees in a spreadsheet: the header is row 1 and every record is
one row, even when a quoted cell holds a line break (Excel shows that as one row), and blank
lines count as (empty) rows. For CSV, ``RawRow.line`` additionally gives the physical line where
the record starts, for users who open the file in a text editor.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import os
import re
import unicodedata
import warnings
import weakref
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Final, Literal

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gosocket_tui.config import Config
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _, get_language
from gosocket_tui.services.exports import neutralize_cell
from gosocket_tui.services.output_files import open_output

__all__ = [
    "FIELDS",
    "MANDATORY_FIELDS",
    "ColumnMapping",
    "FileKind",
    "FileRefused",
    "RawRow",
    "SourceInfo",
    "SupplierFile",
    "header_label",
    "map_columns",
    "match_header",
    "neutralize_cell",
    "open_supplier_file",
    "write_report_csv",
    "write_template",
]

# openpyxl parses the workbook XML with defusedxml when it is installed (no entity expansion,
# no external entities). We depend on that for untrusted files, so fail loudly at import.
if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - defusedxml is a hard dependency
    raise ImportError("defusedxml must be installed so openpyxl parses untrusted XML safely")

FileKind = Literal["csv", "xlsx"]

FIELDS: Final = (
    "tax_id",
    "name",
    "description",
    "address",
    "city",
    "province",
    "phone",
    "fax",
    "email",
    "groups",
    "notify",
    "country",
)
MANDATORY_FIELDS: Final = ("tax_id", "name", "email", "notify")

# Template headers are part of the file format, not UI text: they are fixed per language here
# (not in the merged catalog) so another area's translation of "Name" can never change them.
_TEMPLATE_HEADERS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "tax_id": "Tax ID",
        "name": "Name",
        "description": "Description",
        "address": "Address",
        "city": "City",
        "province": "Province",
        "phone": "Phone",
        "fax": "Fax",
        "email": "Email",
        "groups": "Groups",
        "notify": "Notify",
        "country": "Country",
    },
    "es": {
        "tax_id": "ID Fiscal",
        "name": "Nombre",
        "description": "Descripción",
        "address": "Dirección",
        "city": "Ciudad",
        "province": "Provincia",
        "phone": "Teléfono",
        "fax": "Fax",
        "email": "Correo electrónico",
        "groups": "Grupos",
        "notify": "Notificar",
        "country": "País",
    },
}

# Every accepted header per field, matched after ``_header_key`` folding (so "E-mail",
# "EMAIL *" and "e mail" are the same key). English and Spanish, plus the national Tax ID
# names users type instead of "Tax ID".
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "tax_id": (
        "Tax ID",
        "Tax number",
        "Tax identification number",
        "ID Fiscal",
        "Identificación fiscal",
        "Identificador fiscal",
        "Número de identificación fiscal",
        "RUT",
        "NIT",
        "RUC",
        "RFC",
        "CUIT",
        "RNC",
        "RIF",
    ),
    "name": (
        "Name",
        "Company name",
        "Supplier name",
        "Legal name",
        "Business name",
        "Nombre",
        "Razón Social",
        "Nombre o razón social",
        "Nombre del proveedor",
    ),
    "description": ("Description", "Descripción"),
    "address": ("Address", "Dirección", "Domicilio"),
    "city": ("City", "Ciudad"),
    "province": ("Province", "State", "Region", "Provincia", "Región", "Estado", "Departamento"),
    "phone": ("Phone", "Telephone", "Phone number", "Tel", "Teléfono", "Fono"),
    "fax": ("Fax",),
    "email": ("Email", "E-mail", "Email address", "Mail", "Correo", "Correo electrónico"),
    "groups": ("Groups", "Group", "Grupos", "Grupo"),
    "notify": ("Notify", "Send invitation", "Notificar", "Enviar invitación"),
    "country": ("Country", "Country code", "País", "Código de país"),
}

CSV_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt"})
XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
_CONVERT_SUFFIXES: Final = frozenset({".xls", ".xlsb", ".ods", ".numbers"})

DEFAULT_MAX_ZIP_ENTRIES: Final = 10_000
DEFAULT_MAX_UNCOMPRESSED_BYTES: Final = 1024**3
EXCEL_MAX_ROWS: Final = 1_048_576
_CHUNK: Final = 1 << 20
# One physical line / one record may not exceed these (characters). csv builds each record
# as a list in memory, so an endless line of ";;;;" must be refused before it is parsed.
_MAX_LINE_CHARS: Final = 1 << 20
_MAX_RECORD_CHARS: Final = 4 << 20
_DELIMITERS: Final = (",", ";", "\t")
_HEADER_SEARCH_ROWS: Final = 10

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# C0 controls no spreadsheet writes into text (tab, LF, CR, VT, FF and the DOS EOF 0x1A are
# tolerated). Any of them, NUL above all, means the file is binary, not CSV.
_BINARY_BYTES: Final = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")
_BINARY_CHARS: Final = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f]")
# Bytes Windows-1252 leaves undefined: a file holding them is not Windows-1252 text.
_CP1252_UNDEFINED: Final = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# A well-formed UTF-8 multibyte character (RFC 3629). A line holding one was written as UTF-8;
# in Windows-1252 text these byte pairs would be mojibake such as "Ã±".
_UTF8_MULTIBYTE: Final = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# Excel's own limit (column XFD); a wider header is not a spreadsheet's (and column letters
# end at ZZZ = 18,278).
MAX_COLUMNS: Final = 16_384
_SHOWN_IGNORED_COLUMNS: Final = 10
_SEP_LINE: Final = re.compile(r"^sep=([,;\t|])\s*$", re.IGNORECASE)
# Excel's idiom to keep leading zeros in a CSV: ="00123". It is data, not a formula.
_EXCEL_TEXT_LITERAL: Final = re.compile(r'^="([^"]*)"$')
_HEADER_NOISE: Final = re.compile(r"[\s._\-/\ufeff\u200b]+")


class FileRefused(UserError):
    """The file cannot be read as a supplier file; the message says why and what to do.

    ``row`` is the spreadsheet row the problem was found at, when there is one.
    """

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """One column of the file: its 0-based position, header as written, and canonical field."""

    index: int
    header: str
    field: str | None

    @property
    def letter(self) -> str:
        """The spreadsheet column letter (A, B, … AA), which is what users look for."""
        return str(get_column_letter(self.index + 1))


@dataclass(slots=True)
class SourceInfo:
    """What was detected about the file, for the confirmation screen and the import report."""

    kind: FileKind
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
        return _(
            "CSV, {encoding}, separated by {separator}", encoding=encoding, separator=separator
        )


_Records = Generator[tuple[int, int | None, list[str], bool], None, None]


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


# --------------------------------------------------------------------------- headers


def _header_key(text: str) -> str:
    """Fold a header for comparison: NFKD without accents, casefolded, no ``*`` or separators."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.casefold().strip().strip("*").strip()
    return _HEADER_NOISE.sub("", plain)


_KEY_TO_FIELD: Final[dict[str, str]] = {
    _header_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases
}


def match_header(text: str) -> str | None:
    """The canonical field a header names, or None when it is not a template column."""
    return _KEY_TO_FIELD.get(_header_key(text))


def header_label(name: str, lang: str | None = None, *, marked: bool = True) -> str:
    """The template header of ``name`` in ``lang`` (default: the session's), ``*`` if mandatory."""
    headers = _TEMPLATE_HEADERS.get(lang or get_language(), _TEMPLATE_HEADERS["en"])
    label = headers[name]
    return label + "*" if marked and name in MANDATORY_FIELDS else label


def map_columns(headers: Sequence[str]) -> tuple[list[ColumnMapping], list[str]]:
    """Map header cells to fields; return the mapping and warnings about ignored columns.

    Raises ``FileRefused`` when a mandatory column is missing or two columns give the same
    field (which one should win is a guess we refuse to make).
    """
    if len(headers) > MAX_COLUMNS:
        raise FileRefused(
            _(
                "The header row has {count} columns; a supplier file may have at most {limit} "
                "(Excel's limit)",
                count=f"{len(headers):,}",
                limit=f"{MAX_COLUMNS:,}",
            )
        )
    columns: list[ColumnMapping] = []
    notes: list[str] = []
    seen: dict[str, ColumnMapping] = {}
    ignored = 0
    for index, raw in enumerate(headers):
        header = raw.strip()
        name = match_header(header) if header else None
        column = ColumnMapping(index, header, name)
        columns.append(column)
        if name is None:
            if header:
                ignored += 1
            if header and ignored <= _SHOWN_IGNORED_COLUMNS:
                notes.append(
                    _(
                        'Column {letter} "{header}" is not a template column and is ignored',
                        letter=column.letter,
                        header=_shorten(header),
                    )
                )
            continue
        if name in seen:
            first = seen[name]
            raise FileRefused(
                _(
                    'Columns {first} "{first_header}" and {second} "{second_header}" both hold '
                    "the {label} column; keep only one of them",
                    first=first.letter,
                    first_header=_shorten(first.header),
                    second=column.letter,
                    second_header=_shorten(header),
                    label=header_label(name, marked=False),
                )
            )
        seen[name] = column
    if ignored > _SHOWN_IGNORED_COLUMNS:
        notes.append(
            _(
                "… and {count} more columns that are not template columns are ignored",
                count=f"{ignored - _SHOWN_IGNORED_COLUMNS:,}",
            )
        )
    missing = [header_label(name) for name in MANDATORY_FIELDS if name not in seen]
    if missing:
        if len(missing) == 1:
            text = _("The mandatory column {column} is missing", column=missing[0])
        else:
            text = _("The mandatory columns {columns} are missing", columns=", ".join(missing))
        hint = _(
            "The first row must hold the template headers, e.g. {headers}",
            headers=", ".join(header_label(name) for name in FIELDS[:-1]),
        )
        raise FileRefused(f"{text}. {hint}")
    return columns, notes


def _find_header(
    rows: Iterable[tuple[int, list[str]]],
) -> tuple[int, list[ColumnMapping], list[str]] | None:
    """The header among the first non-blank rows: the first one ``map_columns`` accepts.

    Users often put a title or a note above the headers; looking a few rows down saves them a
    round trip. When no row fits, the first non-blank row's error is the useful one; None
    means the file has no non-blank row at all.
    """
    first_error: FileRefused | None = None
    seen = 0
    for row, cells in rows:
        while cells and not cells[-1]:
            cells.pop()
        if not cells or not any(cells):
            continue
        seen += 1
        try:
            columns, notes = map_columns(cells)
        except FileRefused as exc:
            first_error = first_error or FileRefused(exc.message, row=row)
            if seen >= _HEADER_SEARCH_ROWS:
                break
            continue
        if seen > 1:
            notes.insert(
                0, _("The column headers are in row {row}; the rows above it are ignored", row=row)
            )
        return row, columns, notes
    if first_error is not None:
        raise first_error
    return None


def _shorten(text: str, limit: int = 40) -> str:
    """Keep messages on one line whatever a header cell contains."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --------------------------------------------------------------------------- the file


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

    def _records(self, track: bool) -> _Records:
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
        out: list[RawRow] = []
        if n <= 0:
            return out
        rows = self._rows(limit=False, track=False)
        try:
            for row in rows:
                out.append(row)
                if len(out) >= n:
                    break
        finally:
            rows.close()
        return out

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
        raise FileRefused(_cannot_read(file_path, exc)) from None
    if size > byte_limit:
        raise FileRefused(_too_large(file_path, byte_limit))
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
        return _XlsxFile.open(file_path, size, row_limit, max_zip_entries, max_uncompressed_bytes)
    if head.startswith(_ZIP_MAGIC):
        raise FileRefused(
            _(
                "{name} is an Excel workbook, not a CSV file; rename it to .xlsx",
                name=file_path.name,
            )
        )
    return _CsvFile.open(file_path, size, byte_limit, row_limit)


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(8)
    except OSError as exc:
        raise FileRefused(_cannot_read(path, exc)) from None


def _cannot_read(path: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return _("Cannot read {name}: {reason}", name=path.name, reason=reason)


def _too_large(path: Path, limit: int) -> str:
    return _(
        "{name} is larger than the {limit} allowed; split it into smaller files",
        name=path.name,
        limit=_size_text(limit),
    )


def _size_text(size: int) -> str:
    """Whole MB / KB / bytes: no decimal mark to localise, and small test limits stay exact."""
    if size >= 1_000_000:
        return f"{size // 1_000_000} MB"
    if size >= 1_000:
        return f"{size // 1_000} KB"
    return f"{size} bytes"


# --------------------------------------------------------------------------- CSV


class _CountingRaw(io.RawIOBase):
    """Counts bytes read so progress can be polled without touching the buffered stream."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return int(n or 0)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _detect_encoding(path: Path, byte_limit: int) -> str:
    """One streaming pass: refuse binary data and choose UTF-8 (±BOM), UTF-16 or Windows-1252.

    The file is read in 1 MiB chunks through an incremental UTF-8 decoder (so a multibyte
    character split across chunks is fine) while two byte regexes look for control characters
    (binary) and for the five bytes Windows-1252 leaves undefined. Only the verdicts are kept,
    so memory stays flat; the caller then reopens the file to parse it (one extra pass, which
    beats guessing from a prefix and failing at row 900,000).

    UTF-8 wins whenever the whole file decodes: random Windows-1252 text almost never does,
    while the reverse is always "valid". UTF-16 is only taken with a BOM (Excel's "Unicode
    text" export).
    """
    try:
        with path.open("rb") as fh:
            first = fh.read(_CHUNK)
            if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                _check_utf16(fh, first, path, byte_limit)
                return "utf-16"
            utf8 = codecs.getincrementaldecoder("utf-8")("strict")
            utf8_ok = True
            cp1252_ok = True
            total = 0
            chunk = first
            while chunk:
                total += len(chunk)
                if total > byte_limit:
                    raise FileRefused(_too_large(path, byte_limit))
                found = _BINARY_BYTES.search(chunk)
                if found:
                    raise FileRefused(_binary(path, total - len(chunk) + found.start()))
                if utf8_ok:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        utf8_ok = False
                if cp1252_ok and _CP1252_UNDEFINED.search(chunk):
                    cp1252_ok = False
                chunk = fh.read(_CHUNK)
            if utf8_ok:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8_ok = False
    except OSError as exc:
        raise FileRefused(_cannot_read(path, exc)) from None
    if utf8_ok:
        return "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    if cp1252_ok:
        _refuse_mixed_encodings(path)
        return "cp1252"
    raise FileRefused(
        _(
            "{name} is not text in a supported encoding; save it as CSV UTF-8 or as .xlsx",
            name=path.name,
        )
    )


def _refuse_mixed_encodings(path: Path) -> None:
    """A file that is not UTF-8 is read as Windows-1252 only if no line looks like UTF-8.

    Files pasted together from two sources mix both; reading them either way would store
    altered text (``Ã‘andÃº``), so they are refused with the first line that is not UTF-8.
    Only files that failed UTF-8 pay for this second, line by line pass.
    """
    first_bad = first_utf8 = 0
    number = 0
    try:
        with path.open("rb") as fh:
            while line := fh.readline(_MAX_LINE_CHARS):
                number += 1
                if not first_utf8 and _UTF8_MULTIBYTE.search(line):
                    first_utf8 = number
                if not first_bad:
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError:
                        first_bad = number
                if first_bad and first_utf8:
                    break
    except OSError as exc:
        raise FileRefused(_cannot_read(path, exc)) from None
    if first_bad and first_utf8:
        raise FileRefused(
            _(
                "{name} mixes text encodings: line {line} is not UTF-8 but line {utf8_line} "
                "is; save the whole file again as CSV UTF-8",
                name=path.name,
                line=first_bad,
                utf8_line=first_utf8,
            ),
        )


def _check_utf16(fh: BinaryIO, first: bytes, path: Path, byte_limit: int) -> None:
    decoder = codecs.getincrementaldecoder("utf-16")("strict")
    total = 0
    chunk = first
    try:
        while chunk:
            total += len(chunk)
            if total > byte_limit:
                raise FileRefused(_too_large(path, byte_limit))
            found = _BINARY_CHARS.search(decoder.decode(chunk))
            if found:
                raise FileRefused(_binary(path, total - len(chunk)))
            chunk = fh.read(_CHUNK)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileRefused(
            _("{name} is damaged: it is not valid UTF-16 text", name=path.name)
        ) from None


def _binary(path: Path, offset: int) -> str:
    return _(
        "{name} contains binary data (at byte {offset}), so it is not a CSV file; export it "
        "from your spreadsheet as CSV or .xlsx",
        name=path.name,
        offset=offset,
    )


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """Pick the delimiter that splits a header line into the most template columns.

    Judged on header candidates (the first non-blank lines; a title may sit above the
    headers), never on data: ``1.234,56`` decimal commas in data rows fool ``csv.Sniffer``.
    Splitting with the csv module counts delimiters outside quotes only. Ties go to the split
    with more columns, then to ``,`` ``;`` tab in that order.
    """
    best = ","
    best_score = (-1, -1)
    for line in lines:
        for delimiter in _DELIMITERS:
            try:
                cells = next(csv.reader([line], delimiter=delimiter), [])
            except csv.Error:
                continue
            score = (sum(1 for c in cells if match_header(c)), len(cells))
            if score > best_score:
                best, best_score = delimiter, score
    return best


def _one_line_ends(text: str) -> str:
    """Line breaks inside a cell as ``\n`` whatever the file used (Excel's Alt+Enter is LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _unclosed(line: int) -> str:
    return _(
        'The row starting at line {line} is too long; is a quote (") left unclosed?', line=line
    )


def _clean_csv_cell(value: str) -> str:
    # Hot path (called for every cell of a million rows): cheap tests before any regex.
    text = value.strip()
    if "\r" in text:
        text = _one_line_ends(text)
    if text.startswith('="'):
        literal = _EXCEL_TEXT_LITERAL.match(text)
        if literal:
            return literal.group(1).strip()
    return text


class _CsvFile(SupplierFile):
    """CSV backend: a TextIOWrapper(newline='') over a byte-counting handle, read by csv."""

    encoding: str
    delimiter: str
    sep_line: bool
    byte_limit: int
    _raw: _CountingRaw | None

    @classmethod
    def open(cls, path: Path, size: int, byte_limit: int, row_limit: int) -> _CsvFile:
        encoding = _detect_encoding(path, byte_limit)
        self = cls(path, SourceInfo("csv", encoding, None, []), size, row_limit)
        self.byte_limit = byte_limit
        self.encoding = encoding
        self._raw = None
        lines = self._first_lines()
        if not lines:
            raise FileRefused(_("{name} is empty", name=path.name))
        sep = _SEP_LINE.match(lines[0])
        self.sep_line = sep is not None
        self.delimiter = sep.group(1) if sep else _sniff_delimiter(lines)
        self.info.delimiter = self.delimiter
        header_row, columns, notes = self._header()
        self.info.columns = columns
        self.info.warnings.extend(notes)
        self.info.header_row = header_row
        return self

    def _open_text(self) -> tuple[_CountingRaw, io.TextIOWrapper]:
        try:
            raw = _CountingRaw(self.path.open("rb", buffering=0))
        except OSError as exc:
            raise FileRefused(_cannot_read(self.path, exc)) from None
        buffered = io.BufferedReader(raw, buffer_size=1 << 16)
        return raw, io.TextIOWrapper(buffered, encoding=self.encoding, newline="")

    def _first_lines(self) -> list[str]:
        """The first non-blank physical lines: Excel's ``sep=`` hint or header candidates."""
        found: list[str] = []
        lines = self._physical_lines(None, track=False)
        try:
            for line in lines:
                if line.strip():
                    found.append(line)
                    if len(found) >= _HEADER_SEARCH_ROWS:
                        break
        finally:
            lines.close()
        return found

    def _physical_lines(
        self, record_budget: list[int] | None, *, track: bool
    ) -> Generator[str, None, None]:
        """Physical lines (ends kept, as csv needs them), refusing overlong lines and records.

        ``record_budget[0]`` counts characters since the caller last reset it (at each record;
        ``[1]`` is the line that record starts at), which bounds the memory csv may use for one
        record whatever the quoting does.
        """
        raw, text = self._open_text()
        if track:
            self._raw = raw
        number = 0
        try:
            while True:
                line = text.readline(_MAX_LINE_CHARS)
                if not line:
                    return
                number += 1
                if len(line) >= _MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                    raise FileRefused(_("Line {line} is too long for a supplier file", line=number))
                if record_budget is not None:
                    record_budget[0] += len(line)
                    if record_budget[0] > _MAX_RECORD_CHARS:
                        raise FileRefused(_unclosed(record_budget[1]))
                if raw.count > self.byte_limit:
                    raise FileRefused(_too_large(self.path, self.byte_limit))
                yield line
        except UnicodeDecodeError:
            raise FileRefused(
                _("{name} changed while it was being read; try again", name=self.path.name)
            ) from None
        except OSError as exc:
            raise FileRefused(_cannot_read(self.path, exc)) from None
        finally:
            text.close()

    def _logical_records(self, track: bool) -> Generator[tuple[int, int, list[str]], None, None]:
        """(spreadsheet row, starting line, cells) for every record, blank ones included."""
        budget = [0, 1]  # characters of the current record, line where it starts
        lines = self._physical_lines(budget, track=track)
        # strict: a stray quote after a closing one ("bad"quote") is refused, not silently
        # dropped, and a quote left open at the end of the file is an error, not a cell.
        reader = csv.reader(lines, delimiter=self.delimiter, strict=True)
        row = 0
        previous_line = 0
        skip_sep = self.sep_line
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    # A cell over csv's field limit (128 KiB), or the end of the file inside
                    # quotes: an unclosed quote swallowing the lines after it.
                    if "field limit" in str(exc):
                        raise FileRefused(_unclosed(previous_line + 1), row=row + 1) from None
                    if "unexpected end of data" in str(exc):
                        raise FileRefused(
                            _(
                                'Line {line}: a quote (") opened in this row is never closed',
                                line=previous_line + 1,
                            ),
                            row=row + 1,
                        ) from None
                    if "expected after" in str(exc):
                        raise FileRefused(
                            _(
                                'Line {line}: a quote (") inside a quoted cell must be doubled '
                                '(""); as written, the text after it would be changed. Correct '
                                "the cell and save the file again",
                                line=reader.line_num,
                            ),
                            row=row + 1,
                        ) from None
                    raise FileRefused(
                        _(
                            "Line {line}: the CSV is malformed ({detail})",
                            line=previous_line + 1,
                            detail=str(exc),
                        ),
                        row=row + 1,
                    ) from None
                start = previous_line + 1
                previous_line = reader.line_num
                budget[0], budget[1] = 0, previous_line + 1
                if skip_sep and any(c.strip() for c in cells):
                    skip_sep = False  # Excel hides its "sep=;" line, so it is not a row
                    continue
                row += 1
                yield row, start, cells
        finally:
            lines.close()

    def _header(self) -> tuple[int, list[ColumnMapping], list[str]]:
        records = self._logical_records(track=False)
        try:
            candidates = ((row, [c.strip() for c in cells]) for row, _line, cells in records)
            found = _find_header(candidates)
        finally:
            records.close()
        if found is None:
            raise FileRefused(_("{name} is empty", name=self.path.name))
        return found

    def _records(self, track: bool) -> _Records:
        records = self._logical_records(track)
        try:
            for row, line, cells in records:
                if row <= self.info.header_row:
                    continue
                clean = [_clean_csv_cell(c) for c in cells]
                if any(clean):
                    yield row, line, clean, False
        finally:
            records.close()

    def _record_fraction(self) -> float:
        raw = self._raw
        if raw is None or self.total_bytes <= 0:
            return 0.0
        return min(1.0, raw.count / self.total_bytes)


# --------------------------------------------------------------------------- XLSX


# zipfile's end-of-central-directory reader (handles ZIP64); private but stable since 2.x.
_zip_end_record: Any = getattr(zipfile, "_EndRecData", None)
_ZIP_ENTRIES_TOTAL: Final[int] = getattr(zipfile, "_ECD_ENTRIES_TOTAL", 4)


def _check_archive(path: Path, max_entries: int, max_uncompressed: int) -> None:
    """Refuse non-zip files, zip bombs and zips that are not Excel workbooks, before openpyxl.

    The sizes come from the central directory; zipfile never inflates an entry past its
    declared size (it fails the CRC instead), so the declared total is a real bound.
    """
    try:
        is_zip = zipfile.is_zipfile(path)
    except Exception:  # pragma: no cover - is_zipfile already swallows OSError
        is_zip = False
    if not is_zip:
        raise FileRefused(
            _(
                "{name} is not an Excel .xlsx file; if it is a CSV file, rename it to .csv",
                name=path.name,
            )
        )
    too_many = _(
        "{name} has too many parts to be a supplier workbook (more than {limit})",
        name=path.name,
        limit=max_entries,
    )
    try:
        # The entry count from the end record first: ZipFile builds an object per entry, so
        # millions of tiny entries would exhaust memory before infolist() could be checked.
        with path.open("rb") as fh:
            end = _zip_end_record(fh) if _zip_end_record is not None else None
        if end and int(end[_ZIP_ENTRIES_TOTAL]) > max_entries:
            raise FileRefused(too_many)
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except FileRefused:
        raise
    except Exception:  # zipfile raises many types on hostile input; all mean "damaged"
        raise FileRefused(_damaged(path)) from None
    if len(infos) > max_entries:
        raise FileRefused(too_many)
    if sum(info.file_size for info in infos) > max_uncompressed:
        raise FileRefused(
            _(
                "{name} expands to more than {limit}; it is too large or not a real workbook",
                name=path.name,
                limit=_size_text(max_uncompressed),
            )
        )
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names or "content.xml" in names:
            raise FileRefused(
                _(
                    "{name} is not a standard .xlsx workbook (binary or OpenDocument format); "
                    "save it as .xlsx (Excel Workbook) or CSV",
                    name=path.name,
                )
            )
        raise FileRefused(_("{name} is a zip archive, not an Excel .xlsx file", name=path.name))


# What openpyxl's read-only mode holds in memory, bounded before it loads a workbook. It keeps
# the whole shared-strings table (every <si> as a str plus a cleared element, ~150 bytes each
# beside the text) and one <row> at a time; styles and the workbook part are loaded whole.
# With these caps the worst accepted workbook peaks under 200 MiB of RSS (measured by
# tests/unit/test_bulk_file_limits.py::test_worst_accepted_workbook_stays_under_300_mib).
MAX_SHARED_STRINGS: Final = 300_000
MAX_SHARED_STRINGS_BYTES: Final = 24_000_000
MAX_XML_ITEM_BYTES: Final = 1_000_000
MAX_OTHER_PART_BYTES: Final = 8_000_000
# A <si> string or <row> start (any namespace prefix), the end of their lists, or "<!"
# (a comment, CDATA or DTD: Excel writes none, and they could hide tags from this count).
_XML_ITEMS: Final = re.compile(
    rb"<(?:[A-Za-z_][\w.-]{0,30}:)?(si|row)[\s/>]|</(?:[A-Za-z_][\w.-]{0,30}:)?(?:sst|sheetData)>|<!"
)
_XML_ITEM_OVERLAP: Final = 64


@dataclass
class _PartCost:
    strings: int = 0
    rows: int = 0
    largest_item: int = 0
    has_markup_declaration: bool = False


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _PartCost:
    """Count <si> and <row> items of one XML part and the largest one in bytes, streaming."""
    cost = _PartCost()
    item_start: int | None = None
    carry = b""
    base = 0  # offset in the part of carry[0]
    with archive.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            buffer = carry + chunk
            limit = len(buffer) if not chunk else max(0, len(buffer) - _XML_ITEM_OVERLAP)
            for found in _XML_ITEMS.finditer(buffer, 0, limit + _XML_ITEM_OVERLAP):
                if found.start() >= limit:
                    break
                at = base + found.start()
                if item_start is not None:
                    cost.largest_item = max(cost.largest_item, at - item_start)
                kind = found.group(1)
                if kind is None:
                    item_start = None
                    cost.has_markup_declaration |= found.group(0) == b"<!"
                    continue
                item_start = at
                if kind == b"si":
                    cost.strings += 1
                else:
                    cost.rows += 1
            if not chunk:
                break
            carry = buffer[limit:]
            base += limit
            # Stop inflating as soon as the verdict is known (a zip bomb of blanks, one
            # endless row): the caller refuses on these numbers.
            if item_start is not None and base - item_start > MAX_XML_ITEM_BYTES:
                break
            if not cost.strings and not cost.rows and base > MAX_OTHER_PART_BYTES:
                return cost
    if item_start is not None:
        cost.largest_item = max(cost.largest_item, base + len(carry) - item_start)
    return cost


def _check_workbook_cost(path: Path) -> None:
    """Refuse workbooks whose reading would cost too much memory, before openpyxl loads them.

    Every XML part is scanned once, streaming: shared strings (count and bytes), the size of
    the largest string or row, and the size of the parts openpyxl loads whole. Parts holding
    strings or rows may not hold comments or CDATA, which could hide tags from the count.
    """
    strings = string_bytes = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels")):
                    continue
                cost = _scan_part(archive, info)
                if cost.has_markup_declaration and (cost.strings or cost.rows):
                    raise FileRefused(
                        _(
                            "{name} holds XML that spreadsheets do not write (comments, CDATA "
                            "or a DTD in {part}); open it in Excel and save it again as .xlsx",
                            name=path.name,
                            part=_shorten(info.filename),
                        )
                    )
                if cost.largest_item > MAX_XML_ITEM_BYTES:
                    raise FileRefused(
                        _(
                            "{name} has a row or a text cell larger than {limit}; it is not a "
                            "supplier list",
                            name=path.name,
                            limit=_size_text(MAX_XML_ITEM_BYTES),
                        )
                    )
                if cost.strings:
                    strings += cost.strings
                    string_bytes += info.file_size
                elif not cost.rows and info.file_size > MAX_OTHER_PART_BYTES:
                    raise FileRefused(
                        _(
                            "{name}: the part {part} is larger than {limit}; open the file in "
                            "Excel, remove formatting and save it again, or save it as CSV",
                            name=path.name,
                            part=_shorten(info.filename),
                            limit=_size_text(MAX_OTHER_PART_BYTES),
                        )
                    )
    except FileRefused:
        raise
    except Exception:  # zipfile and zlib raise many types on hostile input
        raise FileRefused(_damaged(path)) from None
    if strings > MAX_SHARED_STRINGS or string_bytes > MAX_SHARED_STRINGS_BYTES:
        raise FileRefused(
            _(
                "{name} holds more distinct texts than can be read safely ({count}, at most "
                "{limit} and {size}); save it as CSV UTF-8, which has no such limit, or split it",
                name=path.name,
                count=f"{strings:,}",
                limit=f"{MAX_SHARED_STRINGS:,}",
                size=_size_text(MAX_SHARED_STRINGS_BYTES),
            )
        )


def _damaged(path: Path) -> str:
    return _(
        "{name} is damaged or not an Excel workbook; open it in Excel and save it again as .xlsx",
        name=path.name,
    )


def _excel_text(value: object) -> str:
    """Cell value as the text a user typed: 1.0 → "1", dates as ISO, booleans as 1/0."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _one_line_ends(value.strip())
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


class _XlsxFile(SupplierFile):
    """Excel backend: openpyxl read-only mode, values only, one row at a time."""

    _workbook: Any
    _sheet: Any
    _estimated_rows: int | None
    _rows_seen: int

    @classmethod
    def open(
        cls, path: Path, size: int, row_limit: int, max_entries: int, max_uncompressed: int
    ) -> _XlsxFile:
        _check_archive(path, max_entries, max_uncompressed)
        _check_workbook_cost(path)
        try:
            with warnings.catch_warnings():
                # openpyxl warns about unsupported extensions / missing styles: not our users'
                # business, and stray output would corrupt the TUI.
                warnings.simplefilter("ignore")
                workbook = openpyxl.load_workbook(
                    path, read_only=True, data_only=True, keep_links=False
                )
        except Exception:  # openpyxl surfaces XML, zip and KeyError failures alike
            raise FileRefused(_damaged(path)) from None
        self = cls(path, SourceInfo("xlsx", None, None, []), size, row_limit)
        self._workbook = workbook
        self._rows_seen = 0
        self._estimated_rows = None
        try:
            self._choose_sheet()
        except BaseException:
            workbook.close()
            raise
        return self

    def _choose_sheet(self) -> None:
        """Use the active sheet, or the first other sheet whose headers fit the template.

        Templates often carry an instructions sheet, and users save with it active.
        """
        try:
            sheets = list(self._workbook.worksheets)
            active = self._workbook.active
        except Exception:
            raise FileRefused(_damaged(self.path)) from None
        if not sheets:
            raise FileRefused(_("{name} has no worksheet", name=self.path.name))
        ordered = ([active] if active in sheets else []) + [s for s in sheets if s is not active]
        first_error: FileRefused | None = None
        for sheet in ordered:
            try:
                self._use_sheet(sheet)
            except FileRefused as exc:
                first_error = first_error or exc
                continue
            if len(sheets) > 1:
                self.info.warnings.insert(
                    0,
                    _(
                        'Read the sheet "{sheet}" ({count} sheets in the workbook)',
                        sheet=self.info.sheet,
                        count=len(sheets),
                    ),
                )
            return
        assert first_error is not None
        raise first_error

    def _use_sheet(self, sheet: Any) -> None:
        try:
            title = str(sheet.title)
            # The <dimension> written by other tools can be wrong; trusting it would truncate
            # rows or invent a million empty ones. Keep it only as a progress estimate.
            max_row = sheet.max_row
            self._estimated_rows = max_row if isinstance(max_row, int) and max_row > 0 else None
            sheet.reset_dimensions()
        except Exception:
            raise FileRefused(_damaged(self.path)) from None
        self._sheet = sheet
        self.info.sheet = title
        header_row, columns, notes = self._header()
        self.info.columns = columns
        self.info.header_row = header_row
        self.info.warnings = notes

    def _iter_sheet(self, width: int | None) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
        """(row number, values) for every row, blank ones included; hostile XML → FileRefused."""
        row_number = 0
        try:
            rows = self._sheet.iter_rows(min_row=1, max_col=width, values_only=True)
            for values in rows:
                row_number += 1
                if row_number > EXCEL_MAX_ROWS:
                    raise FileRefused(_damaged(self.path), row=row_number)
                yield row_number, values
        except FileRefused:
            raise
        except Exception:
            raise FileRefused(_damaged(self.path), row=row_number + 1) from None

    def _header(self) -> tuple[int, list[ColumnMapping], list[str]]:
        rows = self._iter_sheet(None)
        try:
            found = _find_header((row, [_excel_text(v) for v in values]) for row, values in rows)
        finally:
            rows.close()
        if found is not None:
            return found
        raise FileRefused(
            _('{name}: the sheet "{sheet}" is empty', name=self.path.name, sheet=self.info.sheet)
        )

    def _records(self, track: bool) -> _Records:
        width = len(self.info.columns)
        tax_index = next(c.index for c in self.info.columns if c.field == "tax_id")
        if track:
            self._rows_seen = 0
        rows = self._iter_sheet(width)
        try:
            for row_number, values in rows:
                if track:
                    self._rows_seen = row_number
                if row_number <= self.info.header_row:
                    continue
                cells = [_excel_text(v) for v in values]
                if not any(cells):
                    continue
                tax = values[tax_index] if tax_index < len(values) else None
                numeric = isinstance(tax, int | float) and not isinstance(tax, bool)
                yield row_number, None, cells, numeric
        finally:
            rows.close()

    def _record_fraction(self) -> float:
        if not self._estimated_rows:
            return 0.0
        return min(1.0, self._rows_seen / self._estimated_rows)

    def close(self) -> None:
        super().close()
        # Closing a damaged archive must not mask the error that made us close it.
        with contextlib.suppress(Exception):
            self._workbook.close()


# --------------------------------------------------------------------------- writing


_EXAMPLE: Final[dict[str, dict[str, str]]] = {
    "en": {
        "tax_id": "96.790.240-3",
        "name": "Ferretería Ejemplo SpA",
        "description": "Hardware and building supplies",
        "address": "Av. Providencia 1234, of. 56",
        "city": "Santiago",
        "province": "Región Metropolitana",
        "phone": "56 2 2345 6789",
        "fax": "",
        "email": "ventas@example.com",
        "groups": "Hardware",
        "notify": "1",
        "country": "CL",
    },
    "es": {
        "tax_id": "96.790.240-3",
        "name": "Ferretería Ejemplo SpA",
        "description": "Ferretería y materiales de construcción",
        "address": "Av. Providencia 1234, of. 56",
        "city": "Santiago",
        "province": "Región Metropolitana",
        "phone": "56 2 2345 6789",
        "fax": "",
        "email": "ventas@example.com",
        "groups": "Ferretería",
        "notify": "1",
        "country": "CL",
    },
}
_TEXT_FIELDS: Final = frozenset({"tax_id", "phone", "fax"})


def write_template(
    path: str | os.PathLike[str],
    fmt: FileKind,
    lang: str,
    *,
    include_country: bool = True,
    force: bool = False,
) -> None:
    """Write the bulk template: the header row and one example row (a made-up Chilean supplier).

    CSV is UTF-8 with a BOM (without it Excel reads the file as ANSI and mangles accents) and
    CRLF line ends; the delimiter is ``,`` for English and ``;`` for Spanish because Excel uses
    the locale's list separator, and Spanish locales use ``;`` (the comma is their decimal
    mark). The .xlsx formats Tax ID, phone and fax as Text so Excel keeps leading zeros and
    check digits, and offers 1/0 in Notify.
    """
    language = lang if lang in _TEMPLATE_HEADERS else "en"
    names = [n for n in FIELDS if include_country or n != "country"]
    header = [header_label(n, language) for n in names]
    example = [_EXAMPLE[language][n] for n in names]
    target = Path(path)
    if fmt == "csv":
        delimiter = ";" if language == "es" else ","
        _write_csv_atomic(target, [header, example], delimiter, force=force)
        return
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Suppliers" if language == "en" else "Proveedores"
    sheet.append(header)
    sheet.append(example)
    bold = Font(bold=True)
    for index, name in enumerate(names, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index)
        head.font = bold
        head.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[letter].width = max(12, len(header[index - 1]) + 4)
        if name in _TEXT_FIELDS:
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
        if name == "notify":
            check = DataValidation(type="list", formula1='"1,0"', allow_blank=False)
            check.add(f"{letter}2:{letter}{EXCEL_MAX_ROWS}")
            sheet.add_data_validation(check)
    sheet.column_dimensions[get_column_letter(names.index("name") + 1)].width = 32
    sheet.freeze_panes = "A2"
    with open_output(target, "wb", force=force) as fh:
        workbook.save(fh)


def write_report_csv(
    path: str | os.PathLike[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str | None = None,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Write a CSV report (e.g. rejected rows) with every cell neutralised.

    Same dialect as the template: UTF-8 with BOM, ``;`` for Spanish sessions else ``,``.
    Written as ``output_files`` writes (never over an existing file unless ``force``, never
    over one of ``inputs``, never half a report).
    """
    sep = delimiter or (";" if get_language() == "es" else ",")
    cleaned = ([neutralize_cell("" if c is None else str(c)) for c in row] for row in rows)
    _write_csv_atomic(Path(path), cleaned, sep, force=force, inputs=inputs)


def _write_csv_atomic(
    target: Path,
    rows: Iterable[Sequence[str]],
    delimiter: str,
    *,
    force: bool,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    with open_output(target, force=force, inputs=inputs, encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        for row in rows:
            writer.writerow(row)
