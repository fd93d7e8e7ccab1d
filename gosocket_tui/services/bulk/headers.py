"""The template's columns: field names, header labels per language, and header matching.

Headers are forgiving: case, accents, spaces, ``*``, ``-``/``_``/``.`` and English or Spanish
names are all accepted (``RUT``, ``Razón Social``, ``Correo electrónico``…).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from openpyxl.utils import get_column_letter

from gosocket_tui.i18n import _, get_language
from gosocket_tui.services.bulk.refusals import FileRefused, shorten

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
    "language",
)
MANDATORY_FIELDS: Final = ("tax_id", "name", "email", "notify")

# Template headers are part of the file format, not UI text: they are fixed per language here
# (not in the merged catalog) so another area's translation of "Name" can never change them.
TEMPLATE_HEADERS: Final[dict[str, dict[str, str]]] = {
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
        "language": "Language",
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
        "language": "Idioma",
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
    "language": ("Language", "Supplier language", "Idioma", "Idioma del proveedor", "Lengua"),
}

# Excel's own limit (column XFD); a wider header is not a spreadsheet's (and column letters
# end at ZZZ = 18,278).
MAX_COLUMNS: Final = 16_384
_SHOWN_IGNORED_COLUMNS: Final = 10
HEADER_SEARCH_ROWS: Final = 10
_HEADER_NOISE: Final = re.compile(r"[\s._\-/\ufeff\u200b]+")


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
    headers = TEMPLATE_HEADERS.get(lang or get_language(), TEMPLATE_HEADERS["en"])
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
                        header=shorten(header),
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
                    first_header=shorten(first.header),
                    second=column.letter,
                    second_header=shorten(header),
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
            headers=", ".join(header_label(name) for name in FIELDS[:-2]),
        )
        raise FileRefused(f"{text}. {hint}")
    return columns, notes


def find_header(
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
            if seen >= HEADER_SEARCH_ROWS:
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
