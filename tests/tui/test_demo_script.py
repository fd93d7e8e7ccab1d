"""``gosocket-tui demo --script FILE``: a tester's keys and pictures, the same on every run.

The shipped example (``fixtures/demo-script.txt``) walks the article's first steps; run twice,
it writes byte-identical SVGs. A bad line is one line on stderr naming it, exit 1, and no
picture is written; a picture's name cannot leave the screenshots folder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gosocket_tui.tui import script as script_module
from tests.cli_helpers import Cli

EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "demo-script.txt"
PICTURES = ["01-login.svg", "02-suppliers-filtered.svg", "03-invite.svg", "04-mailbox.svg"]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path / "unused.db", capsys, monkeypatch)


@pytest.mark.slow
def test_the_example_script_gives_the_same_pictures_twice(cli: Cli, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        result = cli("--lang", "en", "demo", "--script", str(EXAMPLE), "--screenshots", str(folder))
        assert result.code == 0, result.err
        assert result.out.splitlines() == [str(folder / name) for name in PICTURES]
    for name in PICTURES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        assert stat.S_IMODE(os.stat(first / name).st_mode) == 0o600
    mailbox = (first / "04-mailbox.svg").read_text(encoding="utf-8")
    assert "Minera&#160;San&#160;Martín" in mailbox  # the invitation reached the Mailbox
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o700


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("presss f2", "line 3: unknown directive 'presss'"),
        ("screenshot ../outside", "line 3: '../outside' is not a screenshot name"),
        ("screenshot /tmp/x", "line 3: '/tmp/x' is not a screenshot name"),
        ("screenshot one", "line 3: the screenshot one is taken twice"),
        ("size 5x5", "line 3: '5x5' is not a size"),
        ("press \x1b[2J", "line 3: the line holds control characters"),
        ("press", "line 3: press needs an argument"),
        ("wait-for &&&", "line 3: '&&&' is not a CSS selector"),
    ],
)
def test_a_bad_line_is_one_error_naming_it(
    cli: Cli, tmp_path: Path, line: str, message: str
) -> None:
    script = tmp_path / "bad.txt"
    script.write_text(f"# a comment\nscreenshot one\n{line}\n", encoding="utf-8")
    shots = tmp_path / "shots"
    result = cli("demo", "--script", str(script), "--screenshots", str(shots))
    assert result.code == 1
    assert result.err.count("\n") == 1 and f"bad.txt {message}" in result.err, result.err
    assert not shots.exists()


def test_a_wait_that_never_ends_names_its_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(script_module, "WAIT_SECONDS", 0.3)
    script = tmp_path / "wait.txt"
    script.write_text("screenshot before\nwait-for #no-such-widget\n", encoding="utf-8")
    result = cli("demo", "--script", str(script), "--screenshots", str(tmp_path / "shots"))
    assert result.code == 1
    assert "wait.txt line 2: wait-for #no-such-widget did not happen" in result.err
    assert result.err.count("\n") == 1
    assert (tmp_path / "shots" / "before.svg").is_file()  # what was taken before stays


@pytest.mark.parametrize("size", ["80", "0x0", "80x24x2", "huge", "9999x9999"])
def test_a_bad_size_is_bad_usage(cli: Cli, tmp_path: Path, size: str) -> None:
    result = cli("demo", "--script", str(EXAMPLE), "--size", size)
    assert result.code == 2
    assert "is not a size" in result.err and result.err.count("\n") == 1


def test_a_missing_script_is_one_line(cli: Cli, tmp_path: Path) -> None:
    result = cli("demo", "--script", str(tmp_path / "missing.txt"))
    assert result.code == 1
    assert "missing.txt" in result.err and result.err.count("\n") == 1


@pytest.mark.slow
def test_a_script_cannot_write_or_read_a_file_of_the_machine(cli: Cli, tmp_path: Path) -> None:
    """A script may come from someone else (a report's steps): its keys drive the app as a
    remote session does, in an exchange folder of the run's own, so no dialog reaches a
    path of the machine: the template cannot be written elsewhere, a CSV cannot be read."""
    target = tmp_path / "elsewhere" / "written-by-a-script.csv"
    target.parent.mkdir()
    secret = tmp_path / "keys.csv"
    secret.write_text("Tax ID*,Name*,Email*,Notify*\n76086428-5,SECRET-KEY-123,a@b.example,0\n")
    script = tmp_path / "files.txt"
    script.write_text(
        "\n".join(
            [
                "size 120x40",
                "wait-for #username",
                "type ana.admin",
                "press enter",
                "type gosocket-demo-2026",
                "press enter",
                "wait-for #supplier-tax-id",
                "press ctrl+p",
                "type Bulk add",
                "press enter",
                "wait-for #bulk-path",
                f"type {secret}",
                "press enter",
                "screenshot read",
                "press ctrl+t",
                "wait-for #template-path",
                "press ctrl+a ctrl+k",
                f"type {target}",
                "press enter",
                "screenshot written",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    shots = tmp_path / "shots"
    result = cli("--lang", "en", "demo", "--script", str(script), "--screenshots", str(shots))
    assert result.code == 0, result.err
    assert not target.exists()
    assert "SECRET-KEY-123" not in (shots / "read.svg").read_text(encoding="utf-8")
