"""Run the real ``gosocket-tui`` entry point in-process and capture exit code and output."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gosocket_tui.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


class Cli:
    def __init__(
        self, db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.db_url = f"sqlite:///{db_path}"
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("GOSOCKET_CONFIG", str(db_path.parent / "no-config.toml"))
        monkeypatch.setenv("LANG", "en_US.UTF-8")
        for name in ("GOSOCKET_DB", "GOSOCKET_LANG"):
            monkeypatch.delenv(name, raising=False)

    def __call__(self, *args: str, stdin: str = "") -> Result:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        try:
            main(["--db", self.db_url, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)
