"""Network → Suppliers: filters, summary, the table (:class:`SupplierTable`) and the details.

The help article's flow: filter by Tax ID (ID Fiscal) and press Search (Buscar) or Enter
(typing also searches after a short pause); not listed → Add Supplier (Agregar Proveedor),
prefilled with that Tax ID. The table reads keyset pages, so a million suppliers open as fast
as ten; the count of matches arrives separately. A detail panel follows the cursor when the
terminal is tall enough; Enter or ``d`` opens the details in a dialog at any size.
Non-administrators see the list read-only.

The query flows one way: the panel is the one owner of the filter (Tax ID, name, status, group,
sort). The filter bar and the status list report edits, the table's ``s`` asks for the other
sort, a supplier to show is located by the service; each time the panel builds the new
:class:`SupplierFilter` and gives it to the table, which only shows it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Select, Static

from gosocket_tui.i18n import _, format_int
from gosocket_tui.services import suppliers
from gosocket_tui.services.suppliers import (
    STATUSES,
    SortKey,
    SupplierFilter,
    SupplierLocation,
    SupplierRow,
    state_label,
)
from gosocket_tui.tui.dialogs.add_supplier import AddSupplierResult, AddSupplierScreen
from gosocket_tui.tui.dialogs.supplier_detail import SupplierDetailScreen
from gosocket_tui.tui.host import Happened, host
from gosocket_tui.tui.safe import plain
from gosocket_tui.tui.tour import Seen
from gosocket_tui.tui.views.invitation_actions import INVITATION_ACTIONS, InvitationActions
from gosocket_tui.tui.widgets.filter_bar import FilterBar
from gosocket_tui.tui.widgets.paged_table import PagedTable
from gosocket_tui.tui.widgets.supplier_detail import SupplierDetailPanel
from gosocket_tui.tui.widgets.supplier_table import SupplierTable
from gosocket_tui.tui.widgets.table_window import AroundRow
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

DETAIL_PANEL_MIN_HEIGHT = 30  # pane height from which the detail panel shows under the table


def summary_text(table: PagedTable[Any], noun_one: str, noun_many: str) -> str:
    """``Showing 1–15 of 1,000,000 suppliers``, ``960 suppliers``, ``Showing 1–15 …``."""
    total = table.total
    shown = table.shown_range()
    if not table.loaded:
        return _("Loading…")
    if total is not None:
        noun = noun_one if total == 1 else noun_many
        if shown is not None and total > 0:
            return _(
                "Showing {first}–{last} of {total} {noun}",
                first=format_int(shown[0]),
                last=format_int(shown[1]),
                total=format_int(total),
                noun=noun,
            )
        return f"{format_int(total)} {noun}"
    if shown is not None:
        return _(
            "Showing {first}–{last} (counting…)",
            first=format_int(shown[0]),
            last=format_int(shown[1]),
        )
    return _("Counting…")


class SuppliersPanel(Vertical):
    """The Suppliers tab: filters, summary, the table (which also says when nothing matched)
    and the details."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: they open their screen as the key arrives, so keys typed right after
        # them go to that screen (``typeahead.HeldKeys``), not to the filter.
        Binding("ctrl+n", "add_supplier", "Add Supplier", show=False, priority=True),
        # Shown (greyed for non-administrators, as the row actions are refused to them).
        Binding("ctrl+o", "bulk_import", "Bulk add", priority=True),
        Binding("ctrl+f", "focus_search", "Search", show=False),
        Binding("down", "focus_table", "Table", show=False),
    ]

    class Ready(Message):
        """The panel is built (its filters can take the focus)."""

        def __init__(self, panel: SuppliersPanel) -> None:
            super().__init__()
            self.panel = panel

    def __init__(self, ctx: ServiceContext, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ctx = ctx
        self._initial_session = session
        self.is_admin = session.is_admin
        self._filter = SupplierFilter()
        self._focus_after_search = False
        self._invitations = InvitationActions(self, self)

    @property
    def session(self) -> Session:
        current = host(self).session
        return current if current is not None else self._initial_session

    @property
    def table(self) -> SupplierTable:
        return self.query_one("#supplier-table", SupplierTable)

    @property
    def filter(self) -> SupplierFilter:
        """The query the table shows: this panel is its one owner."""
        return self._filter

    def compose(self) -> ComposeResult:
        if not self.is_admin:
            yield Static(
                _("Only administrators manage suppliers. You can view the list."),
                id="suppliers-read-only",
                classes="view-notice",
            )
        yield FilterBar("supplier", id="supplier-search-row")
        with Horizontal(classes="filter-row", id="supplier-options-row"):
            yield Select(
                [(state_label(s), s) for s in STATUSES],
                prompt=_("All statuses"),
                compact=True,
                id="supplier-status",
            )
            yield Button(self._sort_label("tax_id"), id="supplier-sort", compact=True)
            yield Static(classes="spacer")
            yield Button(
                _("Bulk add…"), id="supplier-bulk", compact=True, disabled=not self.is_admin
            )
            if self.is_admin:
                yield Button(_("Add Supplier"), id="supplier-add", variant="primary", compact=True)
        yield Static(id="supplier-summary")
        table = SupplierTable(self.ctx, id="supplier-table")
        table.can_add = self.is_admin
        # The first page is asked for now, while the rest of the shell is being built: a
        # database that takes a moment (PostgreSQL) still answers in time for the first paint.
        table.show(self._filter)
        yield table
        yield SupplierDetailPanel(self.ctx, id="supplier-detail")

    def on_mount(self) -> None:
        self._update_summary()
        self.post_message(self.Ready(self))

    def on_resize(self) -> None:
        tall = self.size.height >= DETAIL_PANEL_MIN_HEIGHT
        if tall and not self.has_class("-tall"):
            self.query_one("#supplier-detail", SupplierDetailPanel).show_row(self.table.cursor_row)
        self.set_class(tall, "-tall")

    @staticmethod
    def _sort_label(sort: str) -> str:
        return "↕ " + (_("Tax ID") if sort == "tax_id" else _("Name"))

    # ------------------------------------------------------------------------- query

    def search(self, filt: SupplierFilter, *, explicit: bool = True) -> None:
        """Show the first page of what ``filt`` selects (Enter and Search at once, typing
        after a pause: then only when it differs from what is shown)."""
        if not explicit and filt == self._filter and self.table.loaded:
            return
        self._filter = filt
        self._focus_after_search = explicit
        self.table.show(filt)
        self._update_summary()

    @on(FilterBar.Changed, "#supplier-search-row")
    def _filters_changed(self, event: FilterBar.Changed) -> None:
        event.stop()
        filt = replace(self._filter, tax_id=event.tax_id, name=event.name)
        self.search(filt, explicit=event.explicit)
        if event.explicit:
            self.post_message(Happened(Seen("searched", tax_id=event.tax_id)))

    @on(Select.Changed, "#supplier-status")
    def _status_changed(self, event: Select.Changed) -> None:
        event.stop()
        status = event.value if isinstance(event.value, str) else ""
        self.search(replace(self._filter, status=status), explicit=False)

    @on(Button.Pressed, "#supplier-sort")
    @on(SupplierTable.SortToggled)
    def _sort_toggled(self, event: Button.Pressed | SupplierTable.SortToggled) -> None:
        """The sort button, or ``s`` on the table: the other sort."""
        event.stop()
        self.set_sort("name" if self._filter.sort == "tax_id" else "tax_id")

    def set_sort(self, sort: SortKey) -> None:
        """Sort by ``tax_id`` or ``name``, every filter kept; the cursor stays on the same
        supplier."""
        self._filter = replace(self._filter, sort=sort)
        self.query_one("#supplier-sort", Button).label = self._sort_label(sort)
        row = self.table.cursor_row
        self.table.show(self._filter, None if row is None else AroundRow(row.key(sort), row.id))

    def select_supplier(self, link_id: int) -> None:
        """Show this supplier in the table and focus it; when the filters hide it, they are
        cleared (the service says which filter shows it)."""
        ctx, session, asked = self.ctx, self.session, self._filter
        call_service(
            self,
            lambda: suppliers.locate_supplier(ctx, session, asked, link_id),
            lambda found: self._located(asked, found),
            lambda error: self._show_error(error.message),
            group="supplier-locate",
        )
        self.table.focus()

    def _located(self, asked: SupplierFilter, found: SupplierLocation) -> None:
        if self._filter != asked:
            return  # the filters changed meanwhile: what was asked last wins
        if found.filter != asked:
            self._filter = found.filter
            self.query_one("#supplier-search-row", FilterBar).show(
                found.filter.tax_id, found.filter.name
            )
            status = self.query_one("#supplier-status", Select)
            if found.filter.status:
                status.value = found.filter.status
            else:
                status.clear()
        self.table.show(found.filter, AroundRow(found.key, target_id=found.key[1]))

    def _show_error(self, text: str) -> None:
        self.notify(plain(text), severity="error", markup=False)

    def action_focus_search(self) -> None:
        self.query_one("#supplier-search-row", FilterBar).tax_id_input.focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    @property
    def is_empty(self) -> bool:
        """The filters matched nothing (the table says so, with Add Supplier for admins)."""
        table = self.table
        return table.loaded and not table.fetching and not table.rows

    # ---------------------------------------------------------------- table messages

    @on(PagedTable.RowsLoaded, "#supplier-table")
    def _rows_loaded(self, event: PagedTable.RowsLoaded) -> None:
        event.stop()
        table = self.table
        if self._focus_after_search and not table.fetching:
            # Found: the focus stays in the filter (Down goes to the table). A Tax ID that is
            # not listed: the focus goes to Add Supplier, the article's next step (Enter opens
            # the form with that Tax ID).
            self._focus_after_search = False
            if self.is_empty and self.is_admin and table.filter.tax_id:
                self.query_one("#supplier-add", Button).focus()
        self._update_summary()

    @on(PagedTable.CountChanged, "#supplier-table")
    @on(PagedTable.ViewportChanged, "#supplier-table")
    @on(SupplierTable.MarksChanged)
    def _count_changed(
        self,
        event: PagedTable.CountChanged | PagedTable.ViewportChanged | SupplierTable.MarksChanged,
    ) -> None:
        event.stop()
        self._update_summary()

    @on(PagedTable.CursorMoved, "#supplier-table")
    def _cursor_moved(self, event: PagedTable.CursorMoved) -> None:
        event.stop()
        panel = self.query_one("#supplier-detail", SupplierDetailPanel)
        if self.has_class("-tall"):
            panel.show_row(self.table.cursor_row)
        self._report_row()

    @on(events.DescendantFocus)
    def _report_row(self) -> None:
        """The row the cursor is on in the focused table: a supplier the user looks at."""
        row = self.table.cursor_row
        if row is not None and self.table.has_focus:
            seen = Seen("supplier_seen", link_id=row.id, name=row.name, registered=row.registered)
            self.post_message(Happened(seen))

    @on(PagedTable.LoadFailed, "#supplier-table")
    def _load_failed(self, event: PagedTable.LoadFailed) -> None:
        event.stop()
        self._show_error(event.text)
        self._update_summary()

    @on(SupplierTable.RowAction)
    def _row_action(self, event: SupplierTable.RowAction) -> None:
        """Row actions from the table's keys: details, and the invitations (administrators)."""
        event.stop()
        if event.action == "details":
            if event.row is not None:
                self.app.push_screen(SupplierDetailScreen(self.ctx, event.row))
            return
        if event.action not in INVITATION_ACTIONS:
            return
        if not self.is_admin:
            self.notify(_("Only administrators manage suppliers."), severity="warning")
            return
        self._invitations.run(event.action, event.row, event.marked)

    def _update_summary(self) -> None:
        table = self.table
        text = summary_text(table, _("supplier"), _("suppliers"))
        if table.filter.sort == "name":
            text += " · " + _("sorted by name")
        marked = len(table.marked_ids())
        if marked:
            text += " · " + _("{count} marked", count=format_int(marked))
        self.query_one("#supplier-summary", Static).update(Text(text), layout=False)

    # ------------------------------------------------------------------ add supplier

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add_supplier":
            return self.is_admin
        if action == "bulk_import":
            return True if self.is_admin else None  # None: shown greyed in the footer
        return True

    def action_add_supplier(self) -> None:
        """Open the Add Supplier form; after an empty Tax ID search, prefilled with it."""
        if not self.is_admin:
            return
        table = self.table
        prefill = table.filter.tax_id if table.loaded and not table.rows else ""
        self.app.push_screen(AddSupplierScreen(self.ctx, self.session, tax_id=prefill), self._added)

    def action_bulk_import(self) -> None:
        """Open Bulk add suppliers (administrators); the table reloads after an import."""
        if not self.is_admin:
            self.notify(_("Only administrators manage suppliers."), severity="warning")
            return
        host(self).push_bulk_import(self._bulk_done)

    @on(Button.Pressed, "#supplier-bulk")
    def _bulk_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_bulk_import()

    def _bulk_done(self, imported: bool) -> None:
        if imported:
            self.table.reload()

    @on(Button.Pressed, "#supplier-add")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_add_supplier()

    def _added(self, result: AddSupplierResult | None) -> None:
        if result is None:
            return
        if result.kind == "added":
            self.notify(plain(result.message), title=_("Supplier added"), markup=False)
            detail = result.detail
            self.post_message(
                Happened(
                    Seen(
                        "supplier_added",
                        link_id=result.link_id,
                        name=detail.name if detail is not None else "",
                        tax_id=detail.tax_id_formatted if detail is not None else "",
                    )
                )
            )
        else:
            self.notify(plain(result.message), severity="warning", markup=False)
        self.select_supplier(result.link_id)

    def refresh_rows(self) -> None:
        self.table.refresh_rows()

    def shown_rows(self) -> list[SupplierRow]:
        return self.table.rows

    def clear_marks(self) -> None:
        self.table.clear_marks()
