"""A command sent over SSH (``ssh ana@host suppliers list``), run in the session's child.

The server allowed the command (``ssh/commands.py``) and handed it over with ana's session;
``cli/ssh_session.py`` re-checked her account and key. It is checked against the allowlist
once more here, where it runs, and runs through the ``suppliers`` group itself, never the
root: no root option (``--db``, ``--config``) and no other command can be reached. Its
commands consult ``CliState.remote``: they act as ana for her company only, on files of its
exchange folder, and the services refuse her what they refuse her in the app.
"""

from __future__ import annotations

import sys

from gosocket_tui.cli import _register_commands, run_filtered
from gosocket_tui.cli.base import CliState
from gosocket_tui.cli.suppliers_group import suppliers
from gosocket_tui.i18n import _
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.ssh.commands import GROUP, available, is_remote


def run_remote_command(ctx: ServiceContext, session: Session, argv: list[str]) -> int:
    """Run ``argv`` as ``session``'s user; its exit status (0, 1 a user error, 2 bad usage)."""
    if not is_remote(argv):
        print(
            _("Only these commands run over SSH: {commands}.", commands=available()),
            file=sys.stderr,
        )
        return 1
    _register_commands()
    try:
        run_filtered(argv[1:], suppliers, CliState.for_session(ctx, session), GROUP)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 1
    return 0
