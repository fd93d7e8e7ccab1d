"""What the launcher gives a session's child: environment, terminal type and size."""

from __future__ import annotations

import pytest

from gosocket_tui.ssh.launcher import child_environment, terminal_size, terminal_type


def test_only_display_settings_pass_from_the_client() -> None:
    """The child's environment as the app sees it: TERM asked for, LANG passed, the rest not."""
    env = child_environment(
        {"PATH": "/usr/bin", "TERM": "dumb", "LC_ALL": "C", "SSH_CONNECTION": "x"},
        {
            "LANG": "es_CL.UTF-8",
            "LC_TIME": "es_CL.UTF-8",
            "COLORTERM": "truecolor",
            "NO_COLOR": "1",
            "LD_PRELOAD": "/tmp/evil.so",
            "PYTHONPATH": "/tmp",
            "GOSOCKET_DB": "sqlite:////tmp/other.db",
            "PATH": "/tmp",
            "LC_CTYPE": "\x1b]0;x\x07",
        },
        "xterm-256color",
    )
    assert env == {
        "PATH": "/usr/bin",
        "TERM": "xterm-256color",
        "LANG": "es_CL.UTF-8",
        "LC_TIME": "es_CL.UTF-8",
        "COLORTERM": "truecolor",
        "NO_COLOR": "1",
    }


@pytest.mark.parametrize(
    ("asked", "given"),
    [
        ((80, 24), (80, 24)),
        ((0, 0), (80, 24)),
        ((0, 40), (80, 24)),
        ((2**32 - 1, 2**31), (1000, 500)),
    ],
)
def test_the_terminal_size_is_kept_in_bounds(
    asked: tuple[int, int], given: tuple[int, int]
) -> None:
    assert terminal_size(*asked) == given


@pytest.mark.parametrize(
    ("asked", "given"),
    [
        ("xterm-256color", "xterm-256color"),
        ("", "xterm-256color"),
        ("xterm\x1b]0;x", "xterm-256color"),
        ("../../etc/terminfo", "xterm-256color"),
        ("x" * 65, "xterm-256color"),
    ],
)
def test_an_odd_terminal_type_becomes_the_default(asked: str, given: str) -> None:
    assert terminal_type(asked) == given
