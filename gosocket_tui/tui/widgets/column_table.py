"""Rows drawn in columns through Textual's line API: a header line, the rows on screen with
the cursor row highlighted, and a message when there are none.

:class:`ColumnTable` holds the rows it is given (``_rows``), the cursor over them and the first
row on screen (``_top``). It draws only the lines on screen, each cached until its row, the
cursor, the width or the focus change, so a table is as quick to draw at a million rows as at
ten. Where the rows come from is a subclass's business
(:class:`~gosocket_tui.tui.widgets.paged_table.PagedTable` reads keyset pages).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from gosocket_tui.i18n import _, get_language
from gosocket_tui.tui.widgets.table_columns import Column, Spans, cells_line, layout_columns

RowT = TypeVar("RowT")

LINE_CACHE = 400  # rendered lines kept (a few screens' worth)


class ColumnTable(Widget, Generic[RowT], can_focus=True):
    """Rows in columns with a cursor (see the module text); subclasses fill ``_rows``."""

    # Named for the PagedTable, whose CSS styles them.
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "paged-table--header",
        "paged-table--cursor",
        "paged-table--marker",
        "paged-table--message",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._rows: list[RowT] = []
        self._cursor = 0
        self._top = 0
        self._column_layout: tuple[int, str, list[tuple[Column[RowT], int]]] | None = None
        self._styles: dict[tuple[str, bool], Style] = {}
        self._lines: dict[tuple[int, bool, bool, int, bool], Strip] = {}

    # ------------------------------------------------------------- what subclasses say

    def columns(self) -> Sequence[Column[RowT]]:
        raise NotImplementedError

    def row_id(self, row: RowT) -> int:
        raise NotImplementedError

    def row_style(self, row: RowT) -> Style | None:
        """A style under the whole row (e.g. dimmed); cell styles draw over it."""
        return None

    def marker(self, row: RowT) -> bool:
        """Whether the row shows the marker in the first column."""
        return False

    def empty_text(self) -> str:
        """What the table says when it has no rows (paragraphs separated by newlines)."""
        raise NotImplementedError

    def cursor_set(self) -> None:
        """Called after the cursor was put on a row (by a key, a click or a load)."""

    # -------------------------------------------------------------------- public state

    @property
    def rows(self) -> list[RowT]:
        """The rows of the window (a few pages; never the whole listing)."""
        return list(self._rows)

    @property
    def cursor_row(self) -> RowT | None:
        return self._rows[self._cursor] if self._rows else None

    @property
    def cursor_index(self) -> int:
        """The cursor's index inside the window."""
        return self._cursor

    @property
    def visible_rows(self) -> int:
        return max(1, self.size.height - 1)

    # -------------------------------------------------------------------------- cursor

    def _clamp_top(self) -> None:
        visible = self.visible_rows
        if self._cursor < self._top:
            self._top = self._cursor
        elif self._cursor >= self._top + visible:
            self._top = self._cursor - visible + 1
        self._top = max(0, min(self._top, max(0, len(self._rows) - visible)))
        if self._cursor < self._top:
            self._top = self._cursor

    def _set_cursor(self, index: int) -> None:
        if not self._rows:
            return
        old_cursor, old_top = self._cursor, self._top
        self._cursor = max(0, min(index, len(self._rows) - 1))
        self._clamp_top()
        if self._top != old_top:
            self.refresh()
        elif self._cursor != old_cursor:
            width = self.size.width
            self.refresh(
                Region(0, old_cursor - self._top + 1, width, 1),
                Region(0, self._cursor - self._top + 1, width, 1),
            )
        self.cursor_set()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = self._top + offset.y - 1
        if index < len(self._rows):
            self._set_cursor(index)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------------ drawing

    def _empty_lines(self, width: int) -> list[str]:
        lines: list[str] = []
        for paragraph in self.empty_text().split("\n"):
            lines.extend(textwrap.wrap(paragraph, max(10, width - 2)) or [""])
        return [" " + line for line in lines]

    def _layout(self, width: int) -> list[tuple[Column[RowT], int]]:
        """The columns that fit in ``width`` and their widths."""
        language = get_language()
        if self._column_layout and self._column_layout[:2] == (width, language):
            return self._column_layout[2]
        layout = layout_columns(self.columns(), width)
        self._column_layout = (width, language, layout)
        self._lines.clear()
        return layout

    def _style(self, name: str) -> Style:
        """A component style over the widget's own (cached until styles or focus change)."""
        key = (name, self.has_focus)
        style = self._styles.get(key)
        if style is None:
            base = self.rich_style
            style = base if not name else base + self.get_component_rich_style(name)
            self._styles[key] = style
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}
        self._lines = {}

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header_line(width)
        index = self._top + y - 1
        if not self._rows:
            lines = self._empty_lines(width)
            if 0 <= y - 2 < len(lines):
                style = self._style("paged-table--message")
                return self._line([(lines[y - 2], None)], width, style)
            return Strip.blank(width, self._style(""))
        if index >= len(self._rows):
            return Strip.blank(width, self._style(""))
        row = self._rows[index]
        is_cursor = index == self._cursor
        key = (self.row_id(row), is_cursor, self.marker(row), width, self.has_focus)
        strip = self._lines.get(key)
        if strip is None:
            if len(self._lines) > LINE_CACHE:
                self._lines.clear()
            strip = self._row_line(row, is_cursor, width)
            self._lines[key] = strip
        return strip

    def _header_line(self, width: int) -> Strip:
        style = self._style("paged-table--header")
        cells: list[tuple[Spans, int, str]] = [
            ([(_(c.header), None)], size, c.align) for c, size in self._layout(width)
        ]
        return cells_line(cells, width, style)

    def _row_line(self, row: RowT, is_cursor: bool, width: int) -> Strip:
        style = self._style("paged-table--cursor" if is_cursor else "")
        extra = self.row_style(row)
        if extra is not None:
            style = style + extra
        cells = [(c.render(row, size), size, c.align) for c, size in self._layout(width)]
        return cells_line(cells, width, style)

    def _line(self, spans: Spans, width: int, style: Style) -> Strip:
        return cells_line([(spans, width, "left")], width, style)

    def marker_style(self) -> Style:
        """The marker's colour (a partial style: it goes over the row's)."""
        return self.get_component_rich_style("paged-table--marker", partial=True)
