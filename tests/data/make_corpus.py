"""Generate the supplier-file corpus in ``tests/data/suppliers/`` and ``EXPECTED.md``.

Run once from the repository root (``python tests/data/make_corpus.py``) and commit the output:
the tests read the committed bytes, so a change in openpyxl or in this script cannot silently
change what is tested. The expected outcome of every file is asserted in
``tests/unit/test_bulk_files.py`` (``CORPUS``); EXPECTED.md is the human summary.

All Tax IDs are valid for their country (checked below with python-stdnum); the companies and
addresses are made up.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.mx import rfc
from stdnum.pe import ruc

HERE = Path(__file__).parent
OUT = HERE / "suppliers"
FIXED_TIME = dt.datetime(2024, 1, 2, 3, 4, 5)

EN = "Tax ID*,Name*,Description,Address,City,Province,Phone,Fax,Email*,Groups,Notify*"
ES = (
    "ID Fiscal*;Nombre*;Descripción;Dirección;Ciudad;Provincia;Teléfono;Fax;"
    "Correo electrónico*;Grupos;Notificar*"
)

VALID = {
    rut: ["77.123.456-9", "76.543.210-3", "77.100.007-K", "96.790.240-3", "76.086.428-5"],
    ruc: ["20131312955", "20512345671"],
    nit: ["900.373.115-3"],
    rfc: ["EKU9003173C9"],
}
for module, numbers in VALID.items():
    for number in numbers:
        assert module.is_valid(number), number
assert rut.is_valid("760864285")

FILES: list[tuple[str, str, Callable[[Path], None]]] = []


def corpus(
    name: str, description: str
) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    def register(build: Callable[[Path], None]) -> Callable[[Path], None]:
        FILES.append((name, description, build))
        return build

    return register


def text(path: Path, body: str, encoding: str = "utf-8", newline: str = "\r\n") -> None:
    path.write_bytes(body.replace("\n", newline).encode(encoding))


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@corpus(
    "utf8_bom_en.csv", "UTF-8 with BOM, comma, CRLF, English headers plus Country; ñ, quoted comma"
)
def _(path: Path) -> None:
    text(
        path,
        "\ufeff" + EN + ",Country\n"
        '77.123.456-9,Comercial Ñandú Ltda.,Insumos de oficina,"Av. Apoquindo 3000, piso 5",'
        "Las Condes,Región Metropolitana,+56 2 2345 6789,,contacto@nandu.example,Oficina,1,CL\n"
        "20131312955,Distribuidora Inca SAC,,Jr. Puno 123,Lima,Lima,,,ventas@inca.example,,0,PE\n"
        "900.373.115-3,Servicios Andinos SAS,,Calle 100 # 8A-55,Bogotá,Cundinamarca,,,"
        "info@andinos.example,,1,CO\n"
        "EKU9003173C9,Empresa Kukulkán SA de CV,,Av. Reforma 222,Ciudad de México,CDMX,,,"
        "compras@kukulkan.example,,1,MX\n",
    )


@corpus(
    "windows1252_es.csv",
    "Windows-1252 (Excel in Spanish), ';', Spanish synonyms RUT/Razón Social/Región",
)
def _(path: Path) -> None:
    text(
        path,
        "RUT;Razón Social;Descripción;Dirección;Ciudad;Región;Teléfono;Fax;Correo electrónico;"
        "Grupos;Notificar\n"
        "76.543.210-3;Panadería La Ñusta Ltda.;Pan y pastelería;Av. Grecia 8735;Peñalolén;"
        "Metropolitana;22 222 3344;;pedidos@nusta.example;Alimentación;1\n"
        "77.100.007-K;Construcción y Diseño Limitada;Obras menores;Irarrázaval 5185;Ñuñoa;"
        "Metropolitana;;;obras@cyd.example;Construcción;0\n",
        encoding="cp1252",
    )


@corpus(
    "semicolon_decimal_commas.csv",
    "';' with decimal commas in data and a ',' inside an unknown header",
)
def _(path: Path) -> None:
    text(
        path,
        "Tax ID*;Name*;Email*;Notify*;Límite de crédito (CLP, miles);Descuento\n"
        "77.123.456-9;Comercial Ñandú Ltda.;contacto@nandu.example;1;1.234,56;0,5\n"
        '96.790.240-3;"Aceros del Sur; Hierros y Metales";aceros@sur.example;0;10,75;1,25\n',
    )


@corpus("tab_separated.txt", "Excel 'Text (Tab delimited)': UTF-8, tab, LF line ends")
def _(path: Path) -> None:
    rows = [
        ["Tax ID", "Name", "Email", "Notify", "Country"],
        ["20512345671", "Textiles Arequipa SAC", "ventas@textiles.example", "1", "PE"],
        ["20131312955", "Distribuidora Inca SAC", "ventas@inca.example", "0", "PE"],
    ]
    text(path, "".join("\t".join(r) + "\n" for r in rows), newline="\n")


@corpus("quoted_newlines.csv", "RFC 4180 quoting: line breaks and doubled quotes inside cells")
def _(path: Path) -> None:
    text(
        path,
        "Tax ID*,Name*,Address,Description,Email*,Notify*\n"
        '77.123.456-9,Comercial Ñandú Ltda.,"Av. Los Leones 123\nDepto 45",'
        '"Dice ""hola"", y se va",a@nandu.example,1\n'
        '76.543.210-3,"Panadería\nLa Ñusta",,"tres\nlíneas\naquí",b@nusta.example,0\n'
        "96.790.240-3,Aceros del Sur,Calle 1,,c@sur.example,1\n",
    )


@corpus(
    "formula_names.csv",
    'formula-looking names passed through raw; Excel\'s ="…" text idiom unwrapped',
)
def _(path: Path) -> None:
    text(
        path,
        EN + "\n"
        '77.123.456-9,"=HYPERLINK(""http://evil.example"",""Click"")",,,,,,,x@a.example,,1\n'
        "76.543.210-3,+1,,,,,,,y@b.example,,1\n"
        "96.790.240-3,@SUM(A1:A2),,,,,,,z@c.example,,1\n"
        '="77100007-K",-2+3,,,,,,,w@d.example,,1\n',
    )


@corpus(
    "blank_lines.csv", "blank lines and a delimiter-only line between rows, trailing blank lines"
)
def _(path: Path) -> None:
    text(
        path,
        EN + "\n\n"
        "77.123.456-9,Comercial Ñandú Ltda.,,,,,,,a@nandu.example,,1\n"
        ",,,,,,,,,,\n"
        "76.543.210-3,Panadería La Ñusta,,,,,,,b@nusta.example,,0\n"
        "\n\n",
    )


@corpus("missing_email_column.csv", "no Email column: refused, message names Email*")
def _(path: Path) -> None:
    text(path, "Tax ID*,Name*,Notify*\n77.123.456-9,Comercial Ñandú Ltda.,1\n")


@corpus("duplicate_columns.csv", "both 'Tax ID' and 'RUT': refused")
def _(path: Path) -> None:
    text(path, "Tax ID*,RUT,Name*,Email*,Notify*\n77.123.456-9,77.123.456-9,X,x@a.example,1\n")


@corpus("bad_notify.csv", "Notify yes/2/empty/Sí: validation problems, read raw")
def _(path: Path) -> None:
    text(
        path,
        "Tax ID*,Name*,Email*,Notify*\n"
        "77.123.456-9,Uno,a@a.example,yes\n"
        "76.543.210-3,Dos,b@b.example,2\n"
        "96.790.240-3,Tres,c@c.example,\n"
        "77.100.007-K,Cuatro,d@d.example, 1 \n"
        "76.086.428-5,Cinco,e@e.example,Sí\n",
    )


@corpus("duplicate_tax_id_notations.csv", "one Tax ID as 76.086.428-5 and 760864285 (read raw)")
def _(path: Path) -> None:
    text(
        path,
        "Tax ID*,Name*,Email*,Notify*\n"
        "76.086.428-5,Comercial Andes SpA,a@andes.example,1\n"
        "760864285,Comercial Andes S.p.A.,b@andes.example,0\n",
    )


@corpus("messy_headers.csv", "headers in odd case/spacing/accents; NBSP around values; extra cells")
def _(path: Path) -> None:
    text(
        path,
        "  TAX-ID * ;razon social;E-MAIL;NOTIFICAR*;telefono;PAIS;Region\n"
        "\u00a077.123.456-9 ;  Comercial Ñandú Ltda.  ;a@nandu.example;1;222;CL;RM;sobra;otra\n",
    )


@corpus("excel_sep_line.csv", "Excel's 'sep=;' first line, then Spanish headers")
def _(path: Path) -> None:
    text(path, "sep=;\n" + ES + "\n77.123.456-9;Comercial Ñandú Ltda.;;;;;;;a@nandu.example;;1\n")


@corpus("excel_unicode_text.txt", "Excel 'Unicode Text': UTF-16LE with BOM, tab separated")
def _(path: Path) -> None:
    body = (
        "Tax ID*\tName*\tEmail*\tNotify*\n77.123.456-9\tComercial Ñandú Ltda.\ta@nandu.example\t1\n"
    )
    path.write_bytes(body.replace("\n", "\r\n").encode("utf-16"))


@corpus("title_above_header.csv", "a title line and a blank line above the headers")
def _(path: Path) -> None:
    text(
        path,
        "Carga masiva de proveedores;;;\n\n"
        "ID Fiscal*;Nombre*;Correo electrónico*;Notificar*\n"
        "77.123.456-9;Comercial Ñandú Ltda.;a@nandu.example;1\n",
    )


@corpus("header_only.csv", "headers and no data rows")
def _(path: Path) -> None:
    text(path, EN + "\n")


@corpus("empty.csv", "zero bytes")
def _(path: Path) -> None:
    path.write_bytes(b"")


@corpus("not_text_encoding.csv", "neither UTF-8 nor Windows-1252 (bytes 0x81, 0x8D)")
def _(path: Path) -> None:
    path.write_bytes(b"Tax ID*,Name*,Email*,Notify*\r\n1,\x81\x8d,a@b.example,1\r\n")


@corpus("random_bytes.csv", "4 KiB of random bytes named .csv")
def _(path: Path) -> None:
    path.write_bytes(random.Random(1234).randbytes(4096))


@corpus("random_bytes.xlsx", "4 KiB of random bytes named .xlsx")
def _(path: Path) -> None:
    path.write_bytes(random.Random(5678).randbytes(4096))


@corpus("not_a_zip.xlsx", "a CSV text file named .xlsx")
def _(path: Path) -> None:
    text(path, EN + "\n77.123.456-9,X,,,,,,,x@a.example,,1\n")


@corpus("old_excel.xls", "an .xls name: refused by extension (save as .xlsx or CSV)")
def _(path: Path) -> None:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))


@corpus("ole2_renamed.xlsx", "an old .xls / password-protected workbook (OLE2) named .xlsx")
def _(path: Path) -> None:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))


@corpus("plain_zip.xlsx", "a zip archive that is not a workbook")
def _(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")


@corpus("zip_bomb.xlsx", "a workbook-shaped zip whose one entry inflates to 64 MiB")
def _(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b" " * (64 * 1024 * 1024))


@corpus(
    "mixed_encodings.csv",
    "UTF-8 lines and a Windows-1252 line pasted together (would be stored as Ã‘andÃº)",
)
def _(path: Path) -> None:
    lines = [
        (EN + "\r\n", "utf-8"),
        ("77.123.456-9,Comercial Ñandú Ltda.,,,Ñuñoa,,,,a@nandu.example,,1\r\n", "utf-8"),
        ("76.543.210-3,Panadería La Ñusta Ltda.,,,,,,,b@nusta.example,,0\r\n", "cp1252"),
    ]
    path.write_bytes(b"".join(line.encode(encoding) for line, encoding in lines))


@corpus("stray_quote.csv", 'a quoted cell with an undoubled quote inside: "bad"quote"')
def _(path: Path) -> None:
    text(
        path,
        EN + "\n"
        "77.123.456-9,Comercial Andes,,,,,,,a@andes.example,,1\n"
        '76.543.210-3,"bad"quote",,,,,,,b@quote.example,,0\n',
    )


@corpus("unclosed_quote_at_end.csv", "the last row opens a quote that the file never closes")
def _(path: Path) -> None:
    text(path, EN + '\n77.123.456-9,"Comercial Andes,,,,,,,a@andes.example,,1\n')


@corpus("workbook_named.csv", "an .xlsx workbook named .csv")
def _(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["Tax ID*", "Name*", "Email*", "Notify*"])
    path.write_bytes(workbook_bytes(wb))


@corpus("numeric_tax_id.xlsx", "numeric Tax ID / phone / Notify cells, a date, a boolean")
def _(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hoja1"
    ws.append(["Tax ID*", "Name*", "Description", "Phone", "Email*", "Notify*"])
    ws.append(
        [760864285, "Comercial Andes SpA", dt.datetime(2024, 3, 1), 56223456789, "a@x.example", 1]
    )
    ws.append([20131312955.0, "Distribuidora Inca SAC", 2.5, 1234567.0, "b@x.example", 0.0])
    ws.append(["77.100.007-K", "Construcción y Diseño", None, None, "c@x.example", True])
    path.write_bytes(workbook_bytes(wb))


@corpus(
    "spanish_two_sheets.xlsx", "instructions sheet active; data sheet with a title row and gaps"
)
def _(path: Path) -> None:
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Instrucciones"
    info.append(["Complete la hoja Proveedores. Las columnas con * son obligatorias."])
    data = wb.create_sheet("Proveedores")
    data.append(["Carga masiva de proveedores"])
    data.append([])
    data.append([h for h in ES.split(";")] + ["País"])
    data.append(
        [
            "77.123.456-9",
            "Comercial Ñandú Ltda.",
            "",
            "",
            "Ñuñoa",
            "",
            "",
            "",
            "a@nandu.example",
            "",
            "1",
            "CL",
        ]
    )
    data.cell(row=7, column=1, value="20131312955")
    for col, value in enumerate(["Distribuidora Inca SAC", None, None, "Lima"], start=2):
        data.cell(row=7, column=col, value=value)
    data.cell(row=7, column=9, value="b@inca.example")
    data.cell(row=7, column=11, value="0")
    data.cell(row=7, column=12, value="PE")
    data.cell(row=9, column=15).number_format = "@"  # a formatted but empty cell far right
    wb.active = 0
    path.write_bytes(workbook_bytes(wb))


@corpus(
    "wrong_dimension.xlsx", "a sheet whose <dimension> claims A1:B2 but holds 4 rows x 4 columns"
)
def _(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Tax ID*", "Name*", "Email*", "Notify*"])
    ws.append(["77.123.456-9", "Uno", "a@a.example", "1"])
    ws.append(["76.543.210-3", "Dos", "b@b.example", "0"])
    ws.append(["96.790.240-3", "Tres", "c@c.example", "1"])
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes(wb)))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', data)
            target.writestr(item, data)


def _markdown() -> str:
    lines = [
        "# Supplier-file corpus (tests/data/suppliers)",
        "",
        "Generated by `tests/data/make_corpus.py`; the exact expectations (encoding, delimiter,",
        "mapping, row numbers, values or the refusal) are the `CORPUS` table in",
        "`tests/unit/test_bulk_files.py`. Refusals are `FileRefused` (a `UserError`).",
        "",
        "| file | what it exercises |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {description} |" for name, description, _build in FILES]
    return "\n".join(lines) + "\n"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, _description, build in FILES:
        build(OUT / name)
    (HERE / "EXPECTED.md").write_text(_markdown(), encoding="utf-8")
    print(f"wrote {len(FILES)} files to {OUT}")


if __name__ == "__main__":
    main()
