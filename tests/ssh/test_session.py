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
