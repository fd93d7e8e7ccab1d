"""Text from users or files, made harmless for a terminal: no control or bidi characters.

Supplier names, emails and file cells may hold ESC sequences; printed as they are, a terminal
would act on them. ``plain`` shows each such character as ``�``. The TUI builds on it in
``tui/safe.py``; the CLI uses it for its table output.
"""

from __future__ import annotations

import re

# What no database column holds: NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain(value: object, *, keep_newlines: bool = False) -> str:
    """The string with control and bidi-override characters shown as ``�``."""
    text = "" if value is None else str(value)
    if not keep_newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def storable(value: str) -> str:
    """The string with NUL and lone surrogates (from a non-UTF-8 command line) shown as ``�``.

    A search for such a character can only find nothing; replaced, it still finds nothing
    instead of failing in the database driver.
    """
    return _UNSTORABLE.sub("\N{REPLACEMENT CHARACTER}", value)
