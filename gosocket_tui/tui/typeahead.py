"""Keys typed ahead land where they were meant: the forms' half of the rule.

A paste, a password manager or a slow SSH link delivers ``abc⇥def⏎`` in one read. Textual hands
each key to the widget focused when the key is dispatched, and resolves Tab or an Enter that
moves on only after the key went round the focused field: by then the keys behind it were
given to the same field (``Name  Proveedora Sur SACfacturas@sur.example``). The app binds Tab,
Shift+Tab and Enter with priority (``GosocketApp``), so the focus moves as the key arrives.

Tab always moves. Enter moves to the next field only in an Input marked with
:func:`next_on_enter`; elsewhere Enter does what the focused widget does (submit, press).

The screens' half: keys typed ahead of a screen that just opened wait for it
(:class:`HeldKeys`), so they reach its first field rather than whatever was focused first.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input

NEXT_ON_ENTER = "next-on-enter"
HOLD_KEYS_SECONDS = 2.0  # at most, keys typed ahead wait this long for a screen to open
HOLD_KEYS_POLL = 0.005


def next_on_enter(*fields: Input) -> None:
    """Make Enter in these fields move to the next field (not submit the form)."""
    for field in fields:
        field.add_class(NEXT_ON_ENTER)


def moves_on_enter(widget: object) -> bool:
    return isinstance(widget, Input) and widget.has_class(NEXT_ON_ENTER)


class HeldKeys:
    """The keys an app holds back while a screen that just opened sets itself up.

    ctrl+n and the Tax ID typed at once: the keys behind ctrl+n are already queued when
    the dialog opens, ahead of the dialog putting the focus in its first field, and
    would go to whatever Textual focused first. The first key that meets a screen other
    than the one the previous key went to is held, with every key behind it, until that
    screen is mounted; then they go again, one at a time and in order, behind the screen's
    own focus change. One at a time: keys that arrive meanwhile (a browser sends each key
    as its own message) wait behind the held ones instead of overtaking them, and a held
    key that opens another screen makes the rest wait for that one.
    """

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._pending: deque[events.Key] = deque()
        self._in_flight: events.Key | None = None  # the held key sent again, not yet back
        self._screen: Screen[Any] | None = None  # the screen the last key went to

    def hold(self, key: events.Key) -> bool:
        """Whether ``key`` is held (the app then does not dispatch it now)."""
        if key is self._in_flight:
            self._in_flight = None
            if self._pending:
                self._app.call_later(self._send_next)  # once this key has been handled
            return False
        screen = self._app.screen
        if not self._pending and self._in_flight is None and screen is self._screen:
            return False
        self._pending.append(key)
        if len(self._pending) == 1 and self._in_flight is None:
            self._app.run_worker(self._release(screen), group="typeahead")
        return True

    async def _release(self, screen: Screen[Any]) -> None:
        deadline = time.monotonic() + HOLD_KEYS_SECONDS
        while not screen.is_mounted and time.monotonic() < deadline:
            await asyncio.sleep(HOLD_KEYS_POLL)
        self._screen = screen
        self._send_next()

    def _send_next(self) -> None:
        """Send the oldest held key again, unless a held key opened another screen."""
        if not self._pending or self._in_flight is not None:
            return
        screen = self._app.screen
        if screen is not self._screen:
            self._app.run_worker(self._release(screen), group="typeahead")
            return
        key = self._pending.popleft()
        self._in_flight = events.Key(key.key, key.character)
        self._app.post_message(self._in_flight)
