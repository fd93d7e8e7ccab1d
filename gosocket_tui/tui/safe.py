"""Show text that came from users or files without letting the terminal or markup act on it.

Supplier names, emails and file contents may hold ESC sequences or Rich markup like ``[b]``.
``plain`` replaces control characters with a visible placeholder, and ``text`` wraps the result
in a Rich ``Text`` (never parsed as markup). Use one of them for every value from the database.
"""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain(value: object, *, keep_newlines: bool = False) -> str:
    """The string with control and bidi-override characters shown as ``�``."""
    text = "" if value is None else str(value)
    if not keep_newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def text(value: object, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A Rich ``Text`` of ``plain(value)``: safe for widgets that would parse markup."""
    return Text(plain(value, keep_newlines=keep_newlines), style=style)
