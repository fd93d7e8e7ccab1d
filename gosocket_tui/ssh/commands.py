"""Which commands a user may run over SSH (``ssh ana@host suppliers list``): an allowlist.

Only the supplier commands, the remote counterpart of the Suppliers tab, run there, each as
the key's user with exactly her rights (the child runs it with her session, see
``gosocket_tui/cli/ssh_exec.py``). Everything else (``company …``, ``user …``, ``db …``,
``serve``, the root options such as ``--db``, a shell) is the server operator's and is
refused before any process starts. A new CLI command is not reachable until it is listed here
(``tests/ssh/test_exec.py`` fails while one is unclassified).
"""

from __future__ import annotations

import shlex

from gosocket_tui.i18n import _

GROUP = "suppliers"
REMOTE_COMMANDS: frozenset[tuple[str, str]] = frozenset(
    (GROUP, name)
    for name in (
        "list",
        "stats",
        "add",
        "invite",
        "resend",
        "cancel",
        "delivery-log",
        "import",
        "template",
    )
)
HELP = frozenset({"-h", "--help"})
MAX_COMMAND_LENGTH = 4096  # a script's longest sensible command line, well under asyncssh's


class CommandRefused(Exception):
    """A command line that is not run: ``status`` is its exit status, ``message`` one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def remote_argv(command: str) -> list[str]:
    """The words of ``command`` when it may run over SSH, else ``CommandRefused``.

    Bad quoting, an empty or a huge command line is bad usage (status 2); a command outside
    the allowlist is refused (status 1), with the list of those that run.
    """
    if len(command) > MAX_COMMAND_LENGTH:
        raise CommandRefused(
            2, _("The command is too long (at most {count} characters).", count=MAX_COMMAND_LENGTH)
        )
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise CommandRefused(2, _("The command cannot be read: {reason}.", reason=exc)) from None
    if not argv:
        raise CommandRefused(2, _("No command given: {commands}.", commands=available()))
    if not is_remote(argv):
        raise CommandRefused(
            1, _("Only these commands run over SSH: {commands}.", commands=available())
        )
    return argv


def is_remote(argv: list[str]) -> bool:
    """``suppliers`` alone or with ``--help``, or one of its allowed commands."""
    if not argv or argv[0] != GROUP:
        return False
    return len(argv) == 1 or argv[1] in HELP or (GROUP, argv[1]) in REMOTE_COMMANDS


def command_name(argv: list[str]) -> str:
    """What a log line and the audit trail name: the command, never its arguments (they may
    hold a supplier's name or email)."""
    if len(argv) > 1 and (GROUP, argv[1]) in REMOTE_COMMANDS:
        return f"{GROUP} {argv[1]}"
    return GROUP


def available() -> str:
    return ", ".join(sorted(" ".join(name) for name in REMOTE_COMMANDS))
