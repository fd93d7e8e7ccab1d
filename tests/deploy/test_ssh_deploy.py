"""The README's SSH deployment, followed with a real OpenSSH server on loopback.

A throwaway ``sshd`` (its own host key, config and port) forces the shipped wrapper
(``gosocket_tui/deploy/gosocket-ssh``) with the README's ``sshd_config`` lines: AcceptEnv,
ClientAliveInterval, DisableForwarding. The OpenSSH client logs in with a throwaway key under a
pty of 80x24 and must see the login screen.

Faithful enough, and what differs: the test runs as root and cannot create a Python-capable
service user cheaply, so the wrapper runs (as root, as it does after ``sudo -n``) with
``SERVICE_USER=root`` and an ``APP`` launcher that starts this checkout's app on a database in
the test's folder and records the environment it got. The client logs in as root through an
``AuthorizedKeysFile`` in the test's folder. Skipped where sshd, ssh or runuser is missing or
when not root. Only the sshd and app processes started here are stopped, by their pid.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gosocket_tui.deploy import WRAPPER, read
from tests.terminal import open_terminal, read_until, run_on_terminal, ssh_argv

SSHD = "/usr/sbin/sshd"
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.path.exists(SSHD) and shutil.which("ssh") and shutil.which("runuser")),
        reason="needs OpenSSH (sshd and ssh) and runuser",
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="sshd and the wrapper run as root"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrapper_copy(folder: Path, app: Path, env_file: Path) -> Path:
    """The shipped wrapper with its three settings pointed at the test's files."""
    text = read(WRAPPER)
    for name, value in (("SERVICE_USER", "root"), ("APP", str(app)), ("ENV_FILE", str(env_file))):
        text, count = re.subn(rf"^{name}=.*$", f"{name}={value}", text, flags=re.M)
        assert count == 1, name
    path = folder / "gosocket-ssh"
    path.write_text(text)
    path.chmod(0o755)
    return path


class Server:
    def __init__(self, folder: Path, port: int, key: Path) -> None:
        self.folder = folder
        self.port = port
        self.key = key

    def ssh(self, *extra: str) -> list[str]:
        return ssh_argv(self.port, self.key, "root@127.0.0.1", *extra)

    def app_pids(self) -> list[int]:
        pids = []
        for pid_file in self.folder.glob("app-*.pid"):
            with contextlib.suppress(ValueError, OSError):
                pids.append(int(pid_file.read_text()))
        return pids


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    folder = tmp_path / "ssh"
    folder.mkdir(mode=0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True
        )
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    env_file = folder / "env"
    env_file.write_text("GOSOCKET_SMTP_PASSWORD=s3cret-relay\n")
    env_file.chmod(0o600)
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = f"sqlite:///{data / 'gosocket.db'}"
    app = folder / "app"
    app.write_text(
        "#!/bin/sh\n"
        f'echo $$ > "{folder}/app-$$.pid"\n'
        f'env > "{folder}/app-env.txt"\n'
        f"exec env PYTHONPATH={REPO} GOSOCKET_DB={db} GOSOCKET_CONFIG={data}/config.toml "
        f"GOSOCKET_EXCHANGE_DIR={data}/exchange {sys.executable} -m gosocket_tui\n"
    )
    app.chmod(0o755)
    subprocess.run(
        [sys.executable, "-m", "gosocket_tui", "--db", db, "db", "upgrade"],
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
    )
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {folder / 'host_key'}\n"
        f"PidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\n"
        "StrictModes no\n"  # the test's folder lives under /tmp
        "UsePAM no\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
        # The README's lines:
        "AcceptEnv LANG LC_* COLORTERM NO_COLOR\n"
        "ClientAliveInterval 30\n"
        "ClientAliveCountMax 4\n"
        "DisableForwarding yes\n"
        "PermitTTY yes\n"
        f"ForceCommand {wrapper_copy(folder, app, env_file)}\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    sshd = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "sshd.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert sshd.poll() is None, (folder / "sshd.log").read_text()
            assert time.monotonic() < deadline, "sshd did not start"
            time.sleep(0.1)
        yield Server(folder, port, folder / "client_key")
    finally:
        sshd.terminate()
        try:
            sshd.wait(10)
        except subprocess.TimeoutExpired:
            sshd.kill()
            sshd.wait(10)
        for pid in Server(folder, port, folder / "client_key").app_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_an_administrator_reaches_the_login_screen_over_ssh(server: Server) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "es_CL.UTF-8", "SNEAKY": "x"}
    client, master = run_on_terminal(server.ssh("-tt", "-o", "SendEnv=LANG SNEAKY"), env)
    try:
        screen = read_until(master, "Iniciar sesión".encode(), 60)  # LANG=es reached the app
        assert b"Usuario" in screen
        os.write(master, b"\x11")  # ctrl+q
        client.wait(30)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(10)
        os.close(master)
    seen = dict(
        line.split("=", 1)
        for line in (server.folder / "app-env.txt").read_text().splitlines()
        if "=" in line
    )
    assert seen["SSH_CONNECTION"].startswith("127.0.0.1 ")  # the app knows it is remote
    assert seen["GOSOCKET_SMTP_PASSWORD"] == "s3cret-relay"  # from the root-only env file
    assert seen["LANG"] == "es_CL.UTF-8"
    assert seen["TERM"] == "xterm-256color"
    assert "SNEAKY" not in seen and "SSH_AUTH_SOCK" not in seen


@pytest.mark.parametrize(
    ("options", "remote_command"),
    [(["-T"], []), (["-T"], ["gosocket-tui", "user", "list"]), ([], ["ls"])],
    ids=["ssh -T", "ssh -T with a command", "ssh host cmd"],
)
def test_a_session_without_a_terminal_gets_one_line_and_ends(
    server: Server, options: list[str], remote_command: list[str]
) -> None:
    done = subprocess.run(
        [*server.ssh(*options), *remote_command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode().strip() == (
        "gosocket-ssh: gosocket-tui needs a terminal: connect with ssh -t"
    )
    assert server.app_pids() == []  # the app never started


def run_wrapper(folder: Path, env: dict[str, str], env_mode: int = 0o600) -> tuple[int, str, str]:
    """Run the wrapper as sudo would (root, the given environment); the app dumps its env."""
    app = folder / "app"
    app.write_text(f'#!/bin/sh\nenv > "{folder}/env.txt"\n')
    app.chmod(0o755)
    env_file = folder / "env"
    env_file.write_text("# the relay\nGOSOCKET_SMTP_PASSWORD=pa ss;$(id)\n")
    env_file.chmod(env_mode)
    wrapper = wrapper_copy(folder, app, env_file)
    master, slave = open_terminal()  # sudo hands the session's terminal through
    try:
        done = subprocess.run(
            [str(wrapper), "ignored", "arguments"],
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
        )
    finally:
        os.close(slave)
        os.close(master)
    seen = (folder / "env.txt").read_text() if (folder / "env.txt").exists() else ""
    return done.returncode, done.stderr, seen


def test_the_wrapper_passes_only_plain_locale_terminal_and_connection(tmp_path: Path) -> None:
    code, stderr, seen = run_wrapper(
        tmp_path,
        {
            "LANG": "es_CL.UTF-8",
            "LC_TIME": "$(touch /tmp/pwned)",
            "LC_ALL": "C.UTF-8",
            "TERM": "xterm\x1b]0;x\x07",
            "COLORTERM": "truecolor",
            "NO_COLOR": "1",
            "SSH_CONNECTION": "127.0.0.1 50000 127.0.0.1 22",
            "GOSOCKET_DB": "sqlite:////etc/evil.db",
            "PYTHONPATH": "/tmp/evil",
            "LD_PRELOAD": "/tmp/evil.so",
            "PATH": "/tmp/evil:/usr/bin:/bin",
        },
    )
    assert code == 0, stderr
    names = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in seen.splitlines()}
    assert names["LANG"] == "es_CL.UTF-8" and names["LC_ALL"] == "C.UTF-8"
    assert names["COLORTERM"] == "truecolor" and names["NO_COLOR"] == "1"
    assert names["SSH_CONNECTION"] == "127.0.0.1 50000 127.0.0.1 22"
    assert names["GOSOCKET_SMTP_PASSWORD"] == "pa ss;$(id)"  # verbatim, never run
    assert "/tmp/evil" not in names["PATH"]
    for dropped in ("LC_TIME", "TERM", "GOSOCKET_DB", "PYTHONPATH", "LD_PRELOAD"):
        assert dropped not in names, dropped


def test_the_wrapper_refuses_a_password_file_others_can_read(tmp_path: Path) -> None:
    code, stderr, seen = run_wrapper(tmp_path, {"TERM": "xterm"}, env_mode=0o644)
    assert code == 1 and seen == ""
    assert stderr.strip().endswith("must be root's, mode 600")
    assert len(stderr.strip().splitlines()) == 1
