"""The Activity view's table: audit events, newest first, sized to the width it gets.

Every value from the database (user, action, target, detail) is shown through
:func:`gosocket_tui.tui.safe.text`, never parsed as markup. Times are stored as naive UTC and
shown in the local time zone (or the one given to :func:`local_time`).

The column widths are worked out by :func:`allocate_widths` from the width the table has and
the longest values loaded so far: time and outcome keep their width, user, action and target
shrink (longest first, down to a minimum, with an ellipsis), and the detail column is dropped
when it would be narrower than :data:`DETAIL_MIN` (at 80 columns). The highlighted event is
always shown in full below the table by the view, so nothing is lost to truncation.

Moving down (↓, PageDown, End) from the last row posts :class:`ActivityTable.LoadMore` while
the service said there are older events; the view fetches the next page by cursor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from gosocket_tui.i18n import _
from gosocket_tui.tui.safe import plain, text
from gosocket_tui.tui.widgets.cells import fit, row_item

if TYPE_CHECKING:
    from gosocket_tui.services.activity import AuditRow

COLUMNS: tuple[tuple[str, str], ...] = (
    ("time", "Time"),
    ("user", "User"),
    ("action", "Action"),
    ("target", "Target"),
    ("outcome", "Outcome"),
    ("detail", "Detail"),
)
"""(column key, English header) in display order."""

OUTCOMES: Mapping[str, str] = {
    "ok": "ok",
    "refused": "refused",
    "failed": "failed",
    "locked": "locked",
}
"""Outcome stored by the services → English label (translated when shown)."""

OUTCOME_STYLES: Mapping[str, str] = {
    "refused": "bold dark_orange",
    "failed": "bold red",
    "locked": "bold red",
}

PADDING = 2  # DataTable's cell padding: one cell on each side of every column
MIN_WIDTHS: Mapping[str, int] = {"user": 6, "action": 10, "target": 10}
MAX_WIDTHS: Mapping[str, int] = {"user": 16, "action": 26, "target": 32}
DETAIL_MIN = 12
TIME_SHORT = 16  # 2026-03-02 12:00
TIME_LONG = 19  # 2026-03-02 12:00:05
TIME_LONG_FROM = 96  # table width from which the seconds are shown


def local_time(at: datetime, tz: tzinfo | None = None) -> datetime:
    """A stored naive-UTC time in ``tz`` (the local zone when None)."""
    return at.replace(tzinfo=UTC).astimezone(tz)


def event_detail(event: AuditRow, tz: tzinfo | None = None) -> Text:
    """An event in full, for under the table: time to the second with its zone, user and
    action; then target and detail. The outcome is left out: the table always shows it in full.
    """
    when = local_time(event.at, tz)
    line = Text()
    line.append(when.strftime("%Y-%m-%d %H:%M:%S "))
    line.append(plain(when.tzname() or ""), "dim")
    line.append("  ")
    line.append_text(text(event.user, "bold"))
    line.append("  ")
    line.append_text(text(event.action, "bold"))
    line.append("\n")
    line.append(_("Target") + ": ", "dim")
    line.append_text(text(event.target or "—"))
    if event.detail:
        line.append("  ")
        line.append(_("Detail") + ": ", "dim")
        line.append_text(text(event.detail))
    return line


def outcome_label(outcome: str) -> str:
    """The outcome in the current language (unknown outcomes as stored, made safe)."""
    label = OUTCOMES.get(outcome)
    return _(label) if label is not None else plain(outcome)


def outcome_text(outcome: str) -> Text:
    return text(outcome_label(outcome), OUTCOME_STYLES.get(outcome, ""))


def _shrink(wanted: dict[str, int], floor: Mapping[str, int], budget: int) -> dict[str, int]:
    """Take cells from the widest columns (never below their floor) until they fit."""
    widths = dict(wanted)
    while sum(widths.values()) > budget:
        shrinkable = [k for k, w in widths.items() if w > floor[k]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda k: widths[k])
        widths[widest] -= 1
    return widths


def allocate_widths(
    available: int, natural: Mapping[str, int], headers: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Column widths (content cells, without padding) for a table ``available`` cells wide.

    ``natural`` holds the longest value (or header) of each column, ``headers`` the length of
    each header (never cut, even when a column shrinks below its usual minimum). The result has
    no ``detail`` key when the detail column does not fit.
    """
    headers = headers or {}
    time_width = TIME_LONG if available >= TIME_LONG_FROM else TIME_SHORT
    fixed = {"time": max(time_width, natural.get("time", 0)), "outcome": natural["outcome"]}
    flexible = {k: max(1, min(natural[k], MAX_WIDTHS[k])) for k in ("user", "action", "target")}
    floor = {k: min(max(MIN_WIDTHS[k], headers.get(k, 0)), w) for k, w in flexible.items()}
    base = sum(fixed.values()) + PADDING * len(fixed)
    # With the detail column: everything it does not need to leave to the others is its own.
    budget = available - base - PADDING * (len(flexible) + 1)
    detail_min = max(DETAIL_MIN, headers.get("detail", 0))
    if budget - detail_min >= sum(floor.values()):
        widths = _shrink(flexible, floor, budget - detail_min)
        detail = budget - sum(widths.values())
        return {**fixed, **widths, "detail": detail}
    budget = available - base - PADDING * len(flexible)
    widths = _shrink(flexible, floor, max(budget, 0))
    # Whatever is left over goes to the target (the column most worth reading in full).
    widths["target"] += max(0, budget - sum(widths.values()))
    return {**fixed, **widths}


class ActivityTable(DataTable[Text]):
    """Audit rows in a table whose columns follow its width (see :func:`allocate_widths`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # A row cursor: Home and End go to the newest and the last loaded event.
        Binding("home", "scroll_top", "Top", show=False),
        Binding("end", "scroll_bottom", "Bottom", show=False),
    ]

    class LoadMore(Message):
        """The user moved down from the last row while older events exist."""

    def __init__(self, *, id: str | None = None, tz: tzinfo | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.tz = tz
        self.events: list[AuditRow] = []
        self.has_more = False
        self._widths: dict[str, int] = {}

    # ------------------------------------------------------------------------- data

    def show_events(self, rows: Sequence[AuditRow], has_more: bool) -> None:
        """Replace the rows (a new query) and put the cursor on the newest event."""
        self.events = list(rows)
        self.has_more = has_more
        self.rebuild()

    def append_events(self, rows: Sequence[AuditRow], has_more: bool) -> None:
        """Add the next (older) page below the rows already shown."""
        self.events.extend(rows)
        self.has_more = has_more
        if self._compute_widths() != self._widths:
            self.rebuild(keep_cursor=True)
        else:
            self._add_rows(rows)

    def highlighted_event(self) -> AuditRow | None:
        return row_item(self.events, self.cursor_row)

    def relabel(self) -> None:
        """Headers and outcomes in the current language."""
        self.rebuild(keep_cursor=True)

    # ----------------------------------------------------------------------- layout

    def _headers(self) -> dict[str, int]:
        return {key: len(_(label)) for key, label in COLUMNS}

    def _natural(self) -> dict[str, int]:
        natural = self._headers()
        natural["outcome"] = max(
            [natural["outcome"], *(len(outcome_label(e.outcome)) for e in self.events)]
        )
        for event in self.events:
            natural["user"] = max(natural["user"], len(event.user))
            natural["action"] = max(natural["action"], len(event.action))
            natural["target"] = max(natural["target"], len(event.target))
        return natural

    def _available(self) -> int:
        # The vertical scrollbar's gutter is always kept (scrollbar-gutter: stable).
        return max(self.size.width - self.styles.scrollbar_size_vertical, 0)

    def _compute_widths(self) -> dict[str, int]:
        return allocate_widths(self._available(), self._natural(), self._headers())

    def rebuild(self, *, keep_cursor: bool = False) -> None:
        """Columns for the current width and language, then every loaded row again."""
        row = self.cursor_row if keep_cursor else 0
        self._widths = self._compute_widths()
        self.clear(columns=True)
        for key, label in COLUMNS:
            if key in self._widths:
                self.add_column(text(_(label)), width=self._widths[key], key=key)
        self._add_rows(self.events)
        if self.events:
            self.move_cursor(row=min(row, len(self.events) - 1), animate=False)

    def _add_rows(self, rows: Iterable[AuditRow]) -> None:
        widths = self._widths
        seconds = widths["time"] >= TIME_LONG
        time_format = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
        for event in rows:
            cells = {
                "time": Text(local_time(event.at, self.tz).strftime(time_format)),
                "user": text(event.user),
                "action": text(event.action),
                "target": text(event.target),
                "outcome": outcome_text(event.outcome),
                "detail": text(event.detail),
            }
            self.add_row(
                *(fit(cells[key], widths[key]) for key, _label in COLUMNS if key in widths),
                key=str(event.id),
            )

    def on_resize(self) -> None:
        if self._compute_widths() != self._widths:
            self.rebuild(keep_cursor=True)

    # ---------------------------------------------------------------------- keys

    def _at_end(self) -> bool:
        return bool(self.events) and self.cursor_row >= len(self.events) - 1

    def _more_or(self, at_end: bool) -> bool:
        if at_end and self.has_more:
            self.post_message(self.LoadMore())
            return True
        return False

    def action_cursor_down(self) -> None:
        if not self._more_or(self._at_end()):
            super().action_cursor_down()

    def action_page_down(self) -> None:
        if not self._more_or(self._at_end()):
            super().action_page_down()

    def action_scroll_bottom(self) -> None:
        if not self._more_or(self._at_end()):
            super().action_scroll_bottom()
