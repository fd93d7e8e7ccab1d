"""``demo --script FILE``: a tester's keys and screenshot points, replayed headless.

Each run starts from a fresh demo database in a temporary folder, with the clock stopped at
one instant, seeded codes and a mail sink of its own, at a fixed terminal size: the same
script gives the same pictures, byte for byte, on every run (``tui/script.py`` has the
format). The pictures go to the screenshots folder and their paths are printed, one a line.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from gosocket_tui.clock import FixedClock, SeededRandom
from gosocket_tui.config import Config
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _
from gosocket_tui.services.context import open_context
from gosocket_tui.services.demo import demo_info, load_fixture, seed_demo, start_demo_sink
from gosocket_tui.services.screenshots import ScreenshotFolder

SCRIPT_MAX_BYTES = 1_000_000


def read_script(path: Path) -> str:
    """The script's text: a regular file of UTF-8 text, not huge."""
    try:
        with path.open("rb") as fh:
            data = fh.read(SCRIPT_MAX_BYTES + 1)
    except OSError as exc:
        raise UserError(
            _("Cannot read {path}: {reason}", path=str(path), reason=exc.strerror or exc)
        ) from None
    if len(data) > SCRIPT_MAX_BYTES:
        raise UserError(_("{path} is too big for a script.", path=str(path)))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(_("{path} is not UTF-8 text.", path=str(path))) from None


def run_demo_script(
    config: Config, script: Path, size: tuple[int, int], screenshots: ScreenshotFolder
) -> list[Path]:
    """Parse ``script``, then replay it on a fresh demo; returns the pictures saved."""
    from gosocket_tui.tui.app import make_app
    from gosocket_tui.tui.presets import Preset
    from gosocket_tui.tui.script import parse_script, run_steps

    steps = parse_script(read_script(script), script.name)
    screenshots.ensure()  # a bad folder is refused before the demo is built
    clock = FixedClock()
    with tempfile.TemporaryDirectory(prefix="gosocket-script-") as folder:
        # The script may come from someone else (a report's steps): its keys reach files only
        # in an exchange folder of this run, as a remote session's do, never a path of the
        # machine (a dialog's free-form path would let it write or show any of the user's
        # files in a picture).
        base = replace(
            config,
            db="sqlite:///" + str(Path(folder) / "demo.db"),
            exchange_dir=str(Path(folder) / "exchange"),
        )
        sink, delivery = start_demo_sink(base, maildir=Path(folder) / "maildir", clock=clock.now)
        try:
            ctx = open_context(delivery, clock=clock, rng=SeededRandom())
            try:
                fixture = load_fixture()
                seed_demo(ctx, fixture)
                app = make_app(
                    ctx,
                    demo=demo_info(fixture, sink.maildir),
                    # Steady pictures: no animation, no blinking cursor; mail still leaves at
                    # once (an invitation reaches the Mailbox as in the live demo).
                    preset=Preset(animations=False, cursor_blink=False, deliver_mail=True),
                    remote=True,
                    screenshots=screenshots.folder,
                )
                saved: list[Path] = []
                failure: list[BaseException] = []

                async def auto_pilot(pilot: Any) -> None:
                    try:
                        saved.extend(await run_steps(pilot, steps, screenshots, script.name))
                    except BaseException as exc:  # raised again once the app has ended
                        failure.append(exc)
                    finally:
                        pilot.app.exit()

                asyncio.run(_run(app, size, auto_pilot))
                if failure:
                    raise failure[0]
                return saved
            finally:
                ctx.close()
        finally:
            sink.stop()


async def _run(app: Any, size: tuple[int, int], auto_pilot: Any) -> None:
    await app.run_async(headless=True, size=size, auto_pilot=auto_pilot)


def echo_saved(saved: list[Path]) -> None:
    for path in saved:
        click.echo(str(path))
