"""The shipped deployment files agree with the README, and the CLI prints them as shipped."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from gosocket_tui.deploy import MAIL_UNIT, WRAPPER, read
from tests.cli_helpers import Cli

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
SECURITY = (Path(__file__).parents[2] / "SECURITY.md").read_text(encoding="utf-8")


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path / "cli.db", capsys, monkeypatch)


@pytest.mark.parametrize(("command", "name"), [("wrapper", WRAPPER), ("mail-unit", MAIL_UNIT)])
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
