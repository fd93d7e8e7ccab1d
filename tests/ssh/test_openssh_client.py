"""The OpenSSH client, as administrators will use it, against ``gosocket-tui serve``."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import asyncssh
import pytest

from tests.ssh.conftest import Served
from tests.terminal import open_terminal, read_until, ssh_argv

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ssh") is None, reason="no OpenSSH client here"),
]


def _key_file(key: asyncssh.SSHKey, folder: Path) -> Path:
    path = folder / "id_ed25519"
    path.write_bytes(key.export_private_key())
    path.chmod(0o600)
    return path


async def test_ssh_with_a_pty_opens_the_app_at_80x24(served: Served, tmp_path: Path) -> None:
    key = _key_file(served.ana_key, tmp_path)
    controller, terminal = open_terminal(24, 80)
    client = subprocess.Popen(
        ssh_argv(served.port, key, "ana@127.0.0.1", "-tt"),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(terminal)
    try:
        await asyncio.to_thread(read_until, controller, b"by SSH key", 30)
    finally:
        client.send_signal(signal.SIGKILL)
        await asyncio.to_thread(client.wait, 10)
        os.close(controller)


async def test_ssh_with_a_command_runs_nothing(served: Served, tmp_path: Path) -> None:
    key = _key_file(served.ana_key, tmp_path)
    done = await asyncio.to_thread(
        subprocess.run,
        [*ssh_argv(served.port, key, "ana@127.0.0.1"), "touch", str(tmp_path / "pwned")],
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 1  # the server's refusal, not the client's (255)
    assert b"Only these commands run over SSH" in done.stderr
    assert not (tmp_path / "pwned").exists()


async def test_ssh_runs_a_supplier_command_as_her(served: Served, tmp_path: Path) -> None:
    """``ssh ana@host suppliers …``: standard input in, JSON out, the exit status back."""
    key = _key_file(served.ana_key, tmp_path)
    rows = "Tax ID*,Name*,Email*,Notify*,Country\n78.555.111-7,Por Ssh Ltda,s@prov.example,0,CL\n"
    imported = await asyncio.to_thread(
        subprocess.run,
        [*ssh_argv(served.port, key, "ana@127.0.0.1"), "suppliers", "import", "-"],
        input=rows.encode(),
        capture_output=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    listed = await asyncio.to_thread(
        subprocess.run,
        [*ssh_argv(served.port, key, "ana@127.0.0.1"), "suppliers list --format json"],
        capture_output=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert [row["name"] for row in json.loads(listed.stdout)] == ["Por Ssh Ltda"]
    refused = await asyncio.to_thread(
        subprocess.run,
        [*ssh_argv(served.port, key, "ana@127.0.0.1"), "user", "list"],
        capture_output=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert b"Only these commands run over SSH" in refused.stderr
