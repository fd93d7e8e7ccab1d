"""Startup time: process start → login screen painted, against a bare Textual app.

What is measured, honestly:

* **app**: ``python -m gosocket_tui --db sqlite:///…`` on a temporary database created first
  with ``db upgrade`` and ``company add`` (so the schema check and a real SQLite file are in
  the path, as for an administrator). The environment variable ``GOSOCKET_EXIT_AFTER_PAINT=1``
  makes the app call ``exit()`` right after the first refresh that follows mounting the login
  screen, i.e. once the login screen has been composed, laid out and written to the terminal.
* **bare**: ``python -c`` with a Textual app that mounts one ``Static`` and exits the same way
  (``call_after_refresh(exit)`` in ``on_mount``).

Both run as subprocesses on a pseudo-terminal of 80x24 (so Textual drives a real terminal
driver, not the headless one), timed with ``time.perf_counter`` from spawn to exit: the
figures include interpreter start, imports, database opening, first paint and the terminal
teardown, which are the same for both except for what the app adds. One warm-up run of each
(page cache, ``.pyc`` files), then 5 timed runs of each, interleaved so that load on the
machine hits both alike. The script prints the medians and ends with one line::

    RESULT startup_ratio=<app/bare> app_ms=<median> bare_ms=<median>

Target: ratio ≤ 1.3. Run: ``python benchmarks/startup.py [--runs N]``.

For diagnosis the script also times **factory**: the same start without the command line
(``load_config`` + ``open_context`` + ``make_app(ctx).run()`` in a ``python -c``), which shows
how much of the difference is the CLI importing every command module (and what those import)
before the app starts. It is printed for information and is not part of the RESULT line.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

BARE_APP = """
from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Hello")

    def on_mount(self) -> None:
        self.call_after_refresh(self.exit)


Bare().run()
"""

FACTORY_ONLY = """
import sys

from gosocket_tui.config import load_config
from gosocket_tui.services.context import open_context
from gosocket_tui.tui.app import make_app

make_app(open_context(load_config({"db": sys.argv[1]}))).run()
"""

TIMEOUT_SECONDS = 60.0


def run_on_pty(argv: list[str], env: dict[str, str]) -> float:
    """Run ``argv`` with a pseudo-terminal as its terminal; return the wall time in ms."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    tail = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            tail.extend(chunk)
            del tail[:-4000]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    try:
        code = proc.wait(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise SystemExit(f"{argv!r} did not exit within {TIMEOUT_SECONDS} s") from None
    elapsed = (time.perf_counter() - started) * 1000
    os.close(slave)
    reader.join(timeout=2)
    os.close(master)
    if code != 0:
        output = tail.decode("utf-8", "replace")
        raise SystemExit(f"{argv!r} exited with {code}; its last output:\n{output}")
    return elapsed


def prepare_database(folder: Path, env: dict[str, str]) -> str:
    url = f"sqlite:///{folder / 'startup.db'}"
    base = [sys.executable, "-m", "gosocket_tui", "--db", url]
    for args in (
        ["db", "upgrade"],
        ["company", "add", "--country", "CL", "--tax-id", "76.086.428-5", "--name", "Bench SpA"],
    ):
        subprocess.run([*base, *args], env=env, check=True, capture_output=True)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "TERM": os.environ.get("TERM", "xterm-256color") or "xterm-256color",
            "GOSOCKET_CONFIG": str(folder / "no-config.toml"),
            "GOSOCKET_LANG": "en",
            "GOSOCKET_EXIT_AFTER_PAINT": "1",
        }
        env.pop("GOSOCKET_DB", None)
        url = prepare_database(folder, env)
        app_argv = [sys.executable, "-m", "gosocket_tui", "--db", url]
        bare_argv = [sys.executable, "-c", BARE_APP]
        factory_argv = [sys.executable, "-c", FACTORY_ONLY, url]

        for argv in (bare_argv, app_argv, factory_argv):
            run_on_pty(argv, env)  # warm-up: page cache and bytecode
        app_ms: list[float] = []
        bare_ms: list[float] = []
        factory_ms: list[float] = []
        for _ in range(args.runs):
            bare_ms.append(run_on_pty(bare_argv, env))
            app_ms.append(run_on_pty(app_argv, env))
            factory_ms.append(run_on_pty(factory_argv, env))

    app_median = statistics.median(app_ms)
    bare_median = statistics.median(bare_ms)
    factory_median = statistics.median(factory_ms)
    print("bare Textual app:      " + ", ".join(f"{ms:.0f}" for ms in bare_ms) + " ms")
    print("gosocket-tui:          " + ", ".join(f"{ms:.0f}" for ms in app_ms) + " ms")
    print("factory only (no CLI): " + ", ".join(f"{ms:.0f}" for ms in factory_ms) + " ms")
    print(
        f"median bare {bare_median:.0f} ms, median app {app_median:.0f} ms, "
        f"median factory only {factory_median:.0f} ms "
        f"(ratio {factory_median / bare_median:.2f})"
    )
    print(
        f"RESULT startup_ratio={app_median / bare_median:.2f} "
        f"app_ms={app_median:.0f} bare_ms={bare_median:.0f}"
    )


if __name__ == "__main__":
    main()
