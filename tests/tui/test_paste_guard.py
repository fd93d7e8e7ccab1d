"""A bracketed paste stays a paste: an ESC inside it never starts a key sequence.

Textual's parser reads an ESC inside a paste as the start of a sequence and, when the
sequence matches nothing, hands its characters to the app as key presses: a cell copied
from a hostile spreadsheet (``ESC ] … BEL`` then ``Tab`` and ``Enter``) would press buttons.
The driver's guard drops such an ESC before the parser sees it, as terminals that filter
pasted controls do, and lets the paste's own end marker through, however the bytes are split.
"""

from __future__ import annotations

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from gosocket_tui.tui.driver import PasteGuard

START, END = "\x1b[200~", "\x1b[201~"
HOSTILE = "Tax ID\tName\r76.543.210-3\tOtro\x1b]0;x\x07\to@example.com\t0\r"


def parse(chunks: list[str], *, guarded: bool = True) -> list[events.Event]:
    parser = XTermParser()
    guard = PasteGuard()
    found: list[events.Event] = []
    for chunk in chunks:
        found.extend(parser.feed(guard.feed(chunk) if guarded else chunk))
    found.extend(parser.tick())
    return found


def test_without_the_guard_a_pasted_escape_becomes_key_presses() -> None:
    """What the guard is for: Textual alone turns the rest of the cell into keys."""
    found = parse([START + HOSTILE + END], guarded=False)
    assert any(isinstance(event, events.Key) for event in found)


@pytest.mark.parametrize("split", [None, *range(1, len(START + HOSTILE + END))])
def test_a_pasted_escape_never_becomes_a_key(split: int | None) -> None:
    data = START + HOSTILE + END
    chunks = [data] if split is None else [data[:split], data[split:]]
    found = parse(chunks)
    assert not [event for event in found if isinstance(event, events.Key)]
    (paste,) = [event for event in found if isinstance(event, events.Paste)]
    assert paste.text == HOSTILE.replace("\x1b", "")


def test_keys_around_a_paste_are_still_keys() -> None:
    found = parse(["a", START + "x\x1b" + END, "\x1b[A", "b"])
    keys = [event.key for event in found if isinstance(event, events.Key)]
    assert keys == ["a", "up", "b"]
    (paste,) = [event for event in found if isinstance(event, events.Paste)]
    assert paste.text == "x"


def test_a_lone_escape_outside_a_paste_is_not_held() -> None:
    """The Escape key must not wait for the next read."""
    guard = PasteGuard()
    assert guard.feed("\x1b") == "\x1b"
    assert guard.feed("\x1b[20") == "\x1b[20"
