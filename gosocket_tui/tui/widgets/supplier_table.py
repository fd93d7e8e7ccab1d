"""The Suppliers tab's table: one line per supplier, status at a glance, marks for bulk actions.

Columns: a marker (Space marks the cursor row), Tax ID (display form), Name, Country, Email,
Registered (the orange ✓ of the real product: the supplier company already uses the platform)
and Invitation (state and its date; expired invitations are red and the row dimmed). Narrow
terminals drop Email, then Country (the detail view still shows them).

Hooks for row actions (Invite, Resend, Change email, Cancel, Invite selected): bind a key to
``row_action('<name>')`` (extend ``SupplierTable.BINDINGS``); the table posts a
:class:`SupplierTable.RowAction` with the cursor row and the marked ids, and the Suppliers
panel (``views/suppliers_panel.py``) handles it. The panel owns the filter: the table shows
what :meth:`SupplierTable.show` gives it, and ``s`` only asks the panel for the other sort.
``refresh_rows()`` reloads in place after an action.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from textual.binding import Binding, BindingType

from gosocket_tui.i18n import _
from gosocket_tui.services.suppliers import (
    SupplierFilter,
    SupplierRow,
    count_suppliers,
    invitation_label,
    list_suppliers,
)
from gosocket_tui.tui.safe import plain
from gosocket_tui.tui.widgets.paged_table import PagedTable
from gosocket_tui.tui.widgets.table_columns import Column, Spans
from gosocket_tui.tui.widgets.table_window import AroundRow, Direction, Key, PageData

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

REGISTERED_COLOR = "#ff8c00"  # the real product's orange check
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATE_STYLES = {
    "not_invited": "dim",
    "queued": "yellow",
    "invited": "green",
    "expired": "bold red",
    "delivery_failed": "bold red",
    "cancelled": "dim",
}
STATE_RICH_STYLES = {state: Style.parse(style) for state, style in STATE_STYLES.items()}
REGISTERED_STYLE = Style(color=REGISTERED_COLOR, bold=True)


def short_date(value: datetime | None, now: datetime) -> str:
    """``02 Mar`` this year, ``Mar 2025`` another year (month names translated)."""
    if value is None:
        return ""
    month = _(MONTHS[value.month - 1])
    if value.year == now.year:
        return f"{value.day:02d} {month}"
    return f"{month} {value.year}"


def long_date(value: datetime | None) -> str:
    """``2026-03-02 12:00 UTC`` (times are stored in UTC)."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def invitation_date(row: SupplierRow) -> datetime | None:
    """The date that goes with the state: expiry for expired invitations, else the state's."""
    return row.expires_at if row.state == "expired" else row.state_at


class SupplierTable(PagedTable[SupplierRow]):
    """The acting company's suppliers that :attr:`filter` selects (see the module text)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Shown in the footer (the focused widget's keys come first there), so the row
        # actions are discoverable at 80 columns, where no detail panel fits.
        Binding("enter,d", "row_action('details')", "View"),
        Binding("i", "row_action('invite')", "Invite"),
        Binding("space", "toggle_mark", "Mark", key_display="␣"),
        Binding("R,shift+r", "row_action('resend')", "Resend"),
        Binding("e", "row_action('change_email')", "Email"),
        Binding("x", "row_action('cancel')", "Cancel"),
        Binding("s", "toggle_sort", "Sort", show=False),
        Binding("r", "refresh_rows", "Refresh", show=False),
        Binding("escape", "clear_marks", "Clear marks", show=False),
    ]

    class RowAction(PagedTable.TableMessage):
        """A row action was asked for: ``action`` names it (``details``, and the keys the
        invitations add: ``invite``, ``resend``, ``change_email``, ``cancel``,
        ``invite_selected``)."""

        def __init__(
            self, table: SupplierTable, action: str, row: SupplierRow | None, marked: set[int]
        ) -> None:
            super().__init__(table)
            self.action = action
            self.row = row
            self.marked = marked

    class MarksChanged(PagedTable.TableMessage):
        """Rows were marked or unmarked (``table.marked_ids()``)."""

    class SortToggled(PagedTable.TableMessage):
        """``s`` on the table: the panel switches to the other sort."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(ctx, id=id, classes=classes)
        self._filter = SupplierFilter()
        self.can_add = False  # whether the empty table suggests Add Supplier (administrators)
        self._marked: set[int] = set()
        self._columns: list[Column[SupplierRow]] = [
            Column("mark", "", self._render_mark, width=1),
            Column("tax_id", "Tax ID", self._render_tax_id, min_width=13, max_width=16),
            Column("name", "Name", self._render_name, min_width=16, weight=3),
            Column("country", "Country", self._render_country, width=2, drop=1),
            Column(
                "email", "Email", self._render_email, min_width=18, max_width=32, weight=2, drop=2
            ),
            Column("registered", "Registered", self._render_registered, width=1, align="center"),
            Column(
                "invitation",
                "Invitation",
                self._render_invitation,
                min_width=15,
                max_width=22,
            ),
        ]

    # ------------------------------------------------------------------- PagedTable

    def columns(self) -> Sequence[Column[SupplierRow]]:
        return self._columns

    def fetch(
        self, session: Session, key: Key | None, direction: Direction, limit: int, inclusive: bool
    ) -> PageData[SupplierRow]:
        page = list_suppliers(
            self.ctx,
            session,
            self.filter,
            cursor=key,
            direction=direction,
            limit=limit,
            inclusive=inclusive,
        )
        return PageData(page.rows, page.has_before, page.has_after)

    def count(self, session: Session) -> int | None:
        return count_suppliers(self.ctx, session, self.filter)

    def row_key(self, row: SupplierRow) -> Key:
        return row.key(self.filter.sort)

    def row_id(self, row: SupplierRow) -> int:
        return row.id

    def row_style(self, row: SupplierRow) -> Style | None:
        return Style(dim=True) if row.state == "expired" else None

    def marker(self, row: SupplierRow) -> bool:
        return row.id in self._marked

    def empty_text(self) -> str:
        if not self.loaded:
            return _("Loading…")
        if self.filter.tax_id:
            text = _("No supplier with Tax ID {tax_id}.", tax_id=plain(self.filter.tax_id))
        elif self.filter.name or self.filter.status or self.filter.group:
            text = _("No supplier matches these filters.")
        else:
            text = _("You have no suppliers yet.")
        if self.can_add:
            text += "\n\n" + _("Not listed? Add it with Add Supplier (ctrl+n).")
        return text

    # ---------------------------------------------------------------------- public

    @property
    def filter(self) -> SupplierFilter:
        """What the table shows (given by :meth:`show`)."""
        return self._filter

    def show(self, filt: SupplierFilter, around: AroundRow | None = None) -> None:
        """Show what ``filt`` selects, from its first page or ``around`` a row (the cursor
        goes to it), and count it."""
        self._filter = filt
        if around is None:
            self.reload()
        else:
            self.load_around(around)
            self.recount()

    def marked_ids(self) -> set[int]:
        """Ids (``SupplierRow.id``) of the rows marked with Space, on any page or filter."""
        return set(self._marked)

    def clear_marks(self) -> None:
        if self._marked:
            self._marked.clear()
            self.refresh()
            self.post_message(self.MarksChanged(self))

    def set_marked(self, link_id: int, marked: bool) -> None:
        if marked:
            self._marked.add(link_id)
        else:
            self._marked.discard(link_id)
        self.refresh()
        self.post_message(self.MarksChanged(self))

    # --------------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Writes show greyed out for non-administrators (the tab says why) and do nothing."""
        writes = action == "toggle_mark" or (
            action == "row_action" and parameters and parameters[0] != "details"
        )
        return None if writes and not self.can_add else True

    def action_toggle_mark(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.set_marked(row.id, row.id not in self._marked)

    def action_clear_marks(self) -> None:
        self.clear_marks()

    def action_row_action(self, action: str) -> None:
        self.post_message(self.RowAction(self, action, self.cursor_row, self.marked_ids()))

    def action_toggle_sort(self) -> None:
        self.post_message(self.SortToggled(self))

    def action_refresh_rows(self) -> None:
        self.refresh_rows()

    # ----------------------------------------------------------------------- cells

    def _render_mark(self, row: SupplierRow, width: int) -> Spans:
        if row.id in self._marked:
            return [("●", self.marker_style())]
        return []

    def _render_tax_id(self, row: SupplierRow, width: int) -> Spans:
        return [(plain(row.tax_id_formatted), None)]

    def _render_name(self, row: SupplierRow, width: int) -> Spans:
        return [(plain(row.name), None)]

    def _render_country(self, row: SupplierRow, width: int) -> Spans:
        return [(plain(row.country), None)]

    def _render_email(self, row: SupplierRow, width: int) -> Spans:
        return [(plain(row.email), None)]

    def _render_registered(self, row: SupplierRow, width: int) -> Spans:
        return [("✓", REGISTERED_STYLE)] if row.registered else []

    def _render_invitation(self, row: SupplierRow, width: int) -> Spans:
        if row.state == "registered":
            return []
        label = invitation_label(row.state, row.reminders)
        if len(label) > width:
            label = invitation_label(row.state, row.reminders, short=True)
        spans: Spans = [(label, STATE_RICH_STYLES.get(row.state))]
        when = short_date(invitation_date(row), self.ctx.clock.now())
        if when and len(label) + 1 + len(when) <= width:
            spans.append((" " + when, None))
        return spans
