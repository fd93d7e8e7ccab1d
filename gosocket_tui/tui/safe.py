"""Show text that came from users or files without letting the terminal or markup act on it.

Supplier names, emails and file contents may hold ESC sequences or Rich markup like ``[b]``.
``plain`` replaces control characters with a visible placeholder, and ``text`` wraps the result
in a Rich ``Text`` (never parsed as markup). Use one of them for every value from the database.
"""

from __future__ import annotations

from rich.text import Text

from gosocket_tui.safe_text import plain

__all__ = ["plain", "text"]


def text(value: object, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A Rich ``Text`` of ``plain(value)``: safe for widgets that would parse markup."""
    return Text(plain(value, keep_newlines=keep_newlines), style=style)
