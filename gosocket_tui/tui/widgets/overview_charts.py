"""The Overview's charts, drawn with Rich text: bars sized to the width the widget gets.

Each chart draws itself at paint time from its current size (``render``), so a picture never
shows bars sized for a width the widget had before its last layout.

Two series are told apart by their glyph as well as their colour (``█`` invited, ``▒``
activated, named in a legend line), so they stay readable under ``NO_COLOR`` and on a
monochrome terminal. Bars of both series share one scale, so their lengths compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from gosocket_tui.i18n import _, format_decimal, format_int
from gosocket_tui.services.overview import WeekCount

INVITED_GLYPH = "█"
ACTIVATED_GLYPH = "▒"
SHARE_GLYPH = "■"


def bar_cells(value: float, maximum: float, width: int) -> int:
    """Cells of a bar for ``value`` on a scale where ``maximum`` fills ``width``; anything
    above zero gets at least one cell, so a small count never looks like none."""
    if value <= 0 or maximum <= 0 or width <= 0:
        return 0
    return max(1, min(width, round(width * value / maximum)))


@dataclass(frozen=True)
class ShareRow:
    label: str
    count: int
    percent: float


class ShareBars(Widget):
    """States with their count, share of all suppliers, and a bar of that share."""

    DEFAULT_CSS: ClassVar[str] = "ShareBars { height: auto; }"

    def __init__(self, *, id: str | None = None, style: str = "") -> None:
        super().__init__(id=id)
        self.rows: list[ShareRow] = []
        self.bar_style = style

    def show(self, rows: Sequence[ShareRow]) -> None:
        self.rows = list(rows)
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.rows)

    def render(self) -> Text:
        return self.draw(self.size.width)

    def draw(self, width: int) -> Text:
        label_width = max((len(r.label) for r in self.rows), default=0)
        counts = [format_int(r.count) for r in self.rows]
        count_width = max((len(c) for c in counts), default=0)
        room = width - label_width - count_width - 10
        out = Text(no_wrap=True, overflow="ellipsis")
        for index, (row, count) in enumerate(zip(self.rows, counts, strict=True)):
            if index:
                out.append("\n")
            share = format_decimal(row.percent) + "%"
            out.append(f"{row.label:<{label_width}} {count:>{count_width}} {share:>6} ")
            out.append(SHARE_GLYPH * bar_cells(row.percent, 100.0, room), self.bar_style)
        return out


class WeeklyChart(Widget):
    """One line per week: its Monday, the invitations sent (``█``) and the activations
    (``▒``), each with its number; a legend line first."""

    DEFAULT_CSS: ClassVar[str] = "WeeklyChart { height: auto; }"
    INVITED_STYLE: ClassVar[str] = "bold dodger_blue1"
    ACTIVATED_STYLE: ClassVar[str] = "bold green3"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.weeks: list[WeekCount] = []

    def show(self, weeks: Sequence[WeekCount]) -> None:
        self.weeks = list(weeks)
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1 + len(self.weeks)  # the legend, then a line a week

    def render(self) -> Text:
        return self.draw(self.size.width)

    def draw(self, width: int) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(INVITED_GLYPH * 2 + " ", self.INVITED_STYLE)
        out.append(_("Invitations sent") + "   ")
        out.append(ACTIVATED_GLYPH * 2 + " ", self.ACTIVATED_STYLE)
        out.append(_("Activations"))
        numbers = [format_int(n) for w in self.weeks for n in (w.invited, w.activated)]
        number_width = max((len(n) for n in numbers), default=1)
        label_width = 6  # "03-02 "
        room = max(2, (width - label_width - 2 * (number_width + 2)) // 2)
        top = max((max(w.invited, w.activated) for w in self.weeks), default=0)
        for week in self.weeks:
            out.append("\n" + week.start.strftime("%m-%d") + " ")
            for value, glyph, style in (
                (week.invited, INVITED_GLYPH, self.INVITED_STYLE),
                (week.activated, ACTIVATED_GLYPH, self.ACTIVATED_STYLE),
            ):
                cells = bar_cells(value, top, room)
                out.append(glyph * cells, style)
                out.append(" " * (room - cells) + f" {format_int(value):>{number_width}} ")
        return out
