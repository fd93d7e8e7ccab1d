"""Which CLI commands run over SSH: an allowlist, and every command classified."""

from __future__ import annotations

import click
import pytest

from gosocket_tui.cli import _register_commands
from gosocket_tui.cli.base import root
from gosocket_tui.ssh.commands import REMOTE_COMMANDS, CommandRefused, remote_argv

# Every CLI command that stays on the server: only its operator runs them.
LOCAL_ONLY = {
    "activate",
    "company add",
    "company settings",
    "config show",
    "db copy",
    "db upgrade",
    "demo",
    "deploy mail-unit",
    "deploy serve-unit",
    "deploy wrapper",
    "mail deliver",
    "serve",
    "smtp-sink",
    "user add",
    "user disable",
    "user enable",
    "user key add",
    "user key list",
    "user key remove",
    "user list",
    "user unlock",
}


def _leaves(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
    found: set[str] = set()
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            found |= _leaves(command, path)
        else:
            found.add(" ".join(path))
    return found


def test_every_cli_command_is_classified_for_ssh() -> None:
    """A new command is reachable over SSH only once it is put in the allowlist."""
    _register_commands()
    remote = {" ".join(name) for name in REMOTE_COMMANDS}
    commands = _leaves(root)
    assert commands - remote - LOCAL_ONLY == set(), "classify the new command for SSH"
    assert remote | LOCAL_ONLY == commands, "a classified command no longer exists"
    assert not remote & LOCAL_ONLY
    assert all(name.startswith("suppliers ") for name in remote)


@pytest.mark.parametrize(
    ("command", "status"),
    [
        ("suppliers list; id", 1),
        ("suppliers list && id", 0),  # "&&" is a word click refuses, never a shell
        ("suppliers\tlist", 0),
        ("SUPPLIERS list", 1),
        ("suppliers lis", 1),
        ("suppliers --db x list", 1),
        ("'suppliers list'", 1),
        ('suppliers list "unclosed', 2),
        ("\x1b]0;x\x07", 1),
    ],
)
def test_only_an_allowed_command_is_split_into_words(command: str, status: int) -> None:
    if status == 0:
        assert remote_argv(command)[:2] == ["suppliers", "list"]
        return
    with pytest.raises(CommandRefused) as refused:
        remote_argv(command)
    assert refused.value.status == status
    assert "\x1b" not in refused.value.message
