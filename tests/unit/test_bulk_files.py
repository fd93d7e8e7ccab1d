"""Reading supplier files (services/bulk, the reader and its backends): the corpus, templates,
limits, fuzzing."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cl import rut

from gosocket_tui.config import Config
from gosocket_tui.errors import GosocketError, UserError
from gosocket_tui.i18n import set_language
from gosocket_tui.services import bulk
from gosocket_tui.services.bulk import (
    FIELDS,
    MANDATORY_FIELDS,
    FileRefused,
    SupplierFile,
    header_label,
    map_columns,
    match_header,
    open_supplier_file,
    write_report_csv,
    write_template,
    xlsx_files,
)
from gosocket_tui.services.exports import neutralize_cell

CORPUS_DIR = Path(__file__).parents[1] / "data" / "suppliers"
# The reading half of services/bulk, whose messages the bulk_files catalog holds.
READING_MODULES = (
    "refusals",
    "headers",
    "source",
    "encoding",
    "csv_files",
    "xlsx_limits",
    "xlsx_files",
    "reader",
    "output",
)
ALL_FIELDS = tuple(FIELDS)[:-1]  # the corpus files' columns: all but Language
TEMPLATE_FIELDS = ALL_FIELDS[:-1]  # the 11 Gosocket columns, without Country
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Expect:
    """What reading one corpus file must give. ``rows``: (row, line, non-empty values)."""

    error: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1
    fields: tuple[str | None, ...] = ()
    rows: tuple[tuple[int, int | None, dict[str, str]], ...] = ()
    warnings: tuple[str, ...] = ()
    row_warnings: dict[int, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


NANDU = "Comercial Ñandú Ltda."

CORPUS: dict[str, Expect] = {
    "mixed_encodings.csv": Expect(
        error="mixed_encodings.csv mixes text encodings: line 3 is not UTF-8 but line 2 is"
    ),
    "stray_quote.csv": Expect(
        error='Line 3: a quote (") inside a quoted cell must be doubled ("")'
    ),
    "unclosed_quote_at_end.csv": Expect(
        error='Line 2: a quote (") opened in this row is never closed'
    ),
    "utf8_bom_en.csv": Expect(
        encoding="utf-8-sig",
        delimiter=",",
        fields=ALL_FIELDS,
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "description": "Insumos de oficina",
                    "address": "Av. Apoquindo 3000, piso 5",
                    "city": "Las Condes",
                    "province": "Región Metropolitana",
                    "phone": "+56 2 2345 6789",
                    "email": "contacto@nandu.example",
                    "groups": "Oficina",
                    "notify": "1",
                    "country": "CL",
                },
            ),
            (
                3,
                3,
                {
                    "tax_id": "20131312955",
                    "name": "Distribuidora Inca SAC",
                    "address": "Jr. Puno 123",
                    "city": "Lima",
                    "province": "Lima",
                    "email": "ventas@inca.example",
                    "notify": "0",
                    "country": "PE",
                },
            ),
            (
                4,
                4,
                {
                    "tax_id": "900.373.115-3",
                    "name": "Servicios Andinos SAS",
                    "address": "Calle 100 # 8A-55",
                    "city": "Bogotá",
                    "province": "Cundinamarca",
                    "email": "info@andinos.example",
                    "notify": "1",
                    "country": "CO",
                },
            ),
            (
                5,
                5,
                {
                    "tax_id": "EKU9003173C9",
                    "name": "Empresa Kukulkán SA de CV",
                    "address": "Av. Reforma 222",
                    "city": "Ciudad de México",
                    "province": "CDMX",
                    "email": "compras@kukulkan.example",
                    "notify": "1",
                    "country": "MX",
                },
            ),
        ),
    ),
    "windows1252_es.csv": Expect(
        encoding="cp1252",
        delimiter=";",
        fields=TEMPLATE_FIELDS,
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "76.543.210-3",
                    "name": "Panadería La Ñusta Ltda.",
                    "description": "Pan y pastelería",
                    "address": "Av. Grecia 8735",
                    "city": "Peñalolén",
                    "province": "Metropolitana",
                    "phone": "22 222 3344",
                    "email": "pedidos@nusta.example",
                    "groups": "Alimentación",
                    "notify": "1",
                },
            ),
            (
                3,
                3,
                {
                    "tax_id": "77.100.007-K",
                    "name": "Construcción y Diseño Limitada",
                    "description": "Obras menores",
                    "address": "Irarrázaval 5185",
                    "city": "Ñuñoa",
                    "province": "Metropolitana",
                    "email": "obras@cyd.example",
                    "groups": "Construcción",
                    "notify": "0",
                },
            ),
        ),
    ),
    "semicolon_decimal_commas.csv": Expect(
        encoding="utf-8",
        delimiter=";",
        fields=("tax_id", "name", "email", "notify", None, None),
        warnings=('Column E "Límite de crédito (CLP, miles)"', 'Column F "Descuento"'),
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "email": "contacto@nandu.example",
                    "notify": "1",
                },
            ),
            (
                3,
                3,
                {
                    "tax_id": "96.790.240-3",
                    "name": "Aceros del Sur; Hierros y Metales",
                    "email": "aceros@sur.example",
                    "notify": "0",
                },
            ),
        ),
    ),
    "tab_separated.txt": Expect(
        encoding="utf-8",
        delimiter="\t",
        fields=("tax_id", "name", "email", "notify", "country"),
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "20512345671",
                    "name": "Textiles Arequipa SAC",
                    "email": "ventas@textiles.example",
                    "notify": "1",
                    "country": "PE",
                },
            ),
            (
                3,
                3,
                {
                    "tax_id": "20131312955",
                    "name": "Distribuidora Inca SAC",
                    "email": "ventas@inca.example",
                    "notify": "0",
                    "country": "PE",
                },
            ),
        ),
    ),
    "quoted_newlines.csv": Expect(
        encoding="utf-8",
        delimiter=",",
        fields=("tax_id", "name", "address", "description", "email", "notify"),
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "address": "Av. Los Leones 123\nDepto 45",
                    "description": 'Dice "hola", y se va',
                    "email": "a@nandu.example",
                    "notify": "1",
                },
            ),
            (
                3,
                4,
                {
                    "tax_id": "76.543.210-3",
                    "name": "Panadería\nLa Ñusta",
                    "description": "tres\nlíneas\naquí",
                    "email": "b@nusta.example",
                    "notify": "0",
                },
            ),
            (
                4,
                8,
                {
                    "tax_id": "96.790.240-3",
                    "name": "Aceros del Sur",
                    "address": "Calle 1",
                    "email": "c@sur.example",
                    "notify": "1",
                },
            ),
        ),
    ),
    "formula_names.csv": Expect(
        encoding="utf-8",
        delimiter=",",
        fields=TEMPLATE_FIELDS,
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "77.123.456-9",
                    "name": '=HYPERLINK("http://evil.example","Click")',
                    "email": "x@a.example",
                    "notify": "1",
                },
            ),
            (3, 3, {"tax_id": "76.543.210-3", "name": "+1", "email": "y@b.example", "notify": "1"}),
            (
                4,
                4,
                {
                    "tax_id": "96.790.240-3",
                    "name": "@SUM(A1:A2)",
                    "email": "z@c.example",
                    "notify": "1",
                },
            ),
            (5, 5, {"tax_id": "77100007-K", "name": "-2+3", "email": "w@d.example", "notify": "1"}),
        ),
    ),
    "blank_lines.csv": Expect(
        encoding="utf-8",
        delimiter=",",
        fields=TEMPLATE_FIELDS,
        rows=(
            (
                3,
                3,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "email": "a@nandu.example",
                    "notify": "1",
                },
            ),
            (
                5,
                5,
                {
                    "tax_id": "76.543.210-3",
                    "name": "Panadería La Ñusta",
                    "email": "b@nusta.example",
                    "notify": "0",
                },
            ),
        ),
    ),
    "missing_email_column.csv": Expect(error="The mandatory column Email* is missing"),
    "duplicate_columns.csv": Expect(
        error='Columns A "Tax ID*" and B "RUT" both hold the Tax ID column'
    ),
    "bad_notify.csv": Expect(
        encoding="utf-8",
        delimiter=",",
        fields=("tax_id", "name", "email", "notify"),
        rows=(
            (
                2,
                2,
                {"tax_id": "77.123.456-9", "name": "Uno", "email": "a@a.example", "notify": "yes"},
            ),
            (
                3,
                3,
                {"tax_id": "76.543.210-3", "name": "Dos", "email": "b@b.example", "notify": "2"},
            ),
            (4, 4, {"tax_id": "96.790.240-3", "name": "Tres", "email": "c@c.example"}),
            (
                5,
                5,
                {"tax_id": "77.100.007-K", "name": "Cuatro", "email": "d@d.example", "notify": "1"},
            ),
            (
                6,
                6,
                {"tax_id": "76.086.428-5", "name": "Cinco", "email": "e@e.example", "notify": "Sí"},
            ),
        ),
    ),
    "duplicate_tax_id_notations.csv": Expect(
        encoding="utf-8",
        delimiter=",",
        fields=("tax_id", "name", "email", "notify"),
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "76.086.428-5",
                    "name": "Comercial Andes SpA",
                    "email": "a@andes.example",
                    "notify": "1",
                },
            ),
            (
                3,
                3,
                {
                    "tax_id": "760864285",
                    "name": "Comercial Andes S.p.A.",
                    "email": "b@andes.example",
                    "notify": "0",
                },
            ),
        ),
    ),
    "messy_headers.csv": Expect(
        encoding="utf-8",
        delimiter=";",
        fields=("tax_id", "name", "email", "notify", "phone", "country", "province"),
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "email": "a@nandu.example",
                    "notify": "1",
                    "phone": "222",
                    "country": "CL",
                    "province": "RM",
                },
            ),
        ),
        row_warnings={2: "Row 2 has a value in column H, which has no header"},
    ),
    "excel_sep_line.csv": Expect(
        encoding="utf-8",
        delimiter=";",
        fields=TEMPLATE_FIELDS,
        rows=(
            (
                2,
                3,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "email": "a@nandu.example",
                    "notify": "1",
                },
            ),
        ),
    ),
    "excel_unicode_text.txt": Expect(
        encoding="utf-16",
        delimiter="\t",
        fields=("tax_id", "name", "email", "notify"),
        rows=(
            (
                2,
                2,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "email": "a@nandu.example",
                    "notify": "1",
                },
            ),
        ),
    ),
    "title_above_header.csv": Expect(
        encoding="utf-8",
        delimiter=";",
        header_row=3,
        fields=("tax_id", "name", "email", "notify"),
        warnings=("The column headers are in row 3",),
        rows=(
            (
                4,
                4,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "email": "a@nandu.example",
                    "notify": "1",
                },
            ),
        ),
    ),
    "header_only.csv": Expect(encoding="utf-8", delimiter=",", fields=TEMPLATE_FIELDS),
    "empty.csv": Expect(error="empty.csv is empty"),
    "not_text_encoding.csv": Expect(error="not text in a supported encoding"),
    "random_bytes.csv": Expect(error="contains binary data"),
    "random_bytes.xlsx": Expect(error="is not an Excel .xlsx file"),
    "not_a_zip.xlsx": Expect(error="not_a_zip.xlsx is not an Excel .xlsx file"),
    "old_excel.xls": Expect(error="save it as .xlsx or CSV"),
    "ole2_renamed.xlsx": Expect(error="is an old Excel (.xls) file or a password-protected"),
    "plain_zip.xlsx": Expect(error="is a zip archive, not an Excel .xlsx file"),
    "zip_bomb.xlsx": Expect(
        error="expands to more than 33 MB",
        options={"max_uncompressed_bytes": 32 * 1024 * 1024},
    ),
    "workbook_named.csv": Expect(error="is an Excel workbook, not a CSV file; rename it to .xlsx"),
    "numeric_tax_id.xlsx": Expect(
        sheet="Hoja1",
        fields=("tax_id", "name", "description", "phone", "email", "notify"),
        rows=(
            (
                2,
                None,
                {
                    "tax_id": "760864285",
                    "name": "Comercial Andes SpA",
                    "description": "2024-03-01",
                    "phone": "56223456789",
                    "email": "a@x.example",
                    "notify": "1",
                },
            ),
            (
                3,
                None,
                {
                    "tax_id": "20131312955",
                    "name": "Distribuidora Inca SAC",
                    "description": "2.5",
                    "phone": "1234567",
                    "email": "b@x.example",
                    "notify": "0",
                },
            ),
            (
                4,
                None,
                {
                    "tax_id": "77.100.007-K",
                    "name": "Construcción y Diseño",
                    "email": "c@x.example",
                    "notify": "1",
                },
            ),
        ),
        row_warnings={
            2: "Row 2: the Tax ID cell is a number in Excel",
            3: "Row 3: the Tax ID cell is a number in Excel",
        },
    ),
    "spanish_two_sheets.xlsx": Expect(
        sheet="Proveedores",
        header_row=3,
        fields=ALL_FIELDS,
        warnings=('Read the sheet "Proveedores" (2 sheets', "The column headers are in row 3"),
        rows=(
            (
                4,
                None,
                {
                    "tax_id": "77.123.456-9",
                    "name": NANDU,
                    "city": "Ñuñoa",
                    "email": "a@nandu.example",
                    "notify": "1",
                    "country": "CL",
                },
            ),
            (
                7,
                None,
                {
                    "tax_id": "20131312955",
                    "name": "Distribuidora Inca SAC",
                    "city": "Lima",
                    "email": "b@inca.example",
                    "notify": "0",
                    "country": "PE",
                },
            ),
        ),
    ),
    "wrong_dimension.xlsx": Expect(
        sheet="Sheet",
        fields=("tax_id", "name", "email", "notify"),
        rows=(
            (
                2,
                None,
                {"tax_id": "77.123.456-9", "name": "Uno", "email": "a@a.example", "notify": "1"},
            ),
            (
                3,
                None,
                {"tax_id": "76.543.210-3", "name": "Dos", "email": "b@b.example", "notify": "0"},
            ),
            (
                4,
                None,
                {"tax_id": "96.790.240-3", "name": "Tres", "email": "c@c.example", "notify": "1"},
            ),
        ),
    ),
}


def test_corpus_table_covers_every_file() -> None:
    on_disk = {p.name for p in CORPUS_DIR.iterdir() if p.is_file()}
    assert on_disk == set(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_file(name: str) -> None:
    expect = CORPUS[name]
    path = CORPUS_DIR / name
    if expect.error is not None:
        with pytest.raises(FileRefused) as caught, open_supplier_file(path, **expect.options) as f:
            list(f.rows())
        assert expect.error in caught.value.message
        assert "\n" not in caught.value.message
        return
    with open_supplier_file(path, **expect.options) as opened:
        info = opened.info
        assert info.kind == ("xlsx" if path.suffix == ".xlsx" else "csv")
        assert info.encoding == expect.encoding
        assert info.delimiter == expect.delimiter
        assert info.sheet == expect.sheet
        assert info.header_row == expect.header_row
        assert tuple(c.field for c in info.columns) == expect.fields
        assert [c.index for c in info.columns] == list(range(len(info.columns)))
        assert len(info.warnings) == len(expect.warnings)
        for warning, fragment in zip(info.warnings, expect.warnings, strict=True):
            assert fragment in warning
        rows = list(opened.rows())
        assert opened.progress() == 1.0
    got = [(r.row_number, r.line, {k: v for k, v in r.values.items() if v}) for r in rows]
    assert got == list(expect.rows)
    for row in rows:
        assert set(row.values) == set(FIELDS)
        expected_note = expect.row_warnings.get(row.row_number)
        if expected_note is None:
            assert row.warnings == ()
        else:
            assert len(row.warnings) == 1 and expected_note in row.warnings[0]


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Tax ID*", "tax_id"),
        ("  tax id  * ", "tax_id"),
        ("TAX-ID", "tax_id"),
        ("TaxID", "tax_id"),
        ("ID Fiscal", "tax_id"),
        ("R.U.T.", "tax_id"),
        ("nit", "tax_id"),
        ("RUC*", "tax_id"),
        ("RFC", "tax_id"),
        ("\ufeffTax ID*", "tax_id"),
        ("Nombre", "name"),
        ("RAZÓN SOCIAL", "name"),
        ("razon social", "name"),
        ("Descripción", "description"),
        ("Direccion", "address"),
        ("Ciudad", "city"),
        ("Región", "province"),
        ("Estado", "province"),
        ("Provincia", "province"),
        ("Teléfono", "phone"),
        ("Fax", "fax"),
        ("E-mail", "email"),
        ("Correo", "email"),
        ("Correo Electrónico*", "email"),
        ("Grupos", "groups"),
        ("Notificar*", "notify"),
        ("País", "country"),
        ("PAIS", "country"),
        ("Ｔａｘ ＩＤ", "tax_id"),  # full-width letters fold under NFKD
        ("Límite de crédito", None),
        ("", None),
    ],
)
def test_match_header(header: str, expected: str | None) -> None:
    assert match_header(header) == expected


def test_map_columns_lists_every_missing_mandatory_column() -> None:
    with pytest.raises(FileRefused) as caught:
        map_columns(["Tax ID", "Name"])
    message = caught.value.message
    assert "The mandatory columns Email*, Notify* are missing" in message
    assert isinstance(caught.value, UserError)


def test_missing_column_message_is_in_the_users_language() -> None:
    set_language("es")
    with pytest.raises(FileRefused) as caught:
        open_supplier_file(CORPUS_DIR / "missing_email_column.csv")
    assert caught.value.message.startswith(
        "Falta la columna obligatoria Correo electrónico*. La primera fila debe contener"
    )


def test_duplicate_columns_message_in_spanish() -> None:
    set_language("es")
    with pytest.raises(FileRefused, match="corresponden ambas a la columna ID Fiscal"):
        open_supplier_file(CORPUS_DIR / "duplicate_columns.csv")


def test_header_label() -> None:
    assert header_label("tax_id", "es") == "ID Fiscal*"
    assert header_label("description", "en") == "Description"
    assert header_label("email", "es", marked=False) == "Correo electrónico"
    assert all(match_header(header_label(n, lang)) == n for n in FIELDS for lang in ("en", "es"))


def test_spanish_catalog_covers_every_message() -> None:
    import ast

    package = Path(bulk.__file__).parent
    sources = [(package / f"{name}.py").read_text(encoding="utf-8") for name in READING_MODULES]
    ids = {
        node.args[0].value
        for source in sources
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    }
    catalog_path = package.parents[1] / "locale" / "es" / "bulk_files.json"
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
    assert ids == set(catalog)


def test_defusedxml_is_active() -> None:
    assert openpyxl.xml.DEFUSEDXML is True


# --------------------------------------------------------------------------- templates


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_template_round_trip(tmp_path: Path, fmt: str, lang: str) -> None:
    path = tmp_path / f"template.{fmt}"
    write_template(path, fmt, lang)  # type: ignore[arg-type]
    with open_supplier_file(path) as opened:
        assert [c.field for c in opened.info.columns] == list(FIELDS)
        assert [c.header for c in opened.info.columns] == [header_label(n, lang) for n in FIELDS]
        assert opened.info.warnings == []
        rows = list(opened.rows())
    assert len(rows) == 1 and rows[0].row_number == 2
    example = rows[0].values
    assert rut.is_valid(example["tax_id"])
    assert example["notify"] == "1" and example["country"] == "CL"
    assert all(example[n] for n in MANDATORY_FIELDS)
    assert rows[0].warnings == ()


@pytest.mark.parametrize(("lang", "delimiter"), [("en", b","), ("es", b";")])
def test_csv_template_dialect(tmp_path: Path, lang: str, delimiter: bytes) -> None:
    path = tmp_path / "template.csv"
    write_template(path, "csv", lang)
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    first_line = data[3:].split(b"\r\n")[0]
    assert first_line.count(delimiter) == len(FIELDS) - 1
    assert data.endswith(b"\r\n")


def test_xlsx_template_keeps_tax_id_as_text(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path, "xlsx", "es", include_country=False)
    sheet = openpyxl.load_workbook(path).active
    expected = [header_label(n, "es") for n in (*TEMPLATE_FIELDS, "language")]
    assert [c.value for c in sheet[1]] == expected
    assert sheet["A2"].value == "96.790.240-3"
    assert sheet["A2"].number_format == "@"
    assert sheet.column_dimensions["A"].number_format == "@"
    assert sheet["A1"].font.b


# --------------------------------------------------------------------------- limits, refusals


def test_defaults_come_from_config(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Tax ID,Name,Email,Notify\n1,a,b,1\n", encoding="utf-8")
    with open_supplier_file(path) as opened:
        assert opened.max_rows == Config().import_max_rows
        assert opened.total_bytes == path.stat().st_size


@pytest.mark.parametrize("name", ["utf8_bom_en.csv", "numeric_tax_id.xlsx"])
def test_file_over_the_byte_limit_is_refused_before_reading(name: str) -> None:
    path = CORPUS_DIR / name
    with pytest.raises(FileRefused, match=r"is larger than the 100 bytes allowed"):
        open_supplier_file(path, max_bytes=100)
    with open_supplier_file(path, max_bytes=path.stat().st_size):
        pass


@pytest.mark.parametrize("name", ["bad_notify.csv", "numeric_tax_id.xlsx"])
def test_row_limit_is_enforced_while_streaming(name: str) -> None:
    path = CORPUS_DIR / name
    total = len(CORPUS[name].rows)
    with open_supplier_file(path, max_rows=total) as opened:
        assert len(list(opened.rows())) == total
    with open_supplier_file(path, max_rows=2) as opened:
        assert len(opened.preview(10)) == total  # previews ignore the limit
        rows = opened.rows()
        assert len([next(rows), next(rows)]) == 2
        with pytest.raises(FileRefused, match="more than 2 rows") as caught:
            next(rows)
        assert caught.value.row == CORPUS[name].rows[2][0]


def test_zip_entry_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(path, "xlsx", "en")
    with pytest.raises(FileRefused, match="too many parts"):
        open_supplier_file(path, max_zip_entries=3)


def test_zip_bomb_with_default_limits_still_ends_in_a_clear_error() -> None:
    # Its 64 MiB sheet of blanks is refused by the cost check, before openpyxl sees it.
    with pytest.raises(FileRefused, match=r"sheet1\.xml is larger than 8 MB"):
        open_supplier_file(CORPUS_DIR / "zip_bomb.xlsx")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("suppliers.pdf", "unsupported file type; use a CSV (.csv) or Excel (.xlsx) file"),
        ("suppliers", "unsupported file type"),
        ("suppliers.ods", "save it as .xlsx or CSV"),
        ("suppliers.XLS", "save it as .xlsx or CSV"),
    ],
)
def test_unsupported_names(tmp_path: Path, name: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"Tax ID,Name,Email,Notify\n")
    with pytest.raises(FileRefused) as caught:
        open_supplier_file(path)
    assert fragment in caught.value.message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match=r"Cannot read nothing\.csv: "):
        open_supplier_file(tmp_path / "nothing.csv")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(FileRefused, match=r"Cannot read folder\.csv: "):
        open_supplier_file(folder)


def test_nul_byte_in_otherwise_good_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"Tax ID,Name,Email,Notify\r\n1,a\x00b,c@d.example,1\r\n")
    with pytest.raises(FileRefused, match=r"binary data \(at byte 29\)"):
        open_supplier_file(path)


def test_overlong_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("Tax ID;Name;Email;Notify\n" + ";" * (1 << 20) + "\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="Line 2 is too long"):
        open_supplier_file(path)  # the header search reads it already


def test_unclosed_quote_swallowing_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    line = "76.543.210-3,Name,a@b.example,1\n"
    path.write_text(
        'Tax ID,Name,Email,Notify\n1,"unclosed,x,1\n' + line * 200_000, encoding="utf-8"
    )
    with open_supplier_file(path) as opened, pytest.raises(FileRefused) as caught:
        list(opened.rows())
    assert caught.value.message == (
        'The row starting at line 2 is too long; is a quote (") left unclosed?'
    )
    assert caught.value.row == 2


# --------------------------------------------------------------------------- encodings


def test_utf8_character_split_across_read_chunks(tmp_path: Path) -> None:
    """The decoder is incremental: an ñ straddling the 1 MiB boundary is still UTF-8."""
    text = "Tax ID,Name,Email,Notify\n"
    row = "1," + "x" * 1000 + ",a@b.example,1\n"
    text += row * (((1 << 20) - len(text)) // len(row))
    text += "1," + "x" * ((1 << 20) - len(text) - len("1,") - 1) + "ñ,a@b.example,1\n"
    path = tmp_path / "split.csv"
    path.write_text(text, encoding="utf-8")
    assert path.read_bytes()[(1 << 20) - 1 : (1 << 20) + 1] == "ñ".encode()
    with open_supplier_file(path) as opened:
        assert opened.info.encoding == "utf-8"
        assert list(opened.rows())[-1].values["name"].endswith("xñ")


def test_windows_1252_byte_after_the_first_chunk_is_found(tmp_path: Path) -> None:
    """Detection reads the whole file, not a prefix: row 30,000 decides the encoding."""
    rows = "".join(f"77.123.456-9,Proveedor {i},p{i}@x.example,1\r\n" for i in range(30_000))
    text = "Tax ID,Name,Email,Notify\r\n" + rows + "76.543.210-3,Compañía,z@x.example,0\r\n"
    path = tmp_path / "late.csv"
    path.write_bytes(text.encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    with open_supplier_file(path) as opened:
        assert opened.info.encoding == "cp1252"
        last = list(opened.rows())[-1]
    assert last.values["name"] == "Compañía" and last.row_number == 30_002


def test_describe(tmp_path: Path) -> None:
    with open_supplier_file(CORPUS_DIR / "windows1252_es.csv") as opened:
        assert opened.info.describe() == 'CSV, Windows-1252, separated by ";"'
        set_language("es")
        assert opened.info.describe() == 'CSV, Windows-1252, separado por ";"'
    with open_supplier_file(CORPUS_DIR / "tab_separated.txt") as opened:
        assert opened.info.describe() == "CSV, UTF-8, separado por tabulador"
    with open_supplier_file(CORPUS_DIR / "numeric_tax_id.xlsx") as opened:
        assert opened.info.describe() == "Libro de Excel, hoja Hoja1"


# --------------------------------------------------------------------------- Excel values


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  x  ", "x"),
        ("a\r\nb", "a\nb"),
        (76086428, "76086428"),
        (76086428.0, "76086428"),
        (1.0, "1"),
        (0.5, "0.5"),
        (True, "1"),
        (False, "0"),
        (dt.datetime(2024, 3, 1), "2024-03-01"),
        (dt.datetime(2024, 3, 1, 10, 30), "2024-03-01T10:30:00"),
        (dt.time(8, 15), "08:15:00"),
        (float("nan"), "nan"),
    ],
)
def test_excel_cell_text(value: object, text: str) -> None:
    assert xlsx_files.excel_text(value) == text


# --------------------------------------------------------------------------- streaming


def test_twenty_thousand_rows_are_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("Tax ID*;Name*;Address;Email*;Notify*\r\n")
        fh.write('77.123.456-9;Primero;"Calle 1\r\nDepto 2";p@x.example;1\r\n')
        for i in range(2, 20_001):
            fh.write(f"77.123.456-9;Proveedor Ñ {i};Calle {i};p{i}@x.example;{i % 2}\r\n")
    with open_supplier_file(path) as opened:
        fractions = []
        count = 0
        last = None
        for row in opened.rows():
            count += 1
            last = row
            if count % 5000 == 0:
                fractions.append(opened.progress())
        assert opened.progress() == 1.0
    assert count == 20_000
    assert last is not None
    assert last.row_number == 20_001  # one spreadsheet row per record
    assert last.line == 20_002  # the first record spans two physical lines
    assert last.values["name"] == "Proveedor Ñ 20000"
    assert fractions == sorted(fractions) and 0 < fractions[0] < 1


@pytest.mark.parametrize("name", ["bad_notify.csv", "spanish_two_sheets.xlsx"])
def test_preview_does_not_consume_rows_and_close_stops_streams(name: str) -> None:
    numbers = [row for row, _line, _values in CORPUS[name].rows]
    with open_supplier_file(CORPUS_DIR / name) as opened:
        assert [r.row_number for r in opened.preview(1)] == numbers[:1]
        rows = opened.rows()
        assert next(rows).row_number == numbers[0]
        assert [r.row_number for r in opened.preview()] == numbers[:5]
    with pytest.raises(StopIteration):
        next(rows)
    with pytest.raises(FileRefused):
        opened.rows()


def test_xlsx_progress_uses_the_sheet_dimension() -> None:
    with open_supplier_file(CORPUS_DIR / "numeric_tax_id.xlsx") as opened:
        rows = opened.rows()
        next(rows)
        assert opened.progress() == pytest.approx(2 / 4)
        assert opened.bytes_read() == opened.total_bytes // 2


# --------------------------------------------------------------------------- CSV injection


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("Ñandú = good", "Ñandú = good"),
        ("76.086.428-5", "76.086.428-5"),
        ("", ""),
    ],
)
def test_neutralize_cell(value: str, expected: str) -> None:
    assert neutralize_cell(value) == expected


@pytest.mark.parametrize(("lang", "delimiter"), [("en", ","), ("es", ";")])
def test_write_report_csv(tmp_path: Path, lang: str, delimiter: str) -> None:
    set_language(lang)
    path = tmp_path / "report.csv"
    write_report_csv(path, [["Row", "Error"], ["2", "=1+1"], ["3", 'say "hi"; ok, bye']])
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        back = list(csv.reader(fh, delimiter=delimiter))
    assert back == [["Row", "Error"], ["2", "'=1+1"], ["3", 'say "hi"; ok, bye']]
    assert not list(tmp_path.glob("*.tmp"))


# --------------------------------------------------------------------------- fuzzing


def _read_everything(path: Path) -> None:
    with contextlib.suppress(GosocketError), open_supplier_file(path) as opened:
        opened.preview()
        for _row in opened.rows():
            pass


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes_raise_only_project_errors(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    _read_everything(path)


@FUZZ
@given(
    text=st.text(alphabet=st.sampled_from(list('ab1,;\t"\r\n =-ñK*')), max_size=300),
    header=st.sampled_from(["", "Tax ID,Name,Email,Notify\n", "RUT;Nombre;Correo;Notificar\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_csv_like_text_raises_only_project_errors(
    tmp_path: Path, text: str, header: str, encoding: str
) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes((header + text).encode(encoding))
    _read_everything(path)


_TEMPLATE_BYTES: dict[str, bytes] = {}


def _template_bytes(tmp_path: Path) -> bytes:
    if "xlsx" not in _TEMPLATE_BYTES:
        path = tmp_path / "base.xlsx"
        write_template(path, "xlsx", "es")
        _TEMPLATE_BYTES["xlsx"] = path.read_bytes()
    return _TEMPLATE_BYTES["xlsx"]


@FUZZ
@given(data=st.data())
def test_damaged_workbooks_raise_only_project_errors(tmp_path: Path, data: st.DataObject) -> None:
    """Flip bytes inside the XML parts of a real workbook (the zip stays readable)."""
    source = zipfile.ZipFile(io.BytesIO(_template_bytes(tmp_path)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = bytearray(source.read(item.filename))
            if data.draw(st.booleans()):
                for _ in range(data.draw(st.integers(1, 4))):
                    position = data.draw(st.integers(0, len(content) - 1))
                    content[position] = data.draw(st.integers(0, 255))
            target.writestr(item.filename, bytes(content))
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(out.getvalue())
    _read_everything(path)


def test_supplier_file_is_the_public_type() -> None:
    with open_supplier_file(CORPUS_DIR / "bad_notify.csv") as opened:
        assert isinstance(opened, SupplierFile)
