"""The child process of one SSH session (``gosocket-tui serve``): the app, logged in by key,
or one allowed command run as the key's user (``cli/ssh_exec.py``).

Started by ``gosocket_tui/ssh/launcher.py`` as ``python -m gosocket_tui.cli.ssh_session FD``
on a fresh pseudo-terminal (a command without ``ssh -t``: on pipes), in its own session. It
reads the hand-over from the inherited pipe FD (written by the server after the key was
verified), opens its own database connection, checks the account and the key once more, and
runs the app without a login screen. It is a module, not a ``gosocket-tui`` command: nothing
typed on a command line or sent over SSH reaches it, and without the server's pipe it has
nothing to read.

An activation hand-over (SSH user ``activate``) has nobody logged in: the child shows only
the activation screen, and the key the client proved becomes the new user's login.
"""

from __future__ import annotations

import fcntl
import os
import sys
import termios
from dataclasses import replace
from typing import TYPE_CHECKING

from gosocket_tui.config import load_config
from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _, set_language
from gosocket_tui.safe_text import plain
from gosocket_tui.ssh.handoff import ACTIVATE_MODE, MAX_HANDOFF_BYTES, Handoff, decode_handoff

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext


def _read_pipe(fd: int) -> bytes:
    chunks = []
    size = 0
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(65536):
            size += len(chunk)
            if size > MAX_HANDOFF_BYTES:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _take_terminal() -> None:
    """Make the pty on stdin this session's controlling terminal: window changes then reach
    the app as SIGWINCH, and the hang-up when the connection closes ends it."""
    fcntl.ioctl(sys.stdin.fileno(), termios.TIOCSCTTY, 0)


def _line_end() -> str:
    """A pty needs CR LF (its output processing is the app's); a pipe gets a plain line."""
    return "\r\n" if sys.stderr.isatty() else "\n"


def run(argv: list[str]) -> int:
    from gosocket_tui.services.context import open_context
    from gosocket_tui.services.session import require_session
    from gosocket_tui.services.ssh_keys import key_still_valid
    from gosocket_tui.tui.app import make_app

    try:
        handoff = decode_handoff(_read_pipe(int(argv[0])))
        if handoff.mode != "exec" or sys.stdin.isatty():
            _take_terminal()
    except (ValueError, KeyError, TypeError, IndexError, OSError):
        print(_("This program is started by gosocket-tui serve."), file=sys.stderr)
        return 2
    try:
        config = load_config(handoff.flags, config_path=handoff.config_path)
        set_language(config.lang)
        ctx = open_context(config, upgrade=False)
    except GosocketError as exc:
        print(plain(exc.message), end=_line_end(), file=sys.stderr)
        return 1
    try:
        if handoff.mode == ACTIVATE_MODE:
            return _activation(ctx, handoff)
        if handoff.session is None:
            print(_("This program is started by gosocket-tui serve."), file=sys.stderr)
            return 2
        now = ctx.clock.now()
        session = replace(
            handoff.session,
            started_at=now,
            last_seen_at=now,
            key_fingerprint=handoff.key_fingerprint,
        )
        session = require_session(ctx, session)
        if not key_still_valid(ctx, session, handoff.key_fingerprint):
            print(_("Your key is no longer valid."), end=_line_end(), file=sys.stderr)
            return 1
        if handoff.mode == "exec":
            from gosocket_tui.cli.ssh_exec import run_remote_command

            return run_remote_command(ctx, session, handoff.argv)
        make_app(ctx, remote=True, signed_in=session).run()
    except GosocketError as exc:
        print(plain(exc.message), end=_line_end(), file=sys.stderr)
        return 1
    finally:
        ctx.close()
    return 0


def _activation(ctx: ServiceContext, handoff: Handoff) -> int:
    """Only the activation screen; a key that already logs someone in is told so at once.

    Exit status 0 when the supplier was registered (its key is now registered: it was not
    when the screen opened), else 1, however the screen was left: the server logs which.
    """
    from gosocket_tui.services.ssh_keys import key_registered, parse_public_key
    from gosocket_tui.tui.app import make_app
    from gosocket_tui.tui.presets import LIVE
    from gosocket_tui.tui.screens.activation import KeyActivation

    key = parse_public_key(handoff.public_key)  # the same checks as ``user key add``
    if key_registered(ctx, key.fingerprint):
        message = _(
            "This key is already registered. Connect with your username, "
            "or activate with another key."
        )
        print(message, end="\r\n")
        return 1
    app = make_app(
        ctx,
        # Nobody is logged in: this session does not take part in sending the outbox.
        preset=replace(LIVE, deliver_mail=False),
        remote=True,
        activation=KeyActivation(key.public_key, key.fingerprint, handoff.server_address),
    )
    app.run()
    return 0 if key_registered(ctx, key.fingerprint) else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
