"""Where rows pasted from a spreadsheet land on the bulk screen.

A terminal hands a paste to the app as one ``Paste`` event (bracketed paste), sent to the
focused widget; it bubbles up to the screen, which reads the rows. Two widgets make sure it
gets there: :class:`PasteArea`, a focusable line that says a paste is welcome, and
:class:`PathInput`, the file field, which keeps a pasted path but lets pasted rows (text with
a tab or a line break inside, which no path holds) go on to the screen instead of typing their
first line into the field.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Static


def looks_like_rows(text: str) -> bool:
    """Spreadsheet cells, not a path: a tab, or a line break before the end."""
    return "\t" in text or "\n" in text.strip("\r\n") or "\r" in text.strip("\r\n")


class PasteArea(Static, can_focus=True):
    """A line to paste rows into; it handles nothing itself, so the paste reaches the screen."""

    DEFAULT_CSS = """
    PasteArea {
        width: 1fr;
        height: 1;
        background: $boost;
        color: $text-muted;
        &:focus {
            background: $block-cursor-blurred-background;
            color: $text;
            text-style: bold;
        }
    }
    """


class PathInput(Input):
    """The file field: a pasted path is typed in, pasted rows go on to the screen."""

    def on_paste(self, event: events.Paste) -> None:
        if looks_like_rows(event.text):
            event.prevent_default()  # not Input's own paste, and the event bubbles on
