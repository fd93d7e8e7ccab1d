"""A session by key: the app painted on a pty, resized, and ended with the connection."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.ssh.conftest import Served, alive, read_until

pytestmark = pytest.mark.slow


async def test_a_registered_key_opens_the_app_logged_in(served: Served) -> None:
    async with await served.connect() as conn:
        process = await conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding=None
        )
        painted = await read_until(process.stdout, b"Suppliers")
        painted += await read_until(process.stdout, b"by SSH key")
        assert b"Password" not in painted  # no login screen
        process.close()
    assert served.lines("ssh accepted user='ana'")


async def test_a_window_change_reaches_the_app(served: Served) -> None:
    async with await served.connect() as conn:
        process = await conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding=None
        )
        await read_until(process.stdout, b"by SSH key")
        # Textual paints each line at its row: row 30 exists only once the app saw 100x30.
        process.change_terminal_size(100, 30)
        await read_until(process.stdout, b"\x1b[30;1H")
        process.close()


async def test_closing_the_connection_ends_the_child_at_once(served: Served) -> None:
    conn = await served.connect()
    process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
    await read_until(process.stdout, b"by SSH key")
    started = served.lines("ssh session start")
    pid = int(re.search(r"pid=(\d+)", started[-1]).group(1))  # type: ignore[union-attr]
    assert alive(pid)
    conn.abort()  # the client is gone without a word, as when it is killed
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2.0
    while alive(pid) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    assert not alive(pid)
    while served.endpoint.caps.open_count and loop.time() < deadline + 1:
        await asyncio.sleep(0.05)
    assert served.endpoint.caps.open_count == 0
    assert served.lines("ssh session end user='ana'")
