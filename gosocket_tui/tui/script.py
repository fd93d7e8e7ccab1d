"""Replaying a tester's script: keys and screenshot points, headless (``demo --script``).

One directive a line; blank lines and lines starting with ``#`` are ignored:

``size 80x24``
    the terminal's size from here on (20x10 to 400x200);
``press KEY [KEY…]``
    keys by Textual's names: ``enter``, ``tab``, ``escape``, ``f2``, ``ctrl+p``, ``a``…;
``type TEXT``
    the rest of the line, typed one character at a time;
``wait-for SELECTOR``
    wait (at most 10 seconds) until a widget matching the CSS selector is on the screen;
``wait-text TEXT``
    wait (at most 10 seconds) until the text is painted on the screen;
``screenshot NAME``
    save the screen as ``NAME.svg`` in the screenshots folder (letters, digits, ``-``, ``_``).

Before each picture the app finishes its work (workers, pending repaints), so the same script
on the same data gives the same pictures. A bad line, or a wait that times out, is an error
naming the line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import events
from textual.css.query import InvalidQueryFormat
from textual.keys import _character_to_key
from textual.pilot import Pilot

from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _
from gosocket_tui.services.screenshots import ScreenshotFolder, ScreenshotRefused, check_shot_name

if TYPE_CHECKING:
    from gosocket_tui.tui.app import GosocketApp

WAIT_SECONDS = 10.0
WAIT_POLL = 0.02
STEADY_NOTICE_SECONDS = 24 * 3600.0
MAX_LINES = 10_000
MAX_LINE_LENGTH = 1_000
MIN_SIZE, MAX_SIZE = (20, 10), (400, 200)
VERBS = ("size", "press", "type", "wait-for", "wait-text", "screenshot")
_KEY = re.compile(r"(?:(?:ctrl|shift|alt|meta)\+)*(?:[a-z][a-z0-9_]*|[0-9]|[!-~])")
_SIZE = re.compile(r"(\d{1,3})x(\d{1,3})")


class ScriptError(UserError):
    """A script line that cannot be run; the message names the file and the line."""


@dataclass(frozen=True)
class Step:
    line: int
    verb: str
    argument: str


def parse_size(text: str) -> tuple[int, int] | None:
    """``80x24`` as (columns, rows) within the bounds, else None."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        return None
    width, height = int(match[1]), int(match[2])
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        return None
    return width, height


def _printable(text: str) -> bool:
    return text.isprintable()


def parse_script(text: str, source: str) -> list[Step]:
    """The steps of a script, or :class:`ScriptError` for its first bad line."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise ScriptError(_("{source}: more than {count} lines.", source=source, count=MAX_LINES))
    steps: list[Step] = []
    names: set[str] = set()
    for number, raw in enumerate(lines, start=1):

        def bad(message: str, number: int = number) -> ScriptError:
            return ScriptError(
                _("{source} line {line}: {message}", source=source, line=number, message=message)
            )

        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(raw) > MAX_LINE_LENGTH:
            raise bad(_("the line is longer than {count} characters.", count=MAX_LINE_LENGTH))
        if not _printable(line):
            raise bad(_("the line holds control characters."))
        verb, _space, argument = line.partition(" ")
        argument = argument.strip()
        if verb not in VERBS:
            raise bad(
                _(
                    "unknown directive {verb!r} (use one of: {verbs}).",
                    verb=verb[:40],
                    verbs=", ".join(VERBS),
                )
            )
        if not argument:
            raise bad(_("{verb} needs an argument.", verb=verb))
        if verb == "size" and parse_size(argument) is None:
            raise bad(
                _(
                    "{size!r} is not a size: COLUMNSxROWS, from {low} to {high}.",
                    size=argument[:40],
                    low="20x10",
                    high="400x200",
                )
            )
        if verb == "press":
            for key in argument.split():
                if not _KEY.fullmatch(key):
                    raise bad(_("{key!r} is not a key name.", key=key[:40]))
        if verb == "wait-for":
            _check_selector(argument, bad)
        if verb == "screenshot":
            try:
                name = check_shot_name(argument)
            except ScreenshotRefused as exc:
                raise bad(exc.message) from None
            if name in names:
                raise bad(_("the screenshot {name} is taken twice.", name=name))
            names.add(name)
            argument = name
        steps.append(Step(number, verb, argument))
    return steps


def _check_selector(selector: str, bad: Callable[[str], ScriptError]) -> None:
    from textual.css.parse import parse_selectors

    try:
        parse_selectors(selector)
    except Exception:  # Textual raises several kinds for a bad selector
        raise bad(_("{selector!r} is not a CSS selector.", selector=selector[:60])) from None


async def settle(pilot: Pilot[Any]) -> None:
    """Let the app finish what the last keys started: workers, then the repaints they cause."""
    app = pilot.app
    for _round in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def _type(pilot: Pilot[Any], text: str) -> None:
    """Queue the characters at once, as a fast typist's keys arrive (``pilot.press`` would
    wait for the app to go idle after each one); the app then handles them in order."""
    for char in text:
        name = char if char.isalnum() else _character_to_key(char)
        pilot.app.post_message(events.Key(name, char))
    await settle(pilot)


def _screen_text(pilot: Pilot[Any]) -> str:
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


async def _wait(pilot: Pilot[Any], condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        await pilot.pause(WAIT_POLL)
    return True


def _presence(pilot: Pilot[Any], selector: str) -> Callable[[], bool]:
    """Whether a widget matching ``selector`` is on the current screen."""

    def present() -> bool:
        try:
            return bool(pilot.app.screen.query(selector))
        except InvalidQueryFormat:
            return False

    return present


def _painted(pilot: Pilot[Any], text: str) -> Callable[[], bool]:
    """Whether ``text`` is painted on the current screen."""
    return lambda: text in _screen_text(pilot)


async def run_steps(
    pilot: Pilot[Any], steps: list[Step], folder: ScreenshotFolder, source: str
) -> list[Path]:
    """Run ``steps`` in the app ``pilot`` drives; returns the pictures saved, in order."""
    app = cast("GosocketApp", pilot.app)
    saved: list[Path] = []
    # A notice stays until the next picture, not for some seconds of the machine's time: a
    # slower run must not lose a notice a faster one showed.
    app.notice_timeout = STEADY_NOTICE_SECONDS
    await settle(pilot)
    for step in steps:
        if step.verb == "size":
            size = parse_size(step.argument)
            assert size is not None  # checked by parse_script
            await pilot.resize_terminal(*size)
        elif step.verb == "press":
            await pilot.press(*step.argument.split())
        elif step.verb == "type":
            await _type(pilot, step.argument)
        elif step.verb == "wait-for":
            if not await _wait(pilot, _presence(pilot, step.argument)):
                raise _timeout(source, step)
        elif step.verb == "wait-text":
            if not await _wait(pilot, _painted(pilot, step.argument)):
                raise _timeout(source, step)
        elif step.verb == "screenshot":
            await settle(pilot)
            saved.append(folder.save(pilot.app.export_screenshot(), step.argument))
            pilot.app.clear_notifications()
        await pilot.pause()
    await settle(pilot)
    return saved


def _timeout(source: str, step: Step) -> ScriptError:
    return ScriptError(
        _(
            "{source} line {line}: {verb} {argument} did not happen within {seconds} seconds.",
            source=source,
            line=step.line,
            verb=step.verb,
            argument=step.argument[:60],
            seconds=int(WAIT_SECONDS),
        )
    )
