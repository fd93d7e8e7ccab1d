"""Text as spreadsheets put it on the clipboard, for the paste tests (services and TUI).

Excel, LibreOffice Calc and Google Sheets copy a block of cells as tab-separated lines; a cell
holding a tab, a line break or a quote is quoted, its quotes doubled.
"""

from __future__ import annotations

from stdnum.cl import rut

from gosocket_tui.services.bulk import FIELDS, header_label


def tax_id(i: int) -> str:
    """The ``i``-th of a run of valid Chilean RUTs (none is a test company's)."""
    body = str(10_000_000 + i * 7)
    return f"{body}-{rut.calc_check_digit(body)}"


def cells(i: int, **values: str) -> list[str]:
    """One supplier in the template's column order (Country last, left empty)."""
    row = dict.fromkeys(FIELDS, "")
    row.update(tax_id=tax_id(i), name=f"Proveedor {i}", email=f"p{i}@example.com", notify="0")
    row.update(values)
    return [row[name] for name in FIELDS]


def quoted(cell: str) -> str:
    """A cell as a spreadsheet copies it: quoted when it holds a tab, a line break or a quote."""
    if any(ch in cell for ch in '\t\n\r"'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def clipboard(rows: list[list[str]], *, end: str = "\r\n", trailing: bool = True) -> str:
    text = end.join("\t".join(quoted(c) for c in row) for row in rows)
    return text + end if trailing else text


def header(lang: str = "en") -> list[str]:
    """The template's header row in ``lang``."""
    return [header_label(name, lang) for name in FIELDS]
