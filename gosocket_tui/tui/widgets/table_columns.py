"""The columns of a :class:`~gosocket_tui.tui.widgets.paged_table.PagedTable` and how a line
of them is laid out: which columns fit a width, and each cell cut with "…" or padded to it.

Plain Rich segments, no widget: the table caches the layout per width and language, and the
lines per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from gosocket_tui.i18n import _

RowT = TypeVar("RowT")

COLUMN_GAP = 1

Spans = list[tuple[str, Style | None]]
"""A cell's content: pieces of text, each with an optional style over the row's."""


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column: an English ``header`` (translated when drawn) and a cell renderer.

    ``width`` 0 makes the column flexible (it takes what is left, at least ``min_width``).
    The drawn width is never less than the translated header. When the table is too narrow,
    columns with the highest ``drop`` are left out first (0: never dropped).
    """

    key: str
    header: str
    render: Callable[[RowT, int], Spans]
    width: int = 0
    min_width: int = 8
    max_width: int = 0
    weight: int = 1
    drop: int = 0
    align: Literal["left", "center", "right"] = "left"


def layout_columns(columns: Sequence[Column[RowT]], width: int) -> list[tuple[Column[RowT], int]]:
    """The columns that fit in ``width`` and their widths (headers in the current language)."""
    kept = list(columns)
    while True:
        widths = [max(c.width if c.width else c.min_width, cell_len(_(c.header))) for c in kept]
        used = sum(widths) + COLUMN_GAP * (len(kept) - 1)
        droppable = [c for c in kept if c.drop]
        if used <= width or not droppable:
            break
        kept.remove(max(droppable, key=lambda c: c.drop))
    spare = max(0, width - used)
    flex = [i for i, c in enumerate(kept) if not c.width]
    while spare > 0:
        open_ = [i for i in flex if not kept[i].max_width or widths[i] < kept[i].max_width]
        if not open_:
            break
        for i in open_:
            for _step in range(kept[i].weight):
                if spare and (not kept[i].max_width or widths[i] < kept[i].max_width):
                    widths[i] += 1
                    spare -= 1
    return list(zip(kept, widths, strict=True))


def cells_line(cells: Sequence[tuple[Spans, int, str]], width: int, style: Style) -> Strip:
    """One table line: each cell's spans fitted to its size and alignment, gaps between."""
    segments: list[Segment] = []
    for n, (spans, size, align) in enumerate(cells):
        if n:
            segments.append(Segment(" " * COLUMN_GAP, style))
        segments.extend(fit(spans, size, align, style))
    return finish(segments, width, style)


def finish(segments: list[Segment], width: int, style: Style) -> Strip:
    """``segments`` as a strip exactly ``width`` cells wide (padded or cropped)."""
    used = sum(segment.cell_length for segment in segments)
    if used < width:
        segments.append(Segment(" " * (width - used), style))
    elif used > width:
        return Strip(segments, used).crop(0, width)
    return Strip(segments, width)


def fit(spans: Spans, width: int, align: str, base: Style) -> list[Segment]:
    """``spans`` as segments exactly ``width`` cells wide: cut with "…" or padded."""
    pieces = [(plain_text, base + style if style else base) for plain_text, style in spans]
    total = sum(cell_len(text) for text, _style in pieces)
    if total > width:
        kept: list[tuple[str, Style]] = []
        room = max(0, width - 1)
        last_style = base
        for text, style in pieces:
            if room <= 0:
                break
            size = cell_len(text)
            if size > room:
                text = set_cell_size(text, room)
                size = room
            kept.append((text, style))
            room -= size
            last_style = style
        if width > 0:
            kept.append(("…", last_style))
        pieces = kept
        total = sum(cell_len(text) for text, _style in pieces)
    segments = [Segment(text, style) for text, style in pieces if text]
    pad = width - total
    if pad > 0:
        if align == "right":
            segments.insert(0, Segment(" " * pad, base))
        elif align == "center":
            segments.insert(0, Segment(" " * (pad // 2), base))
            segments.append(Segment(" " * (pad - pad // 2), base))
        else:
            segments.append(Segment(" " * pad, base))
    return segments
