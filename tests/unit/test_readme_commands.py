"""Every ``gosocket-tui`` command line in README.md's shell blocks runs as written.

They run in order, as a reader would type them, in a temporary folder on a temporary database,
with mail going to a real SMTP sink on a free loopback port. The placeholders are the
activation code (``XXXX-XXXX-XXXX``), replaced by the code of the last invitation the sink
received, and the key fingerprint (``SHA256:FINGERPRINT``), replaced by that of the key the
test writes as ``id_ed25519.pub``. Password prompts are answered through a real
pseudo-terminal. Skipped: the full-screen app (the TUI tests drive it), sections that need
root, sshd or a PostgreSQL server.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shlex
import shutil
import socket
import subprocess
import termios
import time
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.mail.maildir import SinkMessage
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services.bulk import write_template

README = Path(__file__).resolve().parents[2] / "README.md"
SKIPPED_SECTIONS = {
    "Deploying: the app's own SSH endpoint": "needs root and systemd",
    "Deploying with OpenSSH instead (a forced command)": "needs root and sshd",
    "PostgreSQL": "needs a PostgreSQL server",
}
FULL_SCREEN = {"gosocket-tui", "gosocket-tui demo"}
LONG_RUNNING = ("gosocket-tui smtp-sink", "--watch", "--web")
# The port each long-running line listens on by default: taken on this machine, it is skipped.
LONG_RUNNING_PORTS = {"gosocket-tui smtp-sink": 8025, "--web": 8000}
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CODE_PLACEHOLDER = "XXXX-XXXX-XXXX"
FINGERPRINT_PLACEHOLDER = "SHA256:FINGERPRINT"
PASSWORD = "correct horse battery"
# Lines that fail until a change on its way lands; the test fails once they pass, so that the
# entry is removed.
KNOWN_FAILURES: dict[str, str] = {}


def readme_commands(text: str) -> list[tuple[str, str]]:
    """``(section, command line)`` for each ``gosocket-tui`` line in a shell code block."""
    commands: list[tuple[str, str]] = []
    section = ""
    in_fence = in_block = False
    pending = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if line.strip().startswith("```"):
            # A fence opens a block (shell only for sh, bash or no language) or closes one.
            in_fence = not in_fence
            in_block = in_fence and line.strip() in {"```sh", "```bash", "```"}
            continue
        if not in_block:
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip().removesuffix("\\") + " "
            continue
        pending += line
        words = shlex.split(pending, comments=True)
        pending = ""
        if words and words[0] == "gosocket-tui":
            commands.append((section, shlex.join(words)))
    return commands


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _run_with_terminal(line: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run ``line`` on a pseudo-terminal and answer each password prompt."""
    controller, terminal = pty.openpty()

    def take_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        ["bash", "-c", line],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=take_terminal,
    )
    os.close(terminal)
    output = b""
    answered = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the child closed the terminal
                    break
                output += chunk
                prompts = len(re.findall(rb"(?:Password|Repeat for confirmation): ", output))
                while answered < prompts:
                    os.write(controller, PASSWORD.encode() + b"\n")
                    answered += 1
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(controller)
    return code, output.decode("utf-8", "replace")


def _code_from(message: SinkMessage) -> str:
    found = re.findall(rb"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", message.raw)
    assert found, "no activation code in the last invitation"
    return str(found[-1].decode())


def test_readme_lists_the_commands() -> None:
    commands = [cmd for _, cmd in readme_commands(README.read_text(encoding="utf-8"))]
    assert len(commands) >= 20
    assert any(cmd.startswith("gosocket-tui activate ") for cmd in commands)


@pytest.mark.sqlite_only
def test_every_readme_command_runs_as_written(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / "config"),
        "XDG_DATA_HOME": str(tmp_path / "home" / "data"),
        "XDG_STATE_HOME": str(tmp_path / "home" / "state"),
        "LANG": "C.UTF-8",
        "GOSOCKET_DB": f"sqlite:///{tmp_path / 'gosocket.db'}",
        "GOSOCKET_CONFIG": str(tmp_path / "config.toml"),
        "GOSOCKET_SMTP_HOST": "127.0.0.1",
        "GOSOCKET_SMTP_SECURITY": "none",
        "GOSOCKET_SMTP_SENDER": "facturacion@andes.example",
    }
    # The file a reader fills from the template before importing it.
    write_template(tmp_path / "suppliers.csv", "csv", "en")
    # The tester's example script, where a reader of the checkout has it.
    (tmp_path / "fixtures").mkdir()
    shutil.copy(FIXTURES / "demo-script.txt", tmp_path / "fixtures")
    # The public key a user hands over to be registered.
    user_key = asyncssh.generate_private_key("ssh-ed25519", comment="ana@laptop")
    user_key.write_public_key(tmp_path / "id_ed25519.pub")
    failures: list[str] = []
    passing_known: list[str] = []
    with MailSink(port=_free_port(), maildir=tmp_path / "maildir") as sink:
        env["GOSOCKET_SMTP_PORT"] = str(sink.port)
        for section, line in readme_commands(README.read_text(encoding="utf-8")):
            if section in SKIPPED_SECTIONS or line in FULL_SCREEN:
                continue
            if CODE_PLACEHOLDER in line:
                line = line.replace(CODE_PLACEHOLDER, _code_from(sink.messages()[-1]))
            line = line.replace(FINGERPRINT_PLACEHOLDER, user_key.get_fingerprint("sha256"))
            if line.startswith(LONG_RUNNING[0]) or any(mark in line for mark in LONG_RUNNING[1:]):
                port = next((p for m, p in LONG_RUNNING_PORTS.items() if m in line), None)
                if port is not None and not _port_free(port):
                    continue  # its default port is taken on this machine
                proc = subprocess.Popen(
                    ["bash", "-c", line], env=env, cwd=tmp_path, stderr=subprocess.PIPE
                )
                try:
                    proc.wait(timeout=3)
                    code, out = proc.returncode, proc.stderr.read().decode() if proc.stderr else ""
                except subprocess.TimeoutExpired:
                    code, out = 0, ""  # still serving: it started
                finally:
                    proc.terminate()
                    proc.wait(timeout=10)
                    if proc.stderr:
                        proc.stderr.close()
            elif _prompts_for_password(line):
                code, out = _run_with_terminal(line, env, tmp_path)
            else:
                done = subprocess.run(
                    ["bash", "-c", line],
                    env=env,
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                code, out = done.returncode, done.stdout + done.stderr
            if line in KNOWN_FAILURES:
                if code == 0:
                    passing_known.append(line)
                continue
            if code != 0:
                failures.append(f"{line}\n  exit {code}: {out.strip()[-500:]}")
    assert not failures, "\n".join(failures)
    assert not passing_known, f"now passing, remove from KNOWN_FAILURES: {passing_known}"


def _prompts_for_password(line: str) -> bool:
    words = shlex.split(line)
    prompting = words[1:3] == ["user", "add"] or words[1:2] == ["activate"]
    return prompting and "--password-stdin" not in words
