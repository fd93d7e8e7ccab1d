"""A table over keyset pages that stays as quick at a million rows as at ten.

``PagedTable`` never holds the whole result: it keeps a *window* of a few pages (at most
``WINDOW_PAGES`` × the page size, :mod:`~gosocket_tui.tui.widgets.table_window`) and draws only
the rows that fit on screen (:mod:`~gosocket_tui.tui.widgets.column_table`). The cursor moves
inside the window; when it comes within a screenful of an edge the next (or previous) page is
fetched and the far end of the window is dropped. Home loads the first page, End the last one
(a backward query without a cursor), so any row, the very last one included, is a key press or
a few away.

A subclass says what to show and how to fetch:

* :meth:`columns`: the :class:`~gosocket_tui.tui.widgets.table_columns.Column` list (header,
  width, a cell renderer);
* :meth:`fetch`: one page for the current session, called in a worker thread (services only,
  never the event loop); logged out, the table asks nothing and shows no rows;
* :meth:`row_key` / :meth:`row_id`: the keyset cursor of a row and its stable id;
* optionally :meth:`count` (the number of matching rows, fetched separately) and
  :meth:`row_style`.

Messages: :class:`RowsLoaded` after rows were applied, :class:`RowsPainted` once they were
drawn (the first ``render_lines`` after new rows: those lines go out in the screen update being
composed), with ``rows_loaded``/``rows_painted`` counting them (tests and the scale benchmark
wait on these); :class:`CountChanged`, :class:`CursorMoved`, :class:`ViewportChanged` and
:class:`LoadFailed`. A subclass's own messages derive from :class:`TableMessage`.

Pages and counts are read through :func:`~gosocket_tui.tui.workers.call_service` (a thread
worker; an expired session logs out); each answer is tagged with the generation it was asked
for, so an answer for a window or filter that was replaced meanwhile is dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _
from gosocket_tui.tui.host import host
from gosocket_tui.tui.widgets.table_window import (
    AroundRow,
    Direction,
    FirstPage,
    Key,
    LastPage,
    NextPage,
    PageData,
    Side,
    WindowedTable,
    WindowRequest,
)
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

RowT = TypeVar("RowT")

WINDOW_PAGES = 4
MIN_PAGE = 40
MAX_PAGE = 100
MAX_EDGE_PAGE = 1000  # the service's own maximum
COUNT_DELAY = 0.25  # seconds: the count starts once the rows are painted, or after this


class PagedTable(WindowedTable[RowT]):
    """A keyboard table over a keyset-paged listing (see the module text)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]
    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
        min-height: 3;
        background: $surface;
        color: $foreground;
        & > .paged-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .paged-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .paged-table--marker {
            color: $accent;
            text-style: bold;
        }
        & > .paged-table--message {
            color: $text-muted;
            text-style: italic;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .paged-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    # ------------------------------------------------------------------------ messages

    class TableMessage(Message):
        """A message about this table (``control``); subclasses' own messages derive from it."""

        def __init__(self, table: PagedTable[Any]) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> PagedTable[Any]:
            return self.table

    class RowsLoaded(TableMessage):
        """Rows were applied to the window (a new filter, a page, a jump)."""

    class RowsPainted(TableMessage):
        """The rows applied last are on screen (posted after the next refresh)."""

    class CountChanged(TableMessage):
        """The number of matching rows arrived (``table.total``)."""

    class CursorMoved(TableMessage):
        """The cursor is on another row (``table.cursor_row``, None when empty)."""

    class ViewportChanged(TableMessage):
        """The rows on screen changed (scrolled, resized, reloaded): ``shown_range()``."""

    class LoadFailed(TableMessage):
        def __init__(self, table: PagedTable[Any], text: str) -> None:
            super().__init__(table)
            self.text = text

    # --------------------------------------------------------------------- construction

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.ctx = ctx
        self.loaded = False  # a first answer arrived for the current filter
        self.fetching = False
        self._want = 0  # cursor movement waiting for a page
        self._edge_loading: Side | None = None
        self._generation = 0  # bumped by every load that replaces the window
        self._count_generation = 0  # bumped by every new filter
        self._last_cursor_id: int | None = None
        self._last_viewport: tuple[int | None, int, int, int] | None = None
        self._count_pending = False
        self._paint_pending = False
        self.rows_loaded = 0
        self.rows_painted = 0

    # ------------------------------------------------------------- what subclasses say

    def fetch(
        self, session: Session, key: Key | None, direction: Direction, limit: int, inclusive: bool
    ) -> PageData[RowT]:
        """One page for ``session`` (runs in a worker thread; never asked once logged out)."""
        raise NotImplementedError

    def count(self, session: Session) -> int | None:
        """How many rows match for ``session`` (runs in a worker thread); None when not
        counted."""
        return None

    @property
    def session(self) -> Session | None:
        """The app's current session (None once logged out)."""
        return host(self).session

    # -------------------------------------------------------------------- public state

    @property
    def page_limit(self) -> int:
        return min(MAX_PAGE, max(MIN_PAGE, self.visible_rows * 2))

    # ------------------------------------------------------------------------- loading

    def reload(self) -> None:
        """Start again from the first page (a new filter): rows, then the count."""
        self.loaded = False
        self._load(FirstPage())
        self.recount(after_rows=True)

    def recount(self, *, after_rows: bool = False) -> None:
        """Count the matching rows again; ``after_rows`` waits for the page being loaded
        (the rows matter more than the count, and both would share the CPU)."""
        self._count_generation += 1
        self.total = None
        if after_rows and self.fetching:
            self._count_pending = True
        else:
            self._count_pending = False
            self._start_count()

    def go_first(self) -> None:
        if self.loaded and not self._has_before and self._rows:
            self._set_cursor(0)
            return
        self._load(FirstPage())

    def go_last(self) -> None:
        if self.loaded and not self._has_after and self._rows:
            self._set_cursor(len(self._rows) - 1)
            return
        self._load(LastPage())

    def load_around(self, request: AroundRow) -> None:
        """Replace the window with the rows around ``request.key`` (the cursor goes to it)."""
        self._load(request)

    def refresh_rows(self) -> None:
        """Reload the window in place: the cursor row stays where it is on screen."""
        row = self.cursor_row
        if row is None:
            self.reload()
            return
        self._load(AroundRow(self.row_key(row), self.row_id(row), self._cursor - self._top))
        self.recount()

    def _load(self, request: WindowRequest) -> None:
        self._generation += 1
        self._want = 0
        self._edge_loading = None
        self.fetching = True
        self._run_fetch(request, self.page_limit)

    def _load_edge(self, side: Side) -> None:
        if self._edge_loading is not None or self.fetching or not self._rows:
            return
        edge = self._rows[-1] if side == "after" else self._rows[0]
        self._edge_loading = side
        # Keys held down (PageDown × 50) ask for rows far beyond the edge: read them in one
        # bigger page rather than one round trip per page.
        limit = min(MAX_EDGE_PAGE, self.page_limit + abs(self._want))
        self._run_fetch(NextPage(side, self.row_key(edge)), limit)

    def _run_fetch(self, request: WindowRequest | NextPage, limit: int) -> None:
        generation = self._generation
        call_service(
            self,
            lambda: self._fetch_request(request, limit),
            lambda page: self._loaded(request, generation, page),
            lambda error: self._failed(generation, error),
            group="edge" if isinstance(request, NextPage) else "page",
        )

    def _fetch_request(self, request: WindowRequest | NextPage, limit: int) -> PageData[RowT]:
        """The page ``request`` asks for (runs in a worker thread); none once logged out."""
        session = self.session
        if session is None:
            return PageData([], False, False)
        if isinstance(request, FirstPage):
            return self.fetch(session, None, "forward", limit, False)
        if isinstance(request, LastPage):
            return self.fetch(session, None, "backward", limit, False)
        if isinstance(request, NextPage):
            direction: Direction = "forward" if request.side == "after" else "backward"
            return self.fetch(session, request.key, direction, limit, False)
        return self.fetch_around(session, request, limit)

    def fetch_around(self, session: Session, request: AroundRow, limit: int) -> PageData[RowT]:
        """The rows before ``request.key`` (enough to fill the screen above it) and from it."""
        above = request.screen_line
        if above is None:
            above = self.visible_rows // 3
        after = self.fetch(session, request.key, "forward", limit, True)
        before = self.fetch(session, request.key, "backward", max(above, 1), False)
        return PageData(before.rows + after.rows, before.has_before, after.has_after)

    def _count_rows(self) -> int | None:
        """:meth:`count` (runs in a worker thread); none once logged out."""
        session = self.session
        return None if session is None else self.count(session)

    def _start_count(self) -> None:
        generation = self._count_generation
        call_service(
            self,
            self._count_rows,
            lambda total: self._counted(generation, total),
            lambda error: self._count_failed(generation, error),
            group="count",
        )

    # ------------------------------------------------------------------ applying pages

    def _loaded(
        self, request: WindowRequest | NextPage, generation: int, page: PageData[RowT]
    ) -> None:
        if generation != self._generation:
            return  # an answer for a window that was replaced meanwhile
        rows = list(page.rows)
        if isinstance(request, NextPage):
            self._edge_loading = None
            self._extend(request.side, rows, page)
            if self._want:
                want, self._want = self._want, 0
                self._move_to(self._cursor + want)  # may ask for the next page at once
            self._trim(self.page_limit * WINDOW_PAGES, self._edge_loading)
        else:
            self.fetching = False
            self.loaded = True
            self._replace(request, rows, page)
            self._want = 0
        self._after_rows_changed()
        if self._count_pending and not self.fetching:
            # The count waits for the rows to be on screen (or a moment, if the table is
            # hidden): on a big set it is the slower query, and both would share the CPU.
            self.set_timer(COUNT_DELAY, self._start_pending_count)

    def _start_pending_count(self) -> None:
        if self._count_pending and not self.fetching:
            self._count_pending = False
            self._start_count()

    def _after_rows_changed(self) -> None:
        self._lines.clear()
        self.rows_loaded += 1
        self.refresh()
        self.post_message(self.RowsLoaded(self))
        self._announce_cursor()
        self._paint_pending = True
        self._prefetch()

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if self._paint_pending:
            # These lines go to the terminal as soon as this screen update is composed.
            self._paint_pending = False
            self.rows_painted += 1
            painted = self.RowsPainted(self)
            # From the table itself (this runs while the screen composes an update, which
            # would be the sender): so it bubbles up to the app like the table's other news.
            painted.set_sender(self)
            self.post_message(painted)
            if self._count_pending:
                self.call_later(self._start_pending_count)
        return lines

    def _counted(self, generation: int, total: int | None) -> None:
        if generation != self._count_generation or total is None:
            return
        self.total = total
        self.refresh()
        self.post_message(self.CountChanged(self))
        self._announce_viewport()

    def _failed(self, generation: int, error: GosocketError) -> None:
        if generation != self._generation:
            return
        self.fetching = False
        self._edge_loading = None
        self._count_pending = False
        self.post_message(self.LoadFailed(self, error.message))

    def _count_failed(self, generation: int, error: GosocketError) -> None:
        if generation == self._count_generation:
            self.post_message(self.LoadFailed(self, error.message))

    # -------------------------------------------------------------------------- cursor

    def cursor_set(self) -> None:
        self._announce_cursor()
        self._prefetch()

    def _announce_cursor(self) -> None:
        row = self.cursor_row
        current = self.row_id(row) if row is not None else None
        if current != self._last_cursor_id:
            self._last_cursor_id = current
            self.post_message(self.CursorMoved(self))
        self._announce_viewport()

    def _announce_viewport(self) -> None:
        viewport = (self.first_index, self._top, len(self._rows), self.visible_rows)
        if viewport != self._last_viewport:
            self._last_viewport = viewport
            self.post_message(self.ViewportChanged(self))

    def _move_to(self, target: int) -> None:
        """Move the cursor to window index ``target``, loading pages beyond the edges."""
        if not self._rows:
            return
        if target < 0 and self._has_before:
            self._want = target
            self._set_cursor(0)
            self._load_edge("before")
            return
        if target >= len(self._rows) and self._has_after:
            self._want = target - (len(self._rows) - 1)
            self._set_cursor(len(self._rows) - 1)
            self._load_edge("after")
            return
        self._want = 0
        self._set_cursor(target)

    def _prefetch(self) -> None:
        """Fetch the next page before the cursor gets there, so Down never waits."""
        if self.fetching or self._edge_loading is not None or not self._rows:
            return
        margin = self.visible_rows
        if self._has_after and len(self._rows) - 1 - self._cursor < margin:
            self._load_edge("after")
        elif self._has_before and self._cursor < margin:
            self._load_edge("before")

    def action_cursor(self, delta: int) -> None:
        if self.fetching:
            return
        self._move_to(self._cursor + self._want + delta)

    def action_page(self, direction: int) -> None:
        if self.fetching:
            return
        step = max(1, self.visible_rows - 1) * direction
        self._top = max(0, self._top + step)
        self._move_to(self._cursor + self._want + step)

    def action_first(self) -> None:
        self.go_first()

    def action_last(self) -> None:
        self.go_last()

    def on_resize(self) -> None:
        self._column_layout = None
        self._clamp_top()
        self._announce_viewport()
        self._prefetch()

    # ------------------------------------------------------------------------ drawing

    def empty_text(self) -> str:
        """What the table says when it has no rows (paragraphs separated by newlines)."""
        return _("Loading…") if not self.loaded else _("Nothing to show.")
