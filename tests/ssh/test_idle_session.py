"""An idle session sends nothing: no blinking cursor repainted over the network.

A blinking cursor is a repaint every half second, about 140 bytes a second per session and
most of an idle session's CPU (``benchmarks/ssh_sessions.py``); in a remote session the
cursor stays steady, so a session nobody types in costs the server nothing to relay.
"""

from __future__ import annotations

import asyncio
import time

import asyncssh
import pytest

from tests.ssh.conftest import Served, read_until

pytestmark = pytest.mark.slow

QUIET_SECONDS = 1.5
SETTLE_SECONDS = 30.0
WATCH_SECONDS = 3.0


async def bytes_within(stream: asyncssh.SSHReader[bytes], seconds: float) -> int:
    received = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            chunk = await asyncio.wait_for(stream.read(65536), left)
        except TimeoutError:
            break
        assert chunk, "the session ended"
        received += len(chunk)
    return received


async def test_an_idle_session_sends_nothing(served: Served) -> None:
    async with await served.connect() as conn:
        process = await conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding=None
        )
        await read_until(process.stdout, b"by SSH key")
        # The first screen settles (the suppliers' rows arrive) ...
        settled_by = time.monotonic() + SETTLE_SECONDS
        while await bytes_within(process.stdout, QUIET_SECONDS):
            assert time.monotonic() < settled_by, "the screen never stopped changing"
        # ... then nothing more is painted while nobody types.
        assert await bytes_within(process.stdout, WATCH_SECONDS) == 0
        process.close()
