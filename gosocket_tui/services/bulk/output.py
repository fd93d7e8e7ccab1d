"""The files bulk registration writes: the template to fill in, and CSV reports of problems."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gosocket_tui.i18n import get_language
from gosocket_tui.services.bulk.headers import FIELDS, TEMPLATE_HEADERS, header_label
from gosocket_tui.services.bulk.source import EXCEL_MAX_ROWS, FileKind
from gosocket_tui.services.exports import neutralize_cell
from gosocket_tui.services.output_files import open_output

_EXAMPLE_EN: Final[dict[str, str]] = {
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
    "language": "es",
}
# The same supplier in Spanish: only the words change.
_EXAMPLE: Final[dict[str, dict[str, str]]] = {
    "en": _EXAMPLE_EN,
    "es": {
        **_EXAMPLE_EN,
        "description": "Ferretería y materiales de construcción",
        "groups": "Ferretería",
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
    check digits, offers 1/0 in Notify and es/pt/en in Language (empty: the country's).
    """
    language = lang if lang in TEMPLATE_HEADERS else "en"
    names = [n for n in FIELDS if include_country or n != "country"]
    header = [header_label(n, language) for n in names]
    example = [_EXAMPLE[language][n] for n in names]
    target = Path(path)
    if fmt == "csv":
        delimiter = ";" if language == "es" else ","
        write_csv_atomic(target, [header, example], delimiter, force=force)
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
        if name == "language":
            choice = DataValidation(type="list", formula1='"es,pt,en"', allow_blank=True)
            choice.add(f"{letter}2:{letter}{EXCEL_MAX_ROWS}")
            sheet.add_data_validation(choice)
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
    write_csv_atomic(Path(path), cleaned, sep, force=force, inputs=inputs)


def write_csv_atomic(
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
