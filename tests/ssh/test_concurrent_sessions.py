"""Twenty sessions at once: each its own child on a pty, each painted, each ended cleanly.

Real asyncssh clients (ten for ana, ten for carlos) connect together to the real server; each
sees the Suppliers tab of its own user, quits with ctrl+q (exit status 0), and once every
connection is closed no child of the server is left running and no session is counted open.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from gosocket_tui.ssh.server import Limits
from tests.ssh.conftest import Served, alive, read_until

pytestmark = pytest.mark.slow

PER_USER = 10
PAINT_SECONDS = 180.0  # twenty children import Textual at once on a shared machine
END_SECONDS = 30.0


@pytest.fixture
def limits() -> Limits:
    return Limits(key_check_seconds=0.5, max_sessions=2 * PER_USER, max_sessions_per_user=PER_USER)


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields follow the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


async def one_session(served: Served, username: str) -> int | None:
    """Connect as ``username`` with its key, see its Suppliers tab, quit; the exit status."""
    key = served.ana_key if username == "ana" else served.carlos_key
    async with await served.connect(username, key) as conn:
        process = await conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding=None
        )
        painted = await read_until(process.stdout, b"Suppliers", PAINT_SECONDS)
        painted += await read_until(process.stdout, username.encode(), PAINT_SECONDS)
        process.stdin.write(b"\x11")  # ctrl+q
        completed = await asyncio.wait_for(process.wait(), END_SECONDS)
        return completed.exit_status


async def test_twenty_sessions_at_once_each_painted_and_ended(served: Served) -> None:
    before = children_of(os.getpid())
    users = ["ana", "carlos"] * PER_USER
    statuses = await asyncio.gather(*(one_session(served, user) for user in users))
    assert statuses == [0] * len(users)

    started = served.lines("ssh session start")
    pids = {int(m.group(1)) for line in started if (m := re.search(r"pid=(\d+)", line))}
    assert len(pids) == len(users)  # one child each
    loop = asyncio.get_running_loop()
    deadline = loop.time() + END_SECONDS
    while loop.time() < deadline and (
        any(alive(pid) for pid in pids) or served.endpoint.caps.open_count
    ):
        await asyncio.sleep(0.1)
    assert not [pid for pid in pids if alive(pid)]
    assert served.endpoint.caps.open_count == 0
    assert children_of(os.getpid()) <= before  # no orphan, no zombie
    assert len(served.lines("ssh session end")) == len(users)
    assert all("status=0" in line for line in served.lines("ssh session end"))
