"""Pilot helpers shared by the TUI tests."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot

KEY_NAMES = {"\r": "enter", "\t": "tab", " ": "space"}


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every worker (login, session check, audit) and the screen changes they cause."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def log_in(pilot: Pilot[None], username: str, password: str) -> None:
    """Type into the login form the way a user does and press Enter."""
    await pilot.pause()
    await pilot.press(*username, "enter", *password, "enter")
    await settle(pilot)


async def burst(pilot: Pilot[None], keys: list[str]) -> None:
    """Queue every key at once, as one read from the terminal delivers a paste or a password
    manager's typing (``pilot.press`` waits for the app to settle after each key).

    ``keys`` holds characters (``"\t"``, ``"\r"`` and ``" "`` included) or key names."""
    for key in keys:
        name = KEY_NAMES.get(key, key)
        char = key if len(key) == 1 else {"enter": "\r", "tab": "\t"}.get(key)
        pilot.app.post_message(events.Key(name, char))
    await settle(pilot)
