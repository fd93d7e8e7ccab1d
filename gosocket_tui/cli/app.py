"""Commands that start the full-screen app: the default command and ``demo``."""

from __future__ import annotations

import sys

import click

from gosocket_tui.cli.base import CliState, pass_state, root
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _


def require_terminal() -> None:
    """Refuse to start the full-screen app without a terminal, before anything is opened.

    Without one (``ssh host cmd``, ``ssh -T``, scp/sftp sessions, ``</dev/null``, a pipe) the
    app could neither read keys nor draw: Textual's input thread spun at 100% CPU forever with
    the database open. Keys come from stdin; the screen is drawn on stdout's terminal (Textual
    writes to stderr, so both must be the terminal).
    """
    streams = (sys.stdin, sys.stdout, sys.stderr)
    if not all(stream is not None and stream.isatty() for stream in streams):
        raise UserError(
            _(
                "The full-screen app needs a terminal: connect with ssh -t, "
                "or run a command (gosocket-tui --help)."
            )
        )


def run_app(state: CliState) -> None:
    """Start the app on the configured database."""
    from gosocket_tui.tui.app import make_app

    state.config()  # the language of the refusal
    require_terminal()
    app = make_app(state.services())
    app.run()


@root.command("demo")
@click.option("--fresh", is_flag=True, help="Recreate the demo database from the fixtures.")
@pass_state
def demo(state: CliState, fresh: bool) -> None:
    """Start the app on a demo database with sample companies, users and suppliers.

    Invitation emails go to a built-in mail server on this computer (nothing leaves it); read
    them in the app's Mailbox.
    """
    from gosocket_tui.services.demo import demo_db_url, prepare_demo, start_demo_sink
    from gosocket_tui.tui.app import make_app

    config = state.config()
    require_terminal()
    if not state.flags.get("db"):
        config = state.config(db=demo_db_url())
    try:
        sink, config = start_demo_sink(config, fresh=fresh)
    except OSError as exc:
        raise UserError(_("Cannot start the demo's mail server: {reason}", reason=exc)) from None
    try:
        ctx, info = prepare_demo(config, fresh=fresh, maildir=sink.maildir)
        try:
            make_app(ctx, demo=info).run()
        finally:
            ctx.close()
    finally:
        sink.stop()
