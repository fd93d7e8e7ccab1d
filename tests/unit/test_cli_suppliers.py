import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli_helpers import Cli


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    runner = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    assert (
        runner(
            "company",
            "add",
            "--country",
            "CL",
            "--tax-id",
            "76.086.428-5",
            "--name",
            "Comercial Andes SpA",
        ).code
        == 0
    )
    return runner


def add(cli: Cli, *extra: str) -> int:
    result = cli("suppliers", "add", "--company", "CL:760864285", *extra)
    return result.code


def test_add_then_list_json_and_csv(cli: Cli) -> None:
    assert (
        add(
            cli,
            "--country",
            "CO",
            "--tax-id",
            "860007386-1",
            "--name",
            "Cafés SAS",
            "--email",
            "ventas@cafes.example",
            "--groups",
            "insumos",
        )
        == 0
    )
    assert (
        add(
            cli,
            "--country",
            "CL",
            "--tax-id",
            "96.790.240-3",
            "--name",
            "=HYPERLINK(1)",
            "--email",
            "a@b.cl",
        )
        == 0
    )
    out = cli("suppliers", "list", "--company", "CL:76.086.428-5", "--format", "json")
    assert out.code == 0, out.err
    rows = json.loads(out.out)
    assert {r["tax_id"] for r in rows} == {"8600073861", "967902403"}
    cafe = next(r for r in rows if r["country"] == "CO")
    assert cafe["tax_id_formatted"] == "860.007.386-1"
    assert cafe["registered"] is False and cafe["invitation"] == "not_invited"
    assert cafe["name"] == "Cafés SAS" and cafe["email"] == "ventas@cafes.example"
    out = cli("suppliers", "list", "--company", "CL:76.086.428-5", "--format", "csv")
    table = list(csv.reader(io.StringIO(out.out)))
    assert table[0][:4] == ["country", "tax_id", "tax_id_formatted", "name"]
    assert [r[3] for r in table[1:] if r[0] == "CL"] == ["'=HYPERLINK(1)"]
    filtered = cli(
        "suppliers",
        "list",
        "--company",
        "CL:76.086.428-5",
        "--tax-id",
        "860.00",
        "--format",
        "json",
    )
    assert [r["country"] for r in json.loads(filtered.out)] == ["CO"]


def test_duplicate_and_bad_input_exit_1(cli: Cli) -> None:
    args = ("--country", "CO", "--tax-id", "860007386-1", "--name", "A", "--email", "a@b.co")
    assert add(cli, *args) == 0
    result = cli(
        "suppliers",
        "add",
        "--company",
        "CL:760864285",
        "--country",
        "CO",
        "--tax-id",
        "860.007.386-1",
        "--name",
        "B",
        "--email",
        "b@b.co",
    )
    assert result.code == 1 and "already one of your suppliers" in result.err
    bad = cli(
        "suppliers",
        "add",
        "--company",
        "CL:760864285",
        "--country",
        "CO",
        "--tax-id",
        "860007386-2",
        "--name",
        "B",
        "--email",
        "b@b.co",
    )
    assert bad.code == 1 and bad.err.count("\n") == 1
    assert cli("suppliers", "list", "--company", "CL:11.111.111-1").code == 1
    assert cli("suppliers", "list").code == 2
    assert cli("suppliers", "list", "--company", "CL:760864285", "--status", "nope").code == 2


@pytest.mark.parametrize(
    "command",
    [("suppliers", "list"), ("suppliers", "invite", "78.555.111-7"), ("suppliers", "import", "-")],
)
def test_a_supplier_command_without_company_is_bad_usage(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    """On the server --company is required (over SSH it may be left out: tests/ssh/test_exec);
    the refusal comes before the database is opened."""
    runner = Cli(tmp_path / "none.db", capsys, monkeypatch)
    result = runner(*command)
    assert result.code == 2
    assert result.err.strip() == (
        f"Error: Missing option '--company'. (see gosocket-tui {' '.join(command[:2])} --help)"
    )
    assert not (tmp_path / "none.db").exists()


def test_import_reads_standard_input(cli: Cli) -> None:
    data = (
        "Tax ID*,Name*,Email*,Notify*,Country\n78.555.111-7,Desde Stdin Ltda,s@prov.example,0,CL\n"
    )
    result = cli("suppliers", "import", "-", "--company", "CL:760864285", stdin=data)
    assert result.code == 0, result.err
    listed = cli("suppliers", "list", "--company", "CL:760864285", "--format", "json")
    assert [row["name"] for row in json.loads(listed.out)] == ["Desde Stdin Ltda"]


def test_add_with_a_language(cli: Cli) -> None:
    """``--language`` chooses the supplier's mail language; empty is its country's."""
    args = ("--country", "CO", "--tax-id", "860007386-1", "--name", "A", "--email", "a@b.co")
    result = cli("suppliers", "add", "--company", "CL:760864285", *args, "--language", "pt")
    assert result.code == 0 and result.out.rstrip().endswith("mail in pt.")
    brazil = (
        "--country",
        "BR",
        "--tax-id",
        "16.727.230/0001-97",
        "--name",
        "B",
        "--email",
        "b@b.co",
    )
    result = cli("suppliers", "add", "--company", "CL:760864285", *brazil)
    assert result.code == 0 and result.out.rstrip().endswith("mail in pt.")
    chile = ("--country", "CL", "--tax-id", "96.790.240-3", "--name", "C", "--email", "c@c.cl")
    bad = cli("suppliers", "add", "--company", "CL:760864285", *chile, "--language", "fr")
    assert bad.code == 1 and bad.err.count("\n") == 1
    assert "pt (Portuguese)" in bad.err
