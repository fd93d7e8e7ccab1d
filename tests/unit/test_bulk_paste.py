"""Rows pasted from a spreadsheet (services/bulk/pasted.py): the same checks, report and
all-or-nothing import as a file, on both engines (CI runs tests/unit on PostgreSQL too).

The pasted text is built the way Excel, LibreOffice Calc and Google Sheets put cells on the
clipboard: tab-separated, one line per row, a cell holding a tab, a line break or a quote
quoted with its quotes doubled. Tests act for Distribuidora del Pacífico (Peru), so the
Chilean rows are never the acting company itself.
"""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from gosocket_tui.db.models import SupplierLink
from gosocket_tui.i18n import set_language
from gosocket_tui.services import bulk
from gosocket_tui.services.bulk import (
    FileRefused,
    ImportOptions,
    ImportRefused,
    PastedText,
    PasteTooLong,
    import_file,
    open_supplier_file,
    paste_rows,
    validate,
)
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from tests.paste_helpers import cells, clipboard, header, tax_id

CL = ImportOptions(default_country="CL")


def preview(pasted: PastedText, n: int = 5) -> list[bulk.RawRow]:
    with open_supplier_file(pasted) as opened:
        return opened.preview(n)


# ------------------------------------------------------------------------------ reading


def test_paste_with_header_is_checked_like_a_file(
    ctx: ServiceContext, other_admin: Session
) -> None:
    text = clipboard([header(), cells(1), cells(2, notify="1")])
    with paste_rows(text) as pasted:
        rows = preview(pasted)
        assert [r.row_number for r in rows] == [2, 3]  # the header is row 1, as in Excel
        assert rows[0].values["tax_id"] == tax_id(1)
        with validate(ctx, other_admin, pasted, CL) as report:
            assert (report.rows, report.valid, report.invalid, report.notify) == (2, 2, 0, 1)
            assert report.file_name == "Pasted text"
            assert report.source.kind == "pasted"
            assert report.source.header_row == 1
            assert report.source.describe() == "columns separated by tab"


def test_paste_without_header_takes_the_template_order(
    ctx: ServiceContext, other_admin: Session
) -> None:
    with paste_rows(clipboard([cells(1), cells(2)])) as pasted:
        rows = preview(pasted)
        assert [r.row_number for r in rows] == [1, 2]  # the first pasted line is row 1
        assert rows[1].values["email"] == "p2@example.com"
        with validate(ctx, other_admin, pasted, CL) as report:
            assert (report.rows, report.valid) == (2, 2)
            assert report.source.header_row == 0
            assert [c.header for c in report.source.columns] == header()
            assert any("no header row" in w for w in report.source.warnings)


def test_paste_with_spanish_header(ctx: ServiceContext, other_admin: Session) -> None:
    spanish = header("es")
    assert spanish[0] == "ID Fiscal*"
    pasted = paste_rows(clipboard([spanish, cells(1), cells(2)]))
    with pasted, validate(ctx, other_admin, pasted, CL) as report:
        assert (report.rows, report.valid) == (2, 2)
        assert report.source.columns[0].header == "ID Fiscal*"


def test_paste_with_only_the_mandatory_columns_by_header(
    ctx: ServiceContext, other_admin: Session
) -> None:
    rows = [
        ["Email", "RUT", "Razón Social", "Notificar"],
        ["a@example.com", tax_id(3), "Tres", "1"],
    ]
    with paste_rows(clipboard(rows)) as pasted:
        (row,) = preview(pasted)
        assert row.values["email"] == "a@example.com" and row.values["name"] == "Tres"


@pytest.mark.parametrize("end", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
@pytest.mark.parametrize("trailing", [True, False], ids=["trailing-newline", "no-newline"])
def test_line_ends_and_trailing_newline(end: str, trailing: bool) -> None:
    """Windows Excel copies CRLF, macOS and Sheets LF; a terminal may turn them into CR."""
    text = clipboard([header(), cells(1), cells(2)], end=end, trailing=trailing)
    with paste_rows(text) as pasted:
        rows = preview(pasted)
    assert [r.row_number for r in rows] == [2, 3]
    assert [r.values["name"] for r in rows] == ["Proveedor 1", "Proveedor 2"]
    assert pasted.rows == 2


def test_quoted_cells_with_tabs_line_breaks_and_quotes(
    ctx: ServiceContext, other_admin: Session
) -> None:
    address = "Av. Apoquindo 3000\r\nPiso 5"  # Alt+Enter in a cell, copied on Windows
    description = 'Tabs\tinside and "quotes"'
    rows = [header(), cells(1, address=address, description=description), cells(2)]
    with paste_rows(clipboard(rows)) as pasted:
        first, second = preview(pasted)
        assert first.values["address"] == "Av. Apoquindo 3000\nPiso 5"
        assert first.values["description"] == description
        assert second.row_number == 3  # a cell's line break does not make a row
        import_file(ctx, other_admin, pasted, CL)
    link = SupplierLink.get(SupplierLink.tax_id == tax_id(1).replace("-", ""))
    assert link.description == 'Tabs inside and "quotes"'  # squeezed as the form stores it


def test_a_leading_bom_and_blank_lines_are_not_rows() -> None:
    text = "\ufeff" + clipboard([header(), [""] * 12, cells(1)])
    with paste_rows(text) as pasted:
        (row,) = preview(pasted)
    assert row.row_number == 3
    assert pasted.rows == 1


# ---------------------------------------------------------------------------- refusals


def test_ten_thousand_rows_pass_and_one_more_is_refused_with_the_way_to_send_a_file() -> None:
    rows = [cells(i) for i in range(10_000)]
    with paste_rows(clipboard([header(), *rows])) as pasted:
        assert pasted.rows == 10_000  # the header is not counted
    with pytest.raises(PasteTooLong) as refused:
        paste_rows(clipboard([*rows, cells(10_000)]))
    message = refused.value.message
    assert "more than 10,000 rows" in message
    assert "save them as a CSV or Excel file" in message


@pytest.mark.parametrize("text", ["", "   ", "\r\n\r\n", "\t\t\n"])
def test_nothing_pasted(text: str) -> None:
    with pytest.raises(FileRefused, match="Nothing was pasted"):
        paste_rows(text)


def test_a_header_alone_is_refused() -> None:
    with pytest.raises(FileRefused, match="only the header row"):
        paste_rows(clipboard([header(), [""] * 12]))


def test_rows_without_header_and_too_few_columns_are_refused() -> None:
    """Without headers the columns are the template's: four cells cannot reach Notify."""
    with pytest.raises(FileRefused) as refused:
        paste_rows(clipboard([[tax_id(1), "Uno", "u@example.com", "1"]]))
    message = refused.value.message
    assert "no header row" in message and "4 columns" in message
    assert "Tax ID*, Name*, Description" in message


def test_a_header_missing_a_mandatory_column_says_which() -> None:
    with pytest.raises(FileRefused, match="The mandatory column Notify\\* is missing"):
        paste_rows(clipboard([["Tax ID", "Name", "Email"], [tax_id(1), "Uno", "u@x.cl"]]))


@pytest.mark.parametrize("control", ["\x1b", "\x1b]0;pwned\x07", "\x00", "\x08"])
def test_control_characters_refuse_the_paste_naming_the_cell(control: str) -> None:
    """As in a file (where they make it binary), naming the row and column instead of a byte."""
    rows = [header(), cells(1), cells(2, city=f"Santiago{control}")]
    with pytest.raises(FileRefused) as refused:
        paste_rows(clipboard(rows))
    assert "Row 3, column E (City)" in refused.value.message
    assert "control character" in refused.value.message


def test_markup_bidi_and_c1_are_read_as_text_like_in_a_file(
    ctx: ServiceContext, other_admin: Session
) -> None:
    """Markup is plain text (the screen shows it literally); bidi and C1 characters are read
    as in a file: stored where text may hold them, problems where the value is checked."""
    markup = "[@click=app.quit]Evil[/] [b]SpA[/b]"
    hostile = "\u202e\x9b"
    rows = [
        header(),
        cells(1, name=markup, city=f"Ciudad{hostile}"),
        cells(2, email=f"p2{hostile}@example.com"),
    ]
    with paste_rows(clipboard(rows)) as pasted:
        with pytest.raises(ImportRefused) as refused:
            import_file(ctx, other_admin, pasted, CL)
        (issue,) = refused.value.report.issues
        assert (issue.row, issue.column) == (3, "I (Email*)")
        assert SupplierLink.select().count() == 0
        import_file(ctx, other_admin, pasted, ImportOptions(default_country="CL", valid_only=True))
    (link,) = SupplierLink.select()
    assert link.name == markup
    assert link.city == f"Ciudad{hostile}"


# ------------------------------------------------------------------------------ import


def test_paste_then_import_writes_the_rows(ctx: ServiceContext, other_admin: Session) -> None:
    rows = [cells(i, notify="1" if i % 2 else "0") for i in range(1, 21)]
    pasted = paste_rows(clipboard(rows))
    with pasted, validate(ctx, other_admin, pasted, CL) as report:
        summary = import_file(ctx, other_admin, pasted, CL, validated=report)
    assert (summary.added, summary.invitations_queued, summary.file_name) == (
        20,
        10,
        "Pasted text",
    )
    assert SupplierLink.select().count() == 20


def test_paste_with_errors_reports_them_and_writes_nothing(
    ctx: ServiceContext, other_admin: Session
) -> None:
    rows = [cells(1), cells(2, notify="yes"), cells(3, tax_id="12.345.678-0"), cells(1)]
    with paste_rows(clipboard(rows, end="\n")) as pasted:
        with validate(ctx, other_admin, pasted, CL) as report:
            assert (report.rows, report.valid, report.invalid) == (4, 1, 3)
            where = [(i.row, i.column) for i in report.issues]
            assert where == [(2, "K (Notify*)"), (3, "A (Tax ID*)"), (4, "A (Tax ID*)")]
            assert "Same supplier as row 1" in report.issues[2].message
        with pytest.raises(ImportRefused):
            import_file(ctx, other_admin, pasted, CL)
    assert SupplierLink.select().count() == 0


def test_spanish_session_names_the_paste_and_its_columns(
    ctx: ServiceContext, other_admin: Session
) -> None:
    set_language("es")
    pasted = paste_rows(clipboard([cells(1, notify="sí")]))
    with pasted, validate(ctx, other_admin, pasted, CL) as report:
        assert report.file_name == "Texto pegado"
        (issue,) = report.issues
        assert issue.column == "K (Notificar*)"


def test_the_pasted_text_is_private_and_removed(ctx: ServiceContext, other_admin: Session) -> None:
    pasted = paste_rows(clipboard([cells(1)]))
    path = Path(os.fspath(pasted))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    pasted.discard()
    assert not path.parent.exists()
    with pytest.raises(FileRefused):
        validate(ctx, other_admin, pasted, CL)


def test_a_copy_sent_to_a_worker_reads_the_rows_but_never_removes_them(
    ctx: ServiceContext, other_admin: Session
) -> None:
    """A process pool pickles its arguments: the copy must read, and dropping it must not
    take the file from the original (an unpickled ``weakref.finalize`` is never alive)."""
    pasted = paste_rows(clipboard([header(), cells(1), cells(2)]))
    copy = pickle.loads(pickle.dumps(pasted))
    assert [r.values["name"] for r in preview(copy)] == ["Proveedor 1", "Proveedor 2"]
    copy.discard()
    del copy
    assert Path(os.fspath(pasted)).exists()
    with pasted, validate(ctx, other_admin, pasted, CL) as report:
        assert report.valid == 2
    assert not Path(os.fspath(pasted)).exists()


def test_spanish_catalog_covers_the_paste_messages() -> None:
    import ast
    import json

    from gosocket_tui.services.bulk import pasted

    source = Path(pasted.__file__).read_text(encoding="utf-8")
    ids = {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    }
    catalog_path = Path(pasted.__file__).parents[2] / "locale" / "es" / "bulk_paste.json"
    assert ids <= set(json.loads(catalog_path.read_text(encoding="utf-8")))
