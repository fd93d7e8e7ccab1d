"""Every command that writes a file follows the output file rules (``services/output_files``).

``suppliers template``, ``suppliers import --report`` and ``db copy`` to a SQLite file: an
existing file only with ``--force`` (``--replace`` for a database), never the input file,
never a device, FIFO or folder; bad folders and huge names end in one line, exit 1.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.cli_helpers import Cli, Result

COMPANY = "PE:20100070970"
HEADER = "Tax ID*,Name*,Email*,Notify*\n"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    runner = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    added = runner(
        "company", "add", "--country", "PE", "--tax-id", "20100070970", "--name", "Pacífico SAC"
    )
    assert added.code == 0, added.err
    return runner


def _one_line_error(result: Result, *needles: str) -> None:
    assert result.code == 1, (result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("Error: "), result.err
    assert "Traceback" not in result.err and "unexpected" not in result.err
    assert "\x1b" not in result.err and "\x07" not in result.err
    for needle in needles:
        assert needle in result.err


def _problem_file(tmp_path: Path) -> Path:
    source = tmp_path / "suppliers.csv"
    source.write_text(HEADER + "20100070970,Own,a@b.example,maybe\n", encoding="utf-8")
    return source


def test_readme_template_command_takes_the_file_as_argument(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("suppliers", "template", "suppliers.xlsx")  # as the README shows it
    assert result.code == 0, result.err
    assert (tmp_path / "suppliers.xlsx").read_bytes()[:2] == b"PK"  # format from the name
    assert cli("suppliers", "template", "-o", "t.csv").code == 0
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").startswith("Tax ID*")


def test_template_refuses_an_existing_file_unless_forced(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "mine.csv"
    target.write_text("my own data", encoding="utf-8")
    _one_line_error(cli("suppliers", "template", str(target)), "already exists", "--force")
    assert target.read_text(encoding="utf-8") == "my own data"
    assert cli("suppliers", "template", str(target), "--force").code == 0
    assert target.read_text(encoding="utf-8-sig").startswith("Tax ID*")


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_template_never_replaces_a_fifo_folder_or_device_link(
    cli: Cli, tmp_path: Path, force: list[str]
) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    link = tmp_path / "null.csv"
    link.symlink_to("/dev/null")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    for target, kind in ((fifo, "a pipe"), (link, "a device"), (folder, "a folder")):
        _one_line_error(cli("suppliers", "template", str(target), *force), kind)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and link.is_symlink() and folder.is_dir()


def test_template_bad_paths_end_in_one_line(cli: Cli, tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    for target, reason in (
        (afile / "t.csv", "is a file, not a folder"),
        (tmp_path / "missing" / "t.csv", "does not exist"),
        (tmp_path / ("x" * 5000 + ".csv"), "the name is too long"),
        (tmp_path / "\x1b]0;owned\x07" / "t.csv", "�]0;owned�"),  # no terminal control
    ):
        _one_line_error(cli("suppliers", "template", str(target)), reason)


def test_report_never_replaces_the_input_file(cli: Cli, tmp_path: Path) -> None:
    source = _problem_file(tmp_path)
    before = source.read_bytes()
    alias = tmp_path / "alias.csv"
    os.link(source, alias)
    for report in (source, alias):
        result = cli(
            "suppliers", "import", str(source), "--company", COMPANY,
            "--report", str(report), "--force",
        )  # fmt: skip
        _one_line_error(result, "is the input file")
    assert source.read_bytes() == before


def test_report_refuses_an_existing_file_before_checking(cli: Cli, tmp_path: Path) -> None:
    source = _problem_file(tmp_path)
    report = tmp_path / "report.csv"
    report.write_text("yesterday's report", encoding="utf-8")
    result = cli("suppliers", "import", str(source), "--company", COMPANY, "--report", str(report))
    _one_line_error(result, "already exists")
    assert "Checked" not in result.out  # refused first, not after the whole check pass
    assert report.read_text(encoding="utf-8") == "yesterday's report"
    forced = cli(
        "suppliers", "import", str(source), "--company", COMPANY,
        "--report", str(report), "--force",
    )  # fmt: skip
    assert forced.code == 1 and "Problems written to" in forced.err
    assert "maybe" in report.read_text(encoding="utf-8-sig")


def test_report_onto_a_fifo_is_refused(cli: Cli, tmp_path: Path) -> None:
    source = _problem_file(tmp_path)
    fifo = tmp_path / "report.csv"
    os.mkfifo(fifo)
    result = cli(
        "suppliers", "import", str(source), "--company", COMPANY,
        "--report", str(fifo), "--force",
    )  # fmt: skip
    _one_line_error(result, "a pipe")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_db_copy_onto_its_own_source_is_refused(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "cli.db"
    same = tmp_path / "same.db"
    os.link(source, same)
    for target in (source, same):
        result = cli(
            "db", "copy", "--from", f"sqlite:///{source}", "--to", f"sqlite:///{target}",
            "--replace",
        )  # fmt: skip
        _one_line_error(result, "is the input file")
    with sqlite3.connect(source) as conn:
        assert conn.execute("SELECT COUNT(*) FROM company").fetchone()[0] == 1


def test_db_copy_never_writes_a_fifo_or_a_missing_folder(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "target.db"
    os.mkfifo(fifo)
    source = f"sqlite:///{tmp_path / 'cli.db'}"
    _one_line_error(cli("db", "copy", "--from", source, "--to", f"sqlite:///{fifo}"), "a pipe")
    missing = tmp_path / "nowhere" / "target.db"
    _one_line_error(
        cli("db", "copy", "--from", source, "--to", f"sqlite:///{missing}"), "does not exist"
    )
    assert not missing.parent.exists()
