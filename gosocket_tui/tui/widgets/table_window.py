"""Which part of a long keyset listing a table holds: its *window*, and how a page changes it.

A keyset listing has no row numbers: :class:`WindowedTable` knows whether rows exist before and
after its window, and where the window starts (``first_index``) only when that can be deduced:
after Home, at the top of the list, or at the end of the list once the total is known. A page
replaces the window (:class:`FirstPage`, :class:`LastPage`, :class:`AroundRow`) or extends it
at one edge (:class:`NextPage`); :meth:`WindowedTable._trim` then drops the far end, so the
window stays a few pages long whatever the listing's size. Loading the pages is
:class:`~gosocket_tui.tui.widgets.paged_table.PagedTable`'s part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from gosocket_tui.tui.widgets.column_table import ColumnTable

RowT = TypeVar("RowT")
Key = tuple[str, int]
Direction = Literal["forward", "backward"]
Side = Literal["after", "before"]


@dataclass(frozen=True)
class PageData(Generic[RowT]):
    rows: list[RowT]
    has_before: bool
    has_after: bool


@dataclass(frozen=True)
class FirstPage:
    """The first page of the listing (a new filter, Home)."""


@dataclass(frozen=True)
class LastPage:
    """The last page of the listing (End): the first page read backwards."""


@dataclass(frozen=True)
class AroundRow:
    """The rows around ``key``: the cursor goes to ``target_id`` (else to the first row from
    ``key``), ``screen_line`` lines below the top (else a third of the screen down)."""

    key: Key
    target_id: int | None = None
    screen_line: int | None = None


@dataclass(frozen=True)
class NextPage:
    """More rows past one edge of the window, from the key of the row at that edge."""

    side: Side
    key: Key


WindowRequest = FirstPage | LastPage | AroundRow
"""A load that replaces the window (a :class:`NextPage` extends it)."""


class WindowedTable(ColumnTable[RowT]):
    """A :class:`ColumnTable` whose rows are a window of a longer keyset listing."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._has_before = False
        self._has_after = False
        self._start: int | None = None  # absolute index of the window's first row
        self._at_end = False  # the window ends with the last row of the listing
        self.total: int | None = None  # rows in the whole listing, once counted

    def row_key(self, row: RowT) -> Key:
        """The keyset cursor of a row (its sort value and id)."""
        raise NotImplementedError

    @property
    def has_before(self) -> bool:
        return self._has_before

    @property
    def has_after(self) -> bool:
        return self._has_after

    @property
    def first_index(self) -> int | None:
        """Absolute index (0-based) of the window's first row, when it can be known."""
        if not self._has_before:
            return 0
        if self._start is not None:
            return self._start
        if self._at_end and self.total is not None:
            return max(0, self.total - len(self._rows))
        return None

    def shown_range(self) -> tuple[int, int] | None:
        """1-based first and last row on screen, when the position is known."""
        first = self.first_index
        if first is None or not self._rows:
            return None
        end = min(len(self._rows), self._top + self.visible_rows)
        return first + self._top + 1, first + end

    def _replace(self, request: WindowRequest, rows: list[RowT], page: PageData[RowT]) -> None:
        """``rows`` become the window; the cursor goes where ``request`` asked."""
        self._rows = rows
        self._has_before = page.has_before
        self._has_after = page.has_after
        self._at_end = not page.has_after
        self._start = 0 if not page.has_before else None
        cursor, line = 0, 0
        if isinstance(request, LastPage):
            cursor, line = len(rows) - 1, self.visible_rows - 1
        elif isinstance(request, AroundRow):
            cursor = self._index_of(request, rows)
            wanted = request.screen_line
            line = self.visible_rows // 3 if wanted is None else wanted
        self._cursor = max(0, cursor)
        self._top = max(0, self._cursor - max(0, line))
        self._clamp_top()

    def _index_of(self, request: AroundRow, rows: list[RowT]) -> int:
        if request.target_id is not None:
            for index, row in enumerate(rows):
                if self.row_id(row) == request.target_id:
                    return index
        for index, row in enumerate(rows):
            if self.row_key(row) >= request.key:
                return index
        return max(0, len(rows) - 1)

    def _extend(self, side: Side, rows: list[RowT], page: PageData[RowT]) -> None:
        """Add a page at one edge; the cursor stays on its row."""
        if side == "after":
            self._rows.extend(rows)
            self._has_after = page.has_after
            self._at_end = not page.has_after
        else:
            self._rows[:0] = rows
            self._has_before = page.has_before
            self._cursor += len(rows)
            self._top += len(rows)
            if self._start is not None:
                self._start = max(0, self._start - len(rows))
            if not page.has_before:
                self._start = 0

    def _trim(self, limit: int, loading: Side | None) -> None:
        """Keep at most ``limit`` rows, centred on the screen; never cut the side ``loading``
        a page (its rows would not join up)."""
        if len(self._rows) <= limit:
            return
        first = self._top + self.visible_rows // 2 - limit // 2
        first = max(0, min(first, len(self._rows) - limit, self._top))
        if loading == "before":
            first = 0
        if first:
            del self._rows[:first]
            self._cursor -= first
            self._top -= first
            if self._start is not None:
                self._start += first
            self._has_before = True
        keep = max(limit, self._top + self.visible_rows)
        if len(self._rows) > keep and loading != "after":
            del self._rows[keep:]
            self._has_after = True
            self._at_end = False
