"""``demo``: the full-screen app on a demo database, with a local mail server.

The app on the configured database is the root command itself (``cli/base.py``).
"""

from __future__ import annotations

import click

from gosocket_tui.cli.base import CliState, pass_state, require_terminal, root
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _


@root.command("demo")
@click.option("--fresh", is_flag=True, help="Recreate the demo database from the fixtures.")
@click.option(
    "--tour", is_flag=True, help="Open the guided tour of the help article's steps (trainers)."
)
@pass_state
def demo(state: CliState, fresh: bool, tour: bool) -> None:
    """Start the app on a demo database with sample companies, users and suppliers.

    Invitation emails go to a built-in mail server on this computer (nothing leaves it); read
    them in the app's Mailbox.
    """
    # Late, for startup speed: other commands never load Textual or the demo's fixtures.
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
            make_app(ctx, demo=info, tour=tour).run()
        finally:
            ctx.close()
    finally:
        sink.stop()
