"""Pilot helpers shared by the TUI tests."""

from __future__ import annotations

from textual.pilot import Pilot


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
