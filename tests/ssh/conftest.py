"""A real asyncssh server of the app on loopback, a real SQLite file, real keys."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.config import Config
from gosocket_tui.services import ssh_keys
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.ssh.server import Endpoint, Limits, start_server

READ_SECONDS = 30.0  # a session's child imports Textual and paints: slow on a loaded machine


@dataclass
class Served:
    port: int
    endpoint: Endpoint
    ana_key: asyncssh.SSHKey
    carlos_key: asyncssh.SSHKey
    records: list[logging.LogRecord]

    async def connect(
        self, username: str = "ana", key: asyncssh.SSHKey | None = None, **options: object
    ) -> asyncssh.SSHClientConnection:
        keys = [key or self.ana_key]
        return await asyncssh.connect(
            "127.0.0.1",
            self.port,
            username=username,
            client_keys=keys,
            known_hosts=None,
            agent_path=None,
            preferred_auth="publickey",
            **options,
        )

    def lines(self, text: str) -> list[str]:
        return [r.getMessage() for r in self.records if text in r.getMessage()]


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def limits() -> Limits:
    return Limits(key_check_seconds=0.5)


@pytest.fixture
async def served(
    config: Config,
    ctx: ServiceContext,
    buyers: object,
    tmp_path: Path,
    limits: Limits,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Served]:
    """ana (administrator) and carlos with a key each; the server on a free loopback port."""
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "home"))
    ana_key = asyncssh.generate_private_key("ssh-ed25519")
    carlos_key = asyncssh.generate_private_key("ssh-ed25519")
    ssh_keys.add_key(ctx, "ana", ana_key.export_public_key().decode())
    ssh_keys.add_key(ctx, "carlos", carlos_key.export_public_key().decode())
    records: list[logging.LogRecord] = []
    handler = _Collect(records)
    logger = logging.getLogger("gosocket_tui.ssh")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    flags = {"db": config.db, "lang": "en", "exchange_dir": config.exchange_dir}
    endpoint = Endpoint(
        open_context(config), limits, flags=flags, config_path=tmp_path / "missing.toml"
    )
    sock = socket.create_server(("127.0.0.1", 0))
    acceptor = await start_server(endpoint, sock, asyncssh.generate_private_key("ssh-ed25519"))
    checker = asyncio.get_running_loop().create_task(endpoint.check_keys())
    try:
        yield Served(sock.getsockname()[1], endpoint, ana_key, carlos_key, records)
    finally:
        checker.cancel()
        acceptor.close()
        await endpoint.close_connections(5.0)
        endpoint.close()
        logger.removeHandler(handler)
        sock.close()


async def read_until(
    stream: asyncssh.SSHReader[bytes], wanted: bytes, seconds: float = READ_SECONDS
) -> bytes:
    """What the session painted until ``wanted`` appeared; fails after ``seconds``."""
    seen = b""
    deadline = time.monotonic() + seconds
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"not seen {wanted!r}; got {seen[-1500:]!r}"
        try:
            chunk = await asyncio.wait_for(stream.read(65536), min(left, 1.0))
        except TimeoutError:
            continue
        assert chunk, f"session ended before {wanted!r}; got {seen[-1500:]!r}"
        seen += chunk
    return seen


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
