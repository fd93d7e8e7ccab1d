"""``demo --web`` listens on loopback unless ``--listen`` says otherwise, and then warns.

The server is not started here (its ``serve`` is replaced): these tests check what the command
decides before anything listens, so no address other than loopback is ever bound by a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gosocket_tui.cli.demo_web import DemoServer
from tests.cli_helpers import Cli


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    return Cli(tmp_path / "unused.db", capsys, monkeypatch)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``serve`` would have served, instead of serving it."""
    calls: list[dict[str, Any]] = []

    def serve(self: DemoServer, debug: bool = False) -> None:
        template = Path(self.command.split()[-2].strip("'")) / "template.db"
        calls.append({"host": self.host, "port": self.port, "template": template.exists()})

    monkeypatch.setattr(DemoServer, "serve", serve)
    return calls


def test_loopback_by_default_without_a_warning(
    cli: Cli, served: list[dict[str, Any]], tmp_path: Path
) -> None:
    result = cli("demo", "--web")
    assert result.code == 0, result.err
    assert served == [{"host": "127.0.0.1", "port": 8000, "template": True}]
    assert result.err == ""
    assert "Serving the demo on http://127.0.0.1:8000" in result.out
    assert not list(tmp_path.glob("gosocket-web-*"))  # removed when the server stopped


@pytest.mark.parametrize("listen", ["0.0.0.0:8765", "192.0.2.10:8765", "[::]:8765"])
def test_another_address_only_with_listen_and_a_warning(
    cli: Cli, served: list[dict[str, Any]], listen: str
) -> None:
    result = cli("demo", "--web", "--listen", listen)
    assert result.code == 0, result.err
    assert served[0]["port"] == 8765 and served[0]["host"] != "127.0.0.1"
    assert result.err.startswith("Warning: ") and "not a loopback address" in result.err


@pytest.mark.parametrize("listen", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765"])
def test_loopback_listen_has_no_warning(
    cli: Cli, served: list[dict[str, Any]], listen: str
) -> None:
    result = cli("demo", "--web", "--listen", listen)
    assert result.code == 0, result.err
    assert result.err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--listen", "127.0.0.1:8000"],  # --listen means nothing without --web
        ["demo", "--web", "--script", "x.txt"],
        ["demo", "--web", "--listen", "127.0.0.1"],
        ["demo", "--web", "--listen", "127.0.0.1:99999"],
        ["demo", "--web", "--listen", ":8000"],
        ["demo", "--web", "--listen", "host name:8000"],
        ["demo", "--web", "--listen", "[@click=app.quit]:8000"],
        ["demo", "--web", "--listen", "\x1b]0;x\x07:8000"],
    ],
)
def test_bad_usage_is_one_line_and_nothing_served(
    cli: Cli, served: list[dict[str, Any]], argv: list[str]
) -> None:
    result = cli(*argv)
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1 and "\x1b" not in result.err
    assert served == []
