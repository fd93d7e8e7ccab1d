"""Text from users or files, made harmless for a terminal: no control or bidi characters.

Supplier names, emails and file cells may hold ESC sequences; printed as they are, a terminal
would act on them. ``plain`` shows each such character as ``�``. The TUI builds on it in
``tui/safe.py``; the CLI writes all its output through ``SafeStream`` and its JSON with
``json_text``; filters clean their input with ``storable``.
"""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

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


def json_text(value: object, *, indent: int | None = None) -> str:
    """``json.dumps`` that keeps accents readable but writes every control and bidi character
    as a ``\\uXXXX`` escape: the data stays exact and the terminal sees no control."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeStream:
    """A text stream that passes newlines and tabs but shows every other control character as
    ``�``; a carriage return is kept only at either end of a write (a progress line redraws
    itself with it). The CLI writes its stdout and stderr through it (``cli.main``), so no
    message, table, CSV or echoed input can carry terminal control.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("SafeStream writes text only")
        body = text.lstrip("\r")
        head = text[: len(text) - len(body)]
        inner = body.rstrip("\r")
        tail = body[len(inner) :]
        return self._stream.write(head + plain(inner, keep_newlines=True) + tail)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # no way around the filter (click writes bytes to a buffer)
            raise AttributeError(name)
        return getattr(self._stream, name)
