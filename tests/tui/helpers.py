"""Pilot helpers shared by the TUI tests: building the app, waiting for it, typing into it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot

from gosocket_tui.config import with_overrides
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.demo import DemoInfo
from gosocket_tui.tui.app import GosocketApp, make_app
from gosocket_tui.tui.presets import SNAPSHOT

KEY_NAMES = {"\r": "enter", "\t": "tab", " ": "space"}
WAIT_SECONDS = 30.0
WAIT_POLL = 0.01

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


def build_app(
    ctx: ServiceContext,
    *,
    demo: DemoInfo | None = None,
    maildir: Path | None = None,
    lang: str | None = None,
    deliver_mail: bool = False,
    remote: bool = False,
    tour: bool = False,
    **config: Any,
) -> GosocketApp:
    """The app from the one factory with the ``SNAPSHOT`` preset, in ``lang`` (or the
    context's), with a sink's ``maildir`` to show and any other settings changed
    (``smtp_port`` …). ``deliver_mail`` turns the background delivery back on for the tests
    of that delivery."""
    changes: dict[str, Any] = dict(config)
    if maildir is not None:
        changes["maildir"] = str(maildir)
    if lang is not None and lang != ctx.config.lang:
        changes["lang"] = lang
    if changes:
        ctx = dataclasses.replace(ctx, config=with_overrides(ctx.config, **changes))
    preset = dataclasses.replace(SNAPSHOT, deliver_mail=deliver_mail)
    return make_app(ctx, demo=demo, preset=preset, remote=remote, tour=tour)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for every worker (login, session check, audit) and the screen changes they cause."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = WAIT_SECONDS
) -> None:
    """Let the app run until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(WAIT_POLL)


async def log_in(pilot: Pilot[Any], username: str, password: str) -> None:
    """Type into the login form the way a user does and press Enter."""
    await pilot.pause()
    await pilot.press(*username, "enter", *password, "enter")
    await settle(pilot)


async def burst(pilot: Pilot[Any], keys: list[str]) -> None:
    """Queue every key at once, as one read from the terminal delivers a paste or a password
    manager's typing (``pilot.press`` waits for the app to settle after each key).

    ``keys`` holds characters (``"\t"``, ``"\r"`` and ``" "`` included) or key names."""
    for key in keys:
        name = KEY_NAMES.get(key, key)
        char = key if len(key) == 1 else {"enter": "\r", "tab": "\t"}.get(key)
        pilot.app.post_message(events.Key(name, char))
    await settle(pilot)


def notices(app: GosocketApp) -> list[str]:
    """The text of every notification the app showed, oldest first."""
    return [notice.message for notice in app.notices]
