"""The full-screen app and its terminal: none at all, and one that goes away.

Over SSH without a pty (``ssh host cmd``, ``ssh -T``, scp, sftp) or with ``</dev/null`` the app
used to start anyway; Textual's input thread then spun at 100% CPU forever with the database
open. The same spin followed a connection that dropped while the app ran. These tests run the
real command in a child process, with bounded waits.
"""

from __future__ import annotations

import os
import resource
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.terminal import open_terminal

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "gosocket_tui"]
START_SECONDS = 30.0  # the login screen must be painted within this (a loaded CI machine)
EXIT_SECONDS = 5.0
CPU_BUDGET_SECONDS = 1.5  # CPU the child may use between the hangup and its exit


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        GOSOCKET_CONFIG=str(tmp_path / "no-config.toml"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        LANG="en_US.UTF-8",
        TERM="xterm-256color",
    )
    for name in ("GOSOCKET_DB", "GOSOCKET_LANG"):
        env.pop(name, None)
    return env


@pytest.mark.parametrize("args", [[], ["demo"]], ids=["app", "demo"])
@pytest.mark.parametrize("stdin", ["devnull", "pipe"])
def test_without_a_terminal_the_app_refuses_in_one_line(
    tmp_path: Path, args: list[str], stdin: str
) -> None:
    db = tmp_path / "app.db"
    feed = {"stdin": subprocess.DEVNULL} if stdin == "devnull" else {"input": b"ana\tsecret\r"}
    proc = subprocess.run(
        [*COMMAND, "--db", f"sqlite:///{db}", *args],
        **feed,
        capture_output=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=30,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert err.count("\n") == 1 and "needs a terminal" in err, err
    assert "Traceback" not in err and proc.stdout == b""
    assert not db.exists()  # refused before the database was opened


def test_spanish_refusal(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*COMMAND, "--lang", "es", "--db", f"sqlite:///{tmp_path / 'app.db'}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=_env(tmp_path),
        timeout=30,
    )
    assert proc.returncode == 1
    assert "necesita una terminal" in proc.stderr.decode()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    """CPU time of every child waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_the_app_exits_when_its_terminal_goes_away(tmp_path: Path) -> None:
    """The app runs on a real pty; closing the pty's master (the SSH connection dropping)
    ends it within seconds, without spinning. The pty is not the child's controlling
    terminal, so no SIGHUP does the job for it: only the end of input tells."""
    children_before = _children_cpu_seconds()
    master, slave = open_terminal()
    proc = subprocess.Popen(
        [*COMMAND, "--db", f"sqlite:///{tmp_path / 'app.db'}"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    os.close(slave)
    try:
        screen = b""
        deadline = time.monotonic() + START_SECONDS
        while b"Log in" not in screen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                screen += os.read(master, 65536)
        assert b"Log in" in screen, screen[-500:]
        before = _cpu_seconds(proc.pid)
        os.close(master)
        master = -1
        proc.wait(timeout=EXIT_SECONDS)  # raises when it is still running
        used = _children_cpu_seconds() - children_before - before
        assert used < CPU_BUDGET_SECONDS, f"{used:.2f}s of CPU after the hangup"
    finally:
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
