"""``gosocket-tui suppliers import`` and ``suppliers template`` through the real entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from stdnum.cl import rut

from gosocket_tui.services.bulk import open_supplier_file
from tests.cli_helpers import Cli

CORPUS = Path(__file__).parents[1] / "data" / "suppliers"
COMPANY = "PE:20100070970"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    runner = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    added = runner(
        "company",
        "add",
        "--country",
        "PE",
        "--tax-id",
        "20100070970",
        "--name",
        "Distribuidora del Pacífico SAC",
    )
    assert added.code == 0, added.err
    return runner


def listed(cli: Cli) -> list[dict[str, object]]:
    result = cli("suppliers", "list", "--company", COMPANY, "--format", "json")
    assert result.code == 0, result.err
    return list(json.loads(result.out))


def test_counts_sentence_is_the_tuis_with_the_languages_numbers(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One counts sentence (``bulk.counts_text``) for the CLI and the TUI; Spanish groups
    thousands with a dot, as the TUI always did (the CLI printed "1,200" in Spanish too)."""
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Tax ID*", "Name*", "Email*", "Notify*"])
        for i in range(1_200):
            body = str(10_000_000 + i * 7)
            writer.writerow([body + rut.calc_check_digit(body), f"P {i}", f"p{i}@x.example", "0"])
    monkeypatch.setenv("GOSOCKET_LANG", "es")
    args = ("suppliers", "import", str(path), "--company", COMPANY, "--default-country", "CL")
    result = cli(*args, "--dry-run")
    assert result.code == 0, result.err
    assert (
        "1.200 filas: 1.200 válidas (1.200 nuevas, 0 ya son sus proveedores), 0 con problemas; "
        "invitaciones por enviar: 0." in result.out
    )


def test_import_prints_format_policy_and_summary(cli: Cli) -> None:
    result = cli(
        "suppliers",
        "import",
        str(CORPUS / "windows1252_es.csv"),
        "--company",
        COMPANY,
        "--default-country",
        "CL",
    )
    assert result.code == 0, result.err
    assert 'File: windows1252_es.csv (CSV, Windows-1252, separated by ";")' in result.out
    assert "Existing suppliers: left as they are (skip); default country CL" in result.out
    assert "2 rows: 2 valid (2 new, 0 already your suppliers), 0 with problems" in result.out
    assert "2 added, 0 updated, 0 skipped" in result.out
    assert "invitations queued: 1." in result.out
    rows = listed(cli)
    assert {r["name"] for r in rows} == {
        "Panadería La Ñusta Ltda.",
        "Construcción y Diseño Limitada",
    }
    assert {r["invitation"] for r in rows} == {"queued", "not_invited"}


def test_default_country_is_the_companys(cli: Cli) -> None:
    result = cli("suppliers", "import", str(CORPUS / "windows1252_es.csv"), "--company", COMPANY)
    assert result.code == 1
    assert "default country PE" in result.out
    assert "Invalid RUC for Peru" in result.err
    assert listed(cli) == []


def test_problem_rows_import_nothing_and_write_the_report(cli: Cli, tmp_path: Path) -> None:
    report = tmp_path / "problems.csv"
    result = cli(
        "suppliers",
        "import",
        str(CORPUS / "bad_notify.csv"),
        "--company",
        COMPANY,
        "--default-country",
        "CL",
        "--report",
        str(report),
    )
    assert result.code == 1
    assert 'Row 2, D (Notify*) "yes": Notify* must be 1 (invite now) or 0 (not yet)' in result.err
    assert "Nothing was imported: 4 of 5 rows have problems" in result.err
    assert "Traceback" not in result.err
    assert listed(cli) == []
    lines = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert lines[0] == ["Row", "Column", "Value", "Problem", "Type"]
    assert [line[:3] for line in lines[1:]] == [
        ["2", "D (Notify*)", "yes"],
        ["3", "D (Notify*)", "2"],
        ["4", "D (Notify*)", ""],
        ["6", "D (Notify*)", "Sí"],
    ]


def test_report_cells_are_neutralised(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "formulas.csv"
    source.write_text(
        "Tax ID*,Name*,Email*,Notify*\n=1+2,@SUM(A1),=HYPERLINK(1),1\n", encoding="utf-8"
    )
    report = tmp_path / "problems.csv"
    result = cli("suppliers", "import", str(source), "--company", COMPANY, "--report", str(report))
    assert result.code == 1
    cells = [c for line in csv.reader(report.open(encoding="utf-8-sig")) for c in line]
    assert "'=1+2" in cells and "'=HYPERLINK(1)" in cells
    assert not any(c.startswith(("=", "+", "@", "-")) for c in cells)


def test_valid_only_imports_the_rest(cli: Cli) -> None:
    result = cli(
        "suppliers",
        "import",
        str(CORPUS / "bad_notify.csv"),
        "--company",
        COMPANY,
        "--default-country",
        "CL",
        "--valid-only",
    )
    assert result.code == 0, result.err
    assert "1 added" in result.out and "4 rows with problems not imported" in result.out
    assert [r["tax_id"] for r in listed(cli)] == ["77100007K"]


def test_dry_run(cli: Cli) -> None:
    ok = cli(
        "suppliers",
        "import",
        str(CORPUS / "utf8_bom_en.csv"),
        "--company",
        COMPANY,
        "--dry-run",
    )
    assert ok.code == 0, ok.err
    assert "Dry run: nothing was imported." in ok.out
    bad = cli(
        "suppliers",
        "import",
        str(CORPUS / "bad_notify.csv"),
        "--company",
        COMPANY,
        "--dry-run",
    )
    assert bad.code == 1
    assert "Dry run: the file has rows with problems." in bad.err
    assert listed(cli) == []


@pytest.mark.parametrize(
    ("policy", "code", "email"),
    [
        ("skip", 0, "old@nandu.example"),
        ("update", 0, "contacto@nandu.example"),
        ("error", 1, "old@nandu.example"),
    ],
)
def test_on_existing(cli: Cli, policy: str, code: int, email: str) -> None:
    added = cli(
        "suppliers",
        "add",
        "--company",
        COMPANY,
        "--country",
        "CL",
        "--tax-id",
        "77.123.456-9",
        "--name",
        "Ñandú",
        "--email",
        "old@nandu.example",
    )
    assert added.code == 0, added.err
    result = cli(
        "suppliers",
        "import",
        str(CORPUS / "utf8_bom_en.csv"),
        "--company",
        COMPANY,
        "--on-existing",
        policy,
    )
    assert result.code == code, result.err
    rows = {r["tax_id"]: r for r in listed(cli)}
    assert rows["771234569"]["email"] == email
    assert len(rows) == (1 if policy == "error" else 4)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not_a_zip.xlsx", "not_a_zip.xlsx is not an Excel .xlsx file"),
        ("missing_email_column.csv", "The mandatory column Email* is missing"),
        ("zip_bomb.xlsx", "zip_bomb.xlsx"),
    ],
)
def test_refused_files_exit_1(cli: Cli, name: str, message: str) -> None:
    result = cli("suppliers", "import", str(CORPUS / name), "--company", COMPANY)
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err


def test_missing_file_exit_1(cli: Cli, tmp_path: Path) -> None:
    result = cli("suppliers", "import", str(tmp_path / "nope.csv"), "--company", COMPANY)
    assert result.code == 1
    assert "nope.csv" in result.err


@pytest.mark.parametrize(
    "args",
    [
        ["--on-existing", "merge"],
        ["--default-country", "XX"],
        [],  # no --company
    ],
)
def test_bad_usage_exit_2(cli: Cli, args: list[str]) -> None:
    extra = args if not args else [*args, "--company", COMPANY]
    result = cli("suppliers", "import", str(CORPUS / "utf8_bom_en.csv"), *extra)
    assert result.code == 2, result.err


def test_quiet_when_not_a_terminal(cli: Cli) -> None:
    result = cli("suppliers", "import", str(CORPUS / "utf8_bom_en.csv"), "--company", COMPANY)
    assert result.code == 0
    assert "\r" not in result.err


def test_template_csv_and_xlsx(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    result = cli("suppliers", "template", "-o", str(target))
    assert result.code == 0, result.err
    assert f"Template written to {target}" in result.out
    with open_supplier_file(target) as opened:
        assert opened.info.delimiter == ","
        assert [c.header for c in opened.info.columns][:2] == ["Tax ID*", "Name*"]
    book = tmp_path / "plantilla.xlsx"
    result = cli("suppliers", "template", "--format", "xlsx", "--lang", "es", "-o", str(book))
    assert result.code == 0, result.err
    sheet = openpyxl.load_workbook(book).active
    assert sheet["A1"].value == "ID Fiscal*"
    # The template's own example row imports as it is.
    imported = cli("suppliers", "import", str(book), "--company", COMPANY)
    assert imported.code == 0, imported.err
    assert [r["tax_id"] for r in listed(cli)] == ["967902403"]


def test_template_default_name(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("--lang", "es", "suppliers", "template").code == 0
    assert (tmp_path / "plantilla_proveedores.csv").exists()
    assert cli("suppliers", "template", "--format", "xlsx").code == 0
    assert (tmp_path / "suppliers_template.xlsx").exists()


def test_spanish_messages(cli: Cli) -> None:
    result = cli(
        "--lang",
        "es",
        "suppliers",
        "import",
        str(CORPUS / "bad_notify.csv"),
        "--company",
        COMPANY,
        "--default-country",
        "CL",
    )
    assert result.code == 1
    assert "Fila 2, D (Notify*)" in result.err
    assert "debe ser 1 (invitar ahora) o 0 (todavía no)" in result.err
    assert "No se importó nada" in result.err
