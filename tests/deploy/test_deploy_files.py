"""The shipped deployment files agree with the README, and the CLI prints them as shipped."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gosocket_tui.deploy import MAIL_UNIT, SERVE_UNIT, WRAPPER, read
from tests.cli_helpers import Cli

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
SECURITY = (Path(__file__).parents[2] / "SECURITY.md").read_text(encoding="utf-8")


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path / "cli.db", capsys, monkeypatch)


@pytest.mark.parametrize(
    ("command", "name"),
    [("wrapper", WRAPPER), ("mail-unit", MAIL_UNIT), ("serve-unit", SERVE_UNIT)],
)
def test_the_cli_prints_the_shipped_file(cli: Cli, command: str, name: str) -> None:
    result = cli("deploy", command)
    assert result.code == 0 and result.err == ""
    assert result.out == read(name)


def test_the_wrapper_is_a_valid_shell_script_with_the_readme_paths() -> None:
    text = read(WRAPPER)
    subprocess.run(["sh", "-n"], input=text, text=True, check=True)
    settings = dict(re.findall(r"^(SERVICE_USER|APP|ENV_FILE)=(.*)$", text, flags=re.M))
    assert settings == {
        "SERVICE_USER": "gosocket",
        "APP": "/home/gosocket/venv/bin/gosocket-tui",
        "ENV_FILE": "/etc/gosocket-tui/env",
    }
    for value in settings.values():
        assert value in README
    assert "install -m 755 -o root -g root /dev/stdin /usr/local/sbin/gosocket-ssh" in README


def test_the_readme_and_security_give_the_same_sshd_and_sudoers_lines() -> None:
    for line in (
        "AcceptEnv LANG LC_* COLORTERM NO_COLOR",
        "ClientAliveInterval 30",
        "ForceCommand sudo -n /usr/local/sbin/gosocket-ssh",
        "DisableForwarding yes",
        '%gosocket-admins ALL=(root) NOPASSWD: /usr/local/sbin/gosocket-ssh ""',
        'env_keep += "SSH_CONNECTION COLORTERM NO_COLOR"',
        "useradd --system --create-home --shell /usr/sbin/nologin gosocket",
        "chmod 700 /home/gosocket",
        "install -d -o gosocket -g gosocket -m 700",
    ):
        assert line in README, line
    assert "sudo -n /usr/local/sbin/gosocket-ssh" in SECURITY.replace("\n   ", " ")
    assert "--shell /usr/sbin/nologin gosocket" in SECURITY


def test_the_mail_unit_runs_the_watching_deliverer_as_the_service_user() -> None:
    unit = read(MAIL_UNIT)
    assert "User=gosocket" in unit
    assert "ExecStart=/home/gosocket/venv/bin/gosocket-tui mail deliver --watch" in unit
    assert "EnvironmentFile=-/etc/gosocket-tui/env" in unit
    assert "Restart=always" in unit


def test_the_serve_unit_runs_the_endpoint_open_on_2222_as_the_service_user() -> None:
    unit = read(SERVE_UNIT)
    assert "User=gosocket" in unit and "Group=gosocket" in unit
    assert "ExecStart=/home/gosocket/venv/bin/gosocket-tui serve --listen 0.0.0.0:2222" in unit
    assert "EnvironmentFile=-/etc/gosocket-tui/env" in unit
    assert "Restart=always" in unit


# The hardening both units carry: what a compromised service could still do is write its own
# home and open TCP and Unix sockets, as the gosocket user, with no capability at all.
HARDENING = (
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectSystem=strict",
    "ProtectHome=tmpfs",
    "BindPaths=/home/gosocket",
    "ReadWritePaths=/home/gosocket",
    "CapabilityBoundingSet=\n",
    "AmbientCapabilities=\n",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n",
    "RestrictSUIDSGID=yes",
    "RestrictNamespaces=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "LockPersonality=yes",
    "SystemCallFilter=@system-service",
    "SystemCallArchitectures=native",
    "UMask=0077",
)


@pytest.mark.parametrize("name", [SERVE_UNIT, MAIL_UNIT])
def test_both_units_are_hardened(name: str) -> None:
    unit = read(name)
    missing = [line for line in HARDENING if line not in unit]
    assert not missing, missing


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
@pytest.mark.parametrize("name", [SERVE_UNIT, MAIL_UNIT])
def test_both_units_are_valid_for_systemd(name: str, tmp_path: Path) -> None:
    """``systemd-analyze verify`` wants the program to exist: a stand-in takes its path."""
    program = tmp_path / "gosocket-tui"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    unit = tmp_path / name
    unit.write_text(read(name).replace("/home/gosocket/venv/bin/gosocket-tui", str(program)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_readme_installs_both_units() -> None:
    for line in (
        "gosocket-tui deploy serve-unit > /etc/systemd/system/gosocket-serve.service",
        "gosocket-tui deploy mail-unit > /etc/systemd/system/gosocket-mail.service",
        "systemctl daemon-reload && systemctl enable --now gosocket-serve gosocket-mail",
    ):
        assert line in README, line


def test_the_first_deployment_section_is_the_apps_own_endpoint() -> None:
    headings = [line for line in README.splitlines() if line.startswith("## Deploying")]
    assert headings == [
        "## Deploying: the app's own SSH endpoint",
        "## Deploying with OpenSSH instead (a forced command)",
    ]
    start = README.index(headings[0])
    serve = README[start : README.index(headings[1])]
    for line in (
        "gosocket-tui serve --fingerprint",
        "gosocket-tui user key add ana - < ana.pub",
        "ufw allow 2222/tcp",
        "ssh -p 2222 ana@gosocket.example.com",
        "sftp -P 2222 ana@gosocket.example.com",
        "ssh -p 2222 activate@gosocket.example.com",
    ):
        assert line in serve, line
