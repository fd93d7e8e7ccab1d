"""A real pseudo-terminal for the tests of a full-screen app that refuses to run without one,
and the OpenSSH client's options for the deployment tests."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from pathlib import Path


def open_terminal(rows: int = 24, cols: int = 80) -> tuple[int, int]:
    """``(controller, terminal)`` of a new pty sized ``cols`` x ``rows``."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return controller, terminal


def run_on_terminal(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """``argv`` started in its own session on a new 80x24 pty; returns it and the pty's
    controller (read what it paints, write what a user types)."""
    controller, terminal = open_terminal()
    process = subprocess.Popen(
        argv, stdin=terminal, stdout=terminal, stderr=terminal, env=env, start_new_session=True
    )
    os.close(terminal)
    return process, controller


def read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    """What ``fd`` printed until ``wanted`` appeared; fails after ``seconds`` without it."""
    seen = b""
    deadline = time.monotonic() + seconds
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"not seen {wanted!r}; got {seen[-2000:]!r}"
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def ssh_argv(port: int, key: Path, destination: str, *extra: str) -> list[str]:
    """The OpenSSH client to a test server on loopback: this key only, no config file, no
    known-hosts file, no prompt."""
    return [
        "ssh",
        "-p",
        str(port),
        "-i",
        str(key),
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "LogLevel=ERROR",
        *extra,
        destination,
    ]
