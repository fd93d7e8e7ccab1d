"""Ctrl+C during ``gosocket-tui suppliers import`` stops it with one line and writes nothing.

The real command runs in a child process whose stderr is a terminal (a pty), so it draws its
progress line as it does for a person; once that line shows the check or the import under
way, the test sends SIGINT to the child's whole process group, as a terminal's Ctrl+C does.
The command must end with status 130 (128 + SIGINT, what shells report for a command stopped
by Ctrl+C, unlike 1 for a refused file), one line on stderr, and every table as it was.
Runs on both engines (CI runs tests/reliability on PostgreSQL too).
"""

from __future__ import annotations

import csv
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stdnum.cl import rut

from gosocket_tui.config import Config
from gosocket_tui.services import companies
from gosocket_tui.services.context import open_context

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
BUYER = "CL:76.086.428-5"
ROWS = 40_000
TABLES = ("company", "supplier_link", "invitation", "outbox_message", "audit_event")
WAIT_SECONDS = 240
COMMAND = (sys.executable, "-m", "gosocket_tui")


def write_file(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Tax ID*", "Name*", "Email*", "Notify*"])
        for i in range(ROWS):
            body = str(10_000_000 + i * 7)
            writer.writerow(
                [body + rut.calc_check_digit(body), f"Proveedor {i}", f"p{i}@x.example", "1"]
            )


def counts(url: str) -> dict[str, int]:
    ctx = open_context(Config(db=url), upgrade=False)
    try:
        return {
            table: int(ctx.db.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in TABLES
        }
    finally:
        ctx.close()


@pytest.fixture
def prepared(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    ctx = open_context(Config(db=db_url))
    companies.create_company(ctx, "CL", "76.086.428-5", "Comercial Andes SpA")
    ctx.close()
    folder = tmp_path / "work"  # the file, and the temporary files of the child (TMPDIR)
    folder.mkdir()
    path = folder / "big.csv"
    write_file(path)
    return db_url, path


def interrupt(url: str, path: Path, phase: str) -> tuple[int, str]:
    """Run the import, press Ctrl+C once its progress line shows ``phase`` with rows done;
    its exit status and what it wrote on stderr (the terminal)."""
    under_way = re.compile(rf"{phase} +\d+%  [1-9]".encode())
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(path.parent),
        "LANG": "en_US.UTF-8",
        "GOSOCKET_CONFIG": str(path.parent / "no-config.toml"),
    }
    for name in ("GOSOCKET_DB", "GOSOCKET_LANG"):
        env.pop(name, None)
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [*COMMAND, "--db", url, "suppliers", "import", str(path), "--company", BUYER],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        cwd=path.parent,
        env=env,
        start_new_session=True,  # its own process group, which Ctrl+C reaches whole
    )
    os.close(slave)
    seen = b""
    sent = False
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if not sent and under_way.match(seen.rsplit(b"\r", 1)[-1]):
                os.killpg(child.pid, signal.SIGINT)
                sent = True
        assert sent, f"{phase} never showed: {seen[-300:]!r}"
        code = child.wait(timeout=60)
    finally:
        os.close(master)
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return code, seen.decode("utf-8", "replace")


@pytest.mark.parametrize("phase", ["Checking", "Importing"])
def test_ctrl_c_stops_the_import_with_one_line_and_writes_nothing(
    prepared: tuple[str, Path], phase: str
) -> None:
    url, path = prepared
    before = counts(url)
    code, terminal = interrupt(url, path, phase)
    # What a person sees: the progress line redrawn with CR, cleared, then one line.
    lines = terminal.replace("\r\n", "\n").split("\n")
    assert lines[-1] == "" and len(lines) == 2, terminal[-500:]
    assert lines[0].rsplit("\r", 1)[-1] == "Cancelled: nothing was written."
    assert code == 130
    assert counts(url) == before
    assert [p.name for p in path.parent.iterdir()] == ["big.csv"]  # no spool left behind
