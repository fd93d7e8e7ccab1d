"""The command line prints no terminal control, whatever the data, the file or the input holds.

Every output form (table, ``user list``, CSV, JSON, messages that echo a name or an input,
click's own usage errors, import problem lines) is checked with values carrying ESC ] 0 ; … BEL
(retitles a terminal), U+202E, U+009B and NUL. JSON keeps the exact value, escaped as JSON does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_helpers import Cli, Result

COMPANY = "CL:76.086.428-5"
CONTROLS = "\x1b]0;T\x07\u202e\x9b"
NAME = "Sur " + CONTROLS + " SpA"
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(result: Result) -> Result:
    assert not UNSAFE.search(result.out), repr(result.out)
    assert not UNSAFE.search(result.err), repr(result.err)
    return result


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    runner = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    name = "Andes " + CONTROLS
    assert (
        runner("company", "add", "--country", "CL", "--tax-id", COMPANY[3:], "--name", name).code
        == 0
    )
    added = runner(
        "suppliers",
        "add",
        "--company",
        COMPANY,
        "--country",
        "CO",
        "--tax-id",
        "860007386-1",
        "--name",
        NAME,
        "--email",
        "v@cafe.example",
        "--address",
        "Calle " + CONTROLS,
        "--description",
        CONTROLS,
    )
    clean(added)
    assert added.code == 0, added.err
    return runner


def test_table_csv_and_json(cli: Cli) -> None:
    table = clean(cli("suppliers", "list", "--company", COMPANY))
    assert "Sur �]0;T��� SpA" in table.out
    csv_out = clean(cli("suppliers", "list", "--company", COMPANY, "--format", "csv"))
    assert "Sur �]0;T��� SpA" in csv_out.out
    json_out = clean(cli("suppliers", "list", "--company", COMPANY, "--format", "json"))
    assert "\\u001b]0;T\\u0007\\u202e\\u009b" in json_out.out
    assert json.loads(json_out.out)[0]["name"] == NAME  # the exact value, escaped


def test_user_list_and_messages_that_echo(cli: Cli) -> None:
    assert (
        cli(
            "user",
            "add",
            "--company",
            COMPANY,
            "--username",
            "ana",
            "--password-stdin",
            stdin="x" * 20,
        ).code
        == 0
    )
    users = clean(cli("user", "list"))
    assert "Andes �]0;T��" in users.out
    unknown = clean(
        cli("suppliers", "list", "--company", "X" + CONTROLS + ":1", "--tax-id", CONTROLS)
    )
    assert unknown.code == 1 and unknown.err.count("\n") == 1
    country = clean(
        cli(
            "suppliers",
            "add",
            "--company",
            COMPANY,
            "--country",
            "Q" + CONTROLS,
            "--tax-id",
            "1",
            "--name",
            "n",
            "--email",
            "a@b.co",
        )
    )
    assert country.code == 1 and country.err.count("\n") == 1
    usage = clean(cli("suppliers", "list", "--company", COMPANY, "--format", CONTROLS))
    assert usage.code == 2


def test_import_problem_lines(cli: Cli, tmp_path: Path) -> None:
    # A file with C0 controls is refused as binary; bidi and C1 characters are read.
    bidi = "\u202e\x9b\u2066"
    source = tmp_path / "hostile.csv"
    source.write_text(
        "Country,Tax ID*,Name*,Email*,Notify*\n"
        f"CL,{bidi}1,Sur{bidi},bad{bidi}@x,yes\n"
        f"Z{bidi},96.790.240-3,Uno,u@x.cl,{bidi}\n",
        encoding="utf-8",
    )
    result = clean(cli("suppliers", "import", str(source), "--company", COMPANY, "--dry-run"))
    assert result.code == 1, result
    assert "�" in result.err
