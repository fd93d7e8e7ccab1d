"""A table over keyset pages that stays as quick at a million rows as at ten.

``PagedTable`` never holds the whole result: it keeps a *window* of a few pages (at most
``WINDOW_PAGES`` × the page size) and renders, through Textual's line API, only the rows that
fit on screen. The cursor moves inside the window; when it comes within a screenful of an edge
the next (or previous) page is fetched in a thread worker and the far end of the window is
dropped. Home loads the first page, End the last one (a backward query without a cursor), so
any row, the very last one included, is a key press or a few away.

A subclass says what to show and how to fetch:

* :meth:`columns`: the :class:`Column` list (header, width, a cell renderer);
* :meth:`fetch`: one page, called in a worker thread (services only, never the event loop);
* :meth:`row_key` / :meth:`row_id`: the keyset cursor of a row and its stable id;
* optionally :meth:`count` (the number of matching rows, fetched separately) and
  :meth:`row_style`.

Rows have no absolute position in a keyset listing; the table knows where its window starts
(``first_index``) only when that can be deduced: after Home, at the top of the list, or at
the end of the list once the total is known.

Messages: :class:`RowsLoaded` after rows were applied, :class:`RowsPainted` once they were
drawn (the first ``render_lines`` after new rows: those lines go out in the screen update being
composed), with ``rows_loaded``/``rows_painted`` counting them (tests and the scale benchmark
wait on these); :class:`CountChanged`, :class:`CursorMoved`, :class:`ViewportChanged` and
:class:`LoadFailed`.

Workers are thread workers (the services block on the database); each closes its thread's
connection when done. Results come back as private messages tagged with a generation, so an
answer for a window or filter that was replaced meanwhile is dropped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import get_current_worker

from gosocket_tui.errors import GosocketError, SessionExpired
from gosocket_tui.i18n import _, get_language
from gosocket_tui.tui.session import end_session

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

RowT = TypeVar("RowT")
Key = tuple[str, int]
Direction = Literal["forward", "backward"]

WINDOW_PAGES = 4
MIN_PAGE = 40
MAX_PAGE = 100
MAX_EDGE_PAGE = 1000  # the service's own maximum
COLUMN_GAP = 1
LINE_CACHE = 400  # rendered lines kept (a few screens' worth)
COUNT_DELAY = 0.25  # seconds: the count starts once the rows are painted, or after this

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


@dataclass(frozen=True)
class PageData(Generic[RowT]):
    rows: list[RowT]
    has_before: bool
    has_after: bool


@dataclass
class LoadRequest:
    """What a load asks for and how its result replaces or extends the window."""

    kind: Literal["first", "last", "around", "after", "before"]
    generation: int
    key: Key | None = None
    target_id: int | None = None
    screen_line: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class PagedTable(Widget, Generic[RowT], can_focus=True):
    """A keyboard table over a keyset-paged listing (see the module text)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "paged-table--header",
        "paged-table--cursor",
        "paged-table--marker",
        "paged-table--message",
    }
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

    class _TableMessage(Message):
        def __init__(self, table: PagedTable[Any]) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> PagedTable[Any]:
            return self.table

    class RowsLoaded(_TableMessage):
        """Rows were applied to the window (a new filter, a page, a jump)."""

    class RowsPainted(_TableMessage):
        """The rows applied last are on screen (posted after the next refresh)."""

    class CountChanged(_TableMessage):
        """The number of matching rows arrived (``table.total``)."""

    class CursorMoved(_TableMessage):
        """The cursor is on another row (``table.cursor_row``, None when empty)."""

    class ViewportChanged(_TableMessage):
        """The rows on screen changed (scrolled, resized, reloaded): ``shown_range()``."""

    class LoadFailed(_TableMessage):
        def __init__(self, table: PagedTable[Any], text: str) -> None:
            super().__init__(table)
            self.text = text

    class _Loaded(Message, bubble=False):
        def __init__(self, request: LoadRequest, page: PageData[Any]) -> None:
            super().__init__()
            self.request = request
            self.page = page

    class _Counted(Message, bubble=False):
        def __init__(self, generation: int, total: int) -> None:
            super().__init__()
            self.generation = generation
            self.total = total

    class _Failed(Message, bubble=False):
        def __init__(self, generation: int, error: GosocketError, *, count: bool = False) -> None:
            super().__init__()
            self.generation = generation
            self.error = error
            self.count = count

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
        self._rows: list[RowT] = []
        self._has_before = False
        self._has_after = False
        self._cursor = 0
        self._top = 0
        self._start: int | None = None  # absolute index of the window's first row
        self._at_end = False  # the window ends with the last row of the listing
        self.total: int | None = None
        self.loaded = False  # a first answer arrived for the current filter
        self.fetching = False
        self._want = 0  # cursor movement waiting for a page
        self._edge_loading: Literal["after", "before"] | None = None
        self._generation = 0  # bumped by every load that replaces the window
        self._count_generation = 0  # bumped by every new filter
        self._last_cursor_id: int | None = None
        self._last_viewport: tuple[int | None, int, int, int] | None = None
        self._column_layout: tuple[int, str, list[tuple[Column[RowT], int]]] | None = None
        self._count_pending = False
        self._paint_pending = False
        self.rows_loaded = 0
        self.rows_painted = 0
        self._styles: dict[tuple[str, bool], Style] = {}
        self._lines: dict[tuple[int, bool, bool, int, bool], Strip] = {}

    # ------------------------------------------------------------- what subclasses say

    def columns(self) -> Sequence[Column[RowT]]:
        raise NotImplementedError

    def fetch(
        self, key: Key | None, direction: Direction, limit: int, inclusive: bool
    ) -> PageData[RowT]:
        """One page (runs in a worker thread)."""
        raise NotImplementedError

    def count(self) -> int | None:
        """How many rows match (runs in a worker thread); None when not counted."""
        return None

    def row_key(self, row: RowT) -> Key:
        raise NotImplementedError

    def row_id(self, row: RowT) -> int:
        raise NotImplementedError

    def row_style(self, row: RowT) -> Style | None:
        """A style under the whole row (e.g. dimmed); cell styles draw over it."""
        return None

    def marker(self, row: RowT) -> bool:
        """Whether the row shows the marker in the first column."""
        return False

    @property
    def session(self) -> Session | None:
        """The app's current session (None once logged out)."""
        current: Session | None = getattr(self.app, "session", None)
        return current

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
    def has_before(self) -> bool:
        return self._has_before

    @property
    def has_after(self) -> bool:
        return self._has_after

    @property
    def visible_rows(self) -> int:
        return max(1, self.size.height - 1)

    @property
    def page_limit(self) -> int:
        return min(MAX_PAGE, max(MIN_PAGE, self.visible_rows * 2))

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

    # ------------------------------------------------------------------------- loading

    def reload(self) -> None:
        """Start again from the first page (a new filter): rows, then the count."""
        self.loaded = False
        self._load(LoadRequest("first", 0))
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
        self._load(LoadRequest("first", 0))

    def go_last(self) -> None:
        if self.loaded and not self._has_after and self._rows:
            self._set_cursor(len(self._rows) - 1)
            return
        self._load(LoadRequest("last", 0))

    def load_around(
        self, key: Key, *, target_id: int | None = None, screen_line: int | None = None
    ) -> None:
        """Replace the window with the rows around ``key`` (the cursor goes to it)."""
        self._load(LoadRequest("around", 0, key=key, target_id=target_id, screen_line=screen_line))

    def refresh_rows(self) -> None:
        """Reload the window in place: the cursor row stays where it is on screen."""
        row = self.cursor_row
        if row is None:
            self.reload()
            return
        self._load(
            LoadRequest(
                "around",
                0,
                key=self.row_key(row),
                target_id=self.row_id(row),
                screen_line=self._cursor - self._top,
            )
        )
        self.recount()

    def _load(self, request: LoadRequest) -> None:
        self._generation += 1
        request.generation = self._generation
        self._want = 0
        self._edge_loading = None
        self.fetching = True
        self._run_fetch(request, self.page_limit)

    def _load_edge(self, side: Literal["after", "before"]) -> None:
        if self._edge_loading is not None or self.fetching or not self._rows:
            return
        edge = self._rows[-1] if side == "after" else self._rows[0]
        self._edge_loading = side
        # Keys held down (PageDown × 50) ask for rows far beyond the edge: read them in one
        # bigger page rather than one round trip per page.
        limit = min(MAX_EDGE_PAGE, self.page_limit + abs(self._want))
        self._run_fetch(LoadRequest(side, self._generation, key=self.row_key(edge)), limit)

    def _run_fetch(self, request: LoadRequest, limit: int) -> None:
        group = "edge" if request.kind in ("after", "before") else "page"
        self.run_worker(
            lambda: self._fetch_in_thread(request, limit),
            thread=True,
            exclusive=True,
            group=f"{group}-{id(self)}",
            name=f"{type(self).__name__}.{request.kind}",
        )

    def _fetch_in_thread(self, request: LoadRequest, limit: int) -> None:
        worker = get_current_worker()
        message: Message
        try:
            page = self._fetch_request(request, limit)
            message = self._Loaded(request, page)
        except GosocketError as exc:
            message = self._Failed(request.generation, exc)
        finally:
            self.ctx.close()  # this worker thread's connection only
        if not worker.is_cancelled:
            self.post_message(message)

    def _fetch_request(self, request: LoadRequest, limit: int) -> PageData[RowT]:
        if request.kind == "first":
            return self.fetch(None, "forward", limit, False)
        if request.kind == "last":
            return self.fetch(None, "backward", limit, False)
        if request.kind == "after":
            return self.fetch(request.key, "forward", limit, False)
        if request.kind == "before":
            return self.fetch(request.key, "backward", limit, False)
        return self.fetch_around(request, limit)

    def fetch_around(self, request: LoadRequest, limit: int) -> PageData[RowT]:
        """The rows before ``request.key`` (enough to fill the screen above it) and from it."""
        assert request.key is not None
        above = request.screen_line
        if above is None:
            above = self.visible_rows // 3
        after = self.fetch(request.key, "forward", limit, True)
        before = self.fetch(request.key, "backward", max(above, 1), False)
        return PageData(before.rows + after.rows, before.has_before, after.has_after)

    def _start_count(self) -> None:
        generation = self._count_generation
        self.run_worker(
            lambda: self._count_in_thread(generation),
            thread=True,
            exclusive=True,
            group=f"count-{id(self)}",
            name=f"{type(self).__name__}.count",
        )

    def _count_in_thread(self, generation: int) -> None:
        worker = get_current_worker()
        message: Message | None = None
        try:
            total = self.count()
            if total is not None:
                message = self._Counted(generation, total)
        except GosocketError as exc:
            message = self._Failed(generation, exc, count=True)
        finally:
            self.ctx.close()
        if message is not None and not worker.is_cancelled:
            self.post_message(message)

    # ------------------------------------------------------------------ applying pages

    @on(_Loaded)
    def _loaded(self, message: PagedTable._Loaded) -> None:
        request, page = message.request, message.page
        if request.generation != self._generation:
            return  # an answer for a window that was replaced meanwhile
        rows = list(page.rows)
        if request.kind in ("after", "before"):
            self._edge_loading = None
            self._extend(request.kind, rows, page)
        else:
            self.fetching = False
            self.loaded = True
            self._replace(request, rows, page)
            self.window_replaced(request)
        self._after_rows_changed()
        if self._count_pending and not self.fetching:
            # The count waits for the rows to be on screen (or a moment, if the table is
            # hidden): on a big set it is the slower query, and both would share the CPU.
            self.set_timer(COUNT_DELAY, self._start_pending_count)

    def _start_pending_count(self) -> None:
        if self._count_pending and not self.fetching:
            self._count_pending = False
            self._start_count()

    def window_replaced(self, request: LoadRequest) -> None:
        """Called after a load replaced the window (subclasses react to ``request.extra``)."""

    def _replace(self, request: LoadRequest, rows: list[RowT], page: PageData[RowT]) -> None:
        self._rows = rows
        self._has_before = page.has_before
        self._has_after = page.has_after
        self._at_end = not page.has_after
        self._start = 0 if not page.has_before else None
        cursor = 0
        if request.kind == "last":
            cursor = len(rows) - 1
        elif request.kind == "around":
            cursor = self._index_of(request, rows)
        self._cursor = max(0, cursor)
        line = request.screen_line
        if request.kind == "last":
            line = self.visible_rows - 1
        elif line is None:
            line = self.visible_rows // 3 if request.kind == "around" else 0
        self._top = max(0, self._cursor - max(0, line))
        self._clamp_top()
        self._want = 0

    def _index_of(self, request: LoadRequest, rows: list[RowT]) -> int:
        if request.target_id is not None:
            for index, row in enumerate(rows):
                if self.row_id(row) == request.target_id:
                    return index
        if request.key is not None:
            for index, row in enumerate(rows):
                if self.row_key(row) >= request.key:
                    return index
        return max(0, len(rows) - 1)

    def _extend(self, side: str, rows: list[RowT], page: PageData[RowT]) -> None:
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
        if self._want:
            want, self._want = self._want, 0
            self._move_to(self._cursor + want)  # may ask for the next page at once
        self._trim()

    def _trim(self) -> None:
        """Keep at most ``WINDOW_PAGES`` pages, centred on the screen; never cut the side
        where a page is being loaded (its rows would not join up)."""
        limit = self.page_limit * WINDOW_PAGES
        if len(self._rows) <= limit:
            return
        first = self._top + self.visible_rows // 2 - limit // 2
        first = max(0, min(first, len(self._rows) - limit, self._top))
        if self._edge_loading == "before":
            first = 0
        if first:
            del self._rows[:first]
            self._cursor -= first
            self._top -= first
            if self._start is not None:
                self._start += first
            self._has_before = True
        keep = max(limit, self._top + self.visible_rows)
        if len(self._rows) > keep and self._edge_loading != "after":
            del self._rows[keep:]
            self._has_after = True
            self._at_end = False

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
            self.post_message(self.RowsPainted(self))
            if self._count_pending:
                self.call_later(self._start_pending_count)
        return lines

    @on(_Counted)
    def _counted(self, message: PagedTable._Counted) -> None:
        if message.generation != self._count_generation:
            return
        self.total = message.total
        self.refresh()
        self.post_message(self.CountChanged(self))
        self._announce_viewport()

    @on(_Failed)
    async def _failed(self, message: PagedTable._Failed) -> None:
        if message.count:
            if message.generation != self._count_generation:
                return
        elif message.generation != self._generation:
            return
        else:
            self.fetching = False
            self._edge_loading = None
            self._count_pending = False
        if isinstance(message.error, SessionExpired):
            await end_session(self, message.error.message)
            return
        self.post_message(self.LoadFailed(self, message.error.message))

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

    def move_cursor_to_id(self, row_id: int) -> bool:
        """Put the cursor on the row with this id when it is in the window."""
        for index, row in enumerate(self._rows):
            if self.row_id(row) == row_id:
                self._set_cursor(index)
                return True
        return False

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = self._top + offset.y - 1
        if index < len(self._rows):
            self._set_cursor(index)

    def on_resize(self) -> None:
        self._column_layout = None
        self._clamp_top()
        self._announce_viewport()
        self._prefetch()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------------ drawing

    def empty_text(self) -> str:
        """What the table says when it has no rows (paragraphs separated by newlines)."""
        return _("Loading…") if not self.loaded else _("Nothing to show.")

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
        columns = list(self.columns())
        while True:
            widths = [
                max(c.width if c.width else c.min_width, cell_len(_(c.header))) for c in columns
            ]
            used = sum(widths) + COLUMN_GAP * (len(columns) - 1)
            droppable = [c for c in columns if c.drop]
            if used <= width or not droppable:
                break
            columns.remove(max(droppable, key=lambda c: c.drop))
        spare = max(0, width - used)
        flex = [i for i, c in enumerate(columns) if not c.width]
        while spare > 0:
            open_ = [
                i for i in flex if not columns[i].max_width or widths[i] < columns[i].max_width
            ]
            if not open_:
                break
            for i in open_:
                for _step in range(columns[i].weight):
                    if spare and (not columns[i].max_width or widths[i] < columns[i].max_width):
                        widths[i] += 1
                        spare -= 1
        layout = list(zip(columns, widths, strict=True))
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

    def _forget_lines(self) -> None:
        self._lines.clear()

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
        segments: list[Segment] = []
        for n, (column, size) in enumerate(self._layout(width)):
            if n:
                segments.append(Segment(" " * COLUMN_GAP, style))
            segments.extend(_fit([(_(column.header), None)], size, column.align, style))
        return self._finish(segments, width, style)

    def _row_line(self, row: RowT, is_cursor: bool, width: int) -> Strip:
        style = self._style("paged-table--cursor" if is_cursor else "")
        extra = self.row_style(row)
        if extra is not None:
            style = style + extra
        segments: list[Segment] = []
        for n, (column, size) in enumerate(self._layout(width)):
            if n:
                segments.append(Segment(" " * COLUMN_GAP, style))
            segments.extend(_fit(column.render(row, size), size, column.align, style))
        return self._finish(segments, width, style)

    def _line(self, spans: Spans, width: int, style: Style) -> Strip:
        return self._finish(_fit(spans, width, "left", style), width, style)

    @staticmethod
    def _finish(segments: list[Segment], width: int, style: Style) -> Strip:
        used = sum(segment.cell_length for segment in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        elif used > width:
            return Strip(segments, used).crop(0, width)
        return Strip(segments, width)

    def marker_style(self) -> Style:
        """The marker's colour (a partial style: it goes over the row's)."""
        return self.get_component_rich_style("paged-table--marker", partial=True)


def _fit(spans: Spans, width: int, align: str, base: Style) -> list[Segment]:
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
