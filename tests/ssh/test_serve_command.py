"""``gosocket-tui serve`` as an operator runs it: a real process, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.config import Config
from gosocket_tui.services import ssh_keys
from gosocket_tui.services.context import ServiceContext
from tests.ssh.conftest import alive, read_until

pytestmark = pytest.mark.slow


def _env(tmp_path: Path, config: Config) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOSOCKET_")}
    home = str(tmp_path / "home")
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = home
    env["GOSOCKET_DB"] = config.db
    env["GOSOCKET_CONFIG"] = str(tmp_path / "missing.toml")
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "gosocket_tui", *args]


def test_fingerprint_before_the_first_start_is_one_line(tmp_path: Path, config: Config) -> None:
    done = subprocess.run(
        _cli("serve", "--fingerprint"), env=_env(tmp_path, config), capture_output=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.decode().count("\n") == 1
    assert b"No host key yet" in done.stderr


async def test_serve_prints_its_key_serves_and_stops_with_its_sessions(
    tmp_path: Path, config: Config, ctx: ServiceContext, buyers: object
) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    ssh_keys.add_key(ctx, "ana", key.export_public_key().decode())
    env = _env(tmp_path, config)
    server = subprocess.Popen(
        _cli("serve", "--listen", "127.0.0.1:0"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None and server.stderr is not None
        first = await asyncio.to_thread(server.stdout.readline)
        second = await asyncio.to_thread(server.stdout.readline)
        assert first.startswith(b"Host key SHA256:"), (first, server.stderr.read())
        port = int(second.rsplit(b":", 1)[1])
        host_key = tmp_path / "home" / "gosocket-tui" / "ssh_host_ed25519_key"
        assert host_key.stat().st_mode & 0o777 == 0o600
        printed = subprocess.run(
            _cli("serve", "--fingerprint"), env=env, capture_output=True, timeout=60
        )
        assert printed.stdout.strip() == first.split()[-1]

        async with asyncssh.connect(
            "127.0.0.1",
            port,
            username="ana",
            client_keys=[key],
            known_hosts=None,
            agent_path=None,
        ) as conn:
            process = await conn.create_process(
                term_type="xterm", term_size=(80, 24), encoding=None
            )
            await read_until(process.stdout, b"by SSH key")
            server.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(server.wait, 10) == 0
        log = server.stderr.read().decode()
        pid = int(log.split("pid=")[1].split()[0])
        deadline = time.monotonic() + 2
        while alive(pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not alive(pid), "the session's child outlived the server"
        assert "ssh session end user='ana'" in log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_a_busy_address_is_one_line_and_writes_nothing(tmp_path: Path, config: Config) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            _cli("serve", "--listen", f"127.0.0.1:{port}"),
            env=_env(tmp_path, config),
            capture_output=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.decode().startswith("Error: Cannot listen on 127.0.0.1:")
    assert done.stderr.decode().count("\n") == 1
    assert not (tmp_path / "home").exists()  # no host key made for a server that never ran
