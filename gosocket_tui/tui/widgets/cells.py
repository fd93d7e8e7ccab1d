"""What the TUI's own tables (activity, sink mail, delivery log) do alike with their rows."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

from rich.text import Text

T = TypeVar("T")


def fit(value: Text, width: int) -> Text:
    """``value`` cut to ``width`` cells with an ellipsis (the original is left as it is)."""
    value = value.copy()
    value.truncate(width, overflow="ellipsis")
    return value


def kept_row(keys: Sequence[Hashable], current: Hashable | None, cursor_row: int) -> int:
    """The row for the cursor after new rows arrive: on the row of ``current`` (the key it
    was on), unless it was on the newest (row 0) or nowhere: then on the newest one, so it
    follows what just arrived."""
    if current is None or cursor_row == 0 or current not in keys:
        return 0
    return list(keys).index(current)


def row_item(items: Sequence[T], row: int) -> T | None:
    """The item shown at ``row``, or None (no rows, or a cursor outside them)."""
    return items[row] if 0 <= row < len(items) else None
