"""``demo``: the full-screen app on a demo database, with a local mail server.

The app on the configured database is the root command itself (``cli/base.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gosocket_tui.cli.base import CliState, pass_state, require_terminal, root, screenshots_dir
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _


class SizeType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """``COLUMNSxROWS`` for the headless screen of ``--script``."""

    name = "COLUMNSxROWS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from gosocket_tui.tui.script import parse_size

        if isinstance(value, tuple):
            return value
        size = parse_size(str(value))
        if size is None:
            self.fail(
                _("{value!r} is not a size: COLUMNSxROWS, from 20x10 to 400x200.", value=value),
                param,
                ctx,
            )
        return size


@root.command("demo")
@click.option("--fresh", is_flag=True, help="Recreate the demo database from the fixtures.")
@click.option(
    "--tour", is_flag=True, help="Open the guided tour of the help article's steps (trainers)."
)
@click.option(
    "--screenshots",
    metavar="DIR",
    callback=screenshots_dir,
    help="Folder for screenshots (F12, --script); default: in the user data folder.",
)
@click.option(
    "--script",
    "script",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Replay the keys and screenshot points of FILE headless, on a fresh demo.",
)
@click.option(
    "--size",
    type=SizeType(),
    default="80x24",
    show_default=True,
    help="The screen size of --script.",
)
@click.option("--web", is_flag=True, help="Serve the demo to browsers: a fresh demo per tab.")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="The address of --web (default 127.0.0.1:8000; another address prints a warning).",
)
@pass_state
def demo(
    state: CliState,
    fresh: bool,
    tour: bool,
    screenshots: Path | None,
    script: Path | None,
    size: tuple[int, int],
    web: bool,
    listen: str | None,
) -> None:
    """Start the app on a demo database with sample companies, users and suppliers.

    Invitation emails go to a built-in mail server on this computer (nothing leaves it); read
    them in the app's Mailbox. F12 saves a screenshot.
    """
    # Late, for startup speed: other commands never load Textual or the demo's fixtures.
    from gosocket_tui.services.demo import demo_db_url, prepare_demo, start_demo_sink
    from gosocket_tui.services.screenshots import ScreenshotFolder, default_screenshots_dir
    from gosocket_tui.tui.app import make_app

    config = state.config()
    folder = screenshots or state.screenshots
    if listen is not None and not web:
        raise click.UsageError(_("--listen goes with --web."))
    if tour and (web or script is not None):
        raise click.UsageError(
            _("--tour opens the demo with its tour in this terminal (in a browser: the palette).")
        )
    if web:
        if script is not None:
            raise click.UsageError(_("--web and --script do not go together."))
        from gosocket_tui.cli.demo_web import serve_demo

        serve_demo(config, listen, state.config_path)  # a bad --listen: before anything starts
        return
    if script is not None:
        from gosocket_tui.cli.demo_script import echo_saved, run_demo_script

        shots = ScreenshotFolder(folder or default_screenshots_dir())
        echo_saved(run_demo_script(config, script, size, shots))
        return
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
            make_app(ctx, demo=info, tour=tour, screenshots=folder).run()
        finally:
            ctx.close()
    finally:
        sink.stop()
