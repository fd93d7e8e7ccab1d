"""How the app runs apart from its data: live for people, steady for tests and pictures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """How the app runs apart from its data: the live defaults, or a steady picture.

    ``animations`` and ``cursor_blink`` off (with a ``FixedClock`` in the context) make every
    screen render the same way each time; ``deliver_mail`` off leaves the outbox alone (no
    background delivery), so a test delivers when it chooses.
    """

    animations: bool = True
    cursor_blink: bool = True
    deliver_mail: bool = True


LIVE = Preset()
"""The CLI, the demo and the SSH sessions."""
SNAPSHOT = Preset(animations=False, cursor_blink=False, deliver_mail=False)
"""Tests and snapshot pictures: no animation, a steady cursor, no background delivery."""
