"""Network (Red): the Suppliers (Proveedores) and Clients (Clientes) tabs.

``NetworkView`` has two tabs, ids ``suppliers`` and ``clients`` (``show_tab`` switches
between them): a one-line :class:`TabStrip` over a ``ContentSwitcher`` (lighter than
``TabbedContent``, which made building the shell after a login markedly slower).

Suppliers follows the help article: filter by Tax ID (ID Fiscal) and press Search (Buscar) or
Enter (typing also searches after a short pause); not listed → Add Supplier (Agregar
Proveedor), prefilled with that Tax ID. The table (:class:`SupplierTable`) reads keyset pages,
so a million suppliers open as fast as ten; the count of matches arrives separately. A detail
panel follows the cursor when the terminal is tall enough; Enter or ``d`` opens the details
in a dialog at any size. Non-administrators see the list read-only.

Clients lists, read-only, the companies that have the acting company as their supplier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, ContentSwitcher, Input, Label, Select, Static

from gosocket_tui.errors import GosocketError, SessionExpired
from gosocket_tui.i18n import _, format_int
from gosocket_tui.services import invitations
from gosocket_tui.services.suppliers import (
    STATUSES,
    ClientFilter,
    SupplierFilter,
    SupplierRow,
    get_supplier,
    state_label,
)
from gosocket_tui.tui.dialogs.add_supplier import AddSupplierResult, AddSupplierScreen
from gosocket_tui.tui.dialogs.invite import ChangeEmailScreen, ConfirmScreen
from gosocket_tui.tui.dialogs.supplier_detail import SupplierDetailScreen
from gosocket_tui.tui.safe import plain
from gosocket_tui.tui.session import end_session
from gosocket_tui.tui.views.base import View
from gosocket_tui.tui.widgets.client_table import ClientTable
from gosocket_tui.tui.widgets.paged_table import PagedTable
from gosocket_tui.tui.widgets.supplier_detail import SupplierDetailPanel
from gosocket_tui.tui.widgets.supplier_table import SupplierTable
from gosocket_tui.tui.widgets.tab_strip import TabStrip

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session
    from gosocket_tui.tui.screens.bulk_import import BulkImportResult

SEARCH_DELAY = 0.3  # seconds of no typing before the filters apply by themselves
DETAIL_PANEL_MIN_HEIGHT = 30  # pane height from which the detail panel shows under the table
INVITATION_ACTIONS = ("invite", "invite_selected", "resend", "change_email", "cancel")
INVITE_PREVIEW = 3  # suppliers named in the invite confirmation and the skipped notice
REFRESH_AFTER_INVITE = (3.0, 8.0)  # seconds: redraw the rows as the deliverer sends


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
        # them go to that screen (``GosocketApp._hold_key``), not to the filter.
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
        self._search_timer: Timer | None = None
        self._focus_after_search = False
        self._quiet = False  # set while the inputs are changed by code, not by the user

    @property
    def session(self) -> Session:
        current: Session | None = getattr(self.app, "session", None)
        return current if current is not None else self._initial_session

    @property
    def table(self) -> SupplierTable:
        return self.query_one("#supplier-table", SupplierTable)

    def compose(self) -> ComposeResult:
        if not self.is_admin:
            yield Static(
                _("Only administrators manage suppliers. You can view the list."),
                id="suppliers-read-only",
                classes="view-notice",
            )
        with Horizontal(classes="filter-row", id="supplier-search-row"):
            yield Label(_("Tax ID"))
            yield Input(id="supplier-tax-id", max_length=40, compact=True)
            yield Button(_("Search"), id="supplier-search", compact=True)
            yield Label(_("Name"))
            yield Input(id="supplier-name", max_length=100, compact=True)
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
        yield table
        yield SupplierDetailPanel(self.ctx, id="supplier-detail")

    def on_mount(self) -> None:
        # Tab goes from the Tax ID filter straight to the name filter ("7608⇥Sur" typed
        # ahead fills both); Enter searches, the button is there for the mouse.
        self.query_one("#supplier-search", Button).can_focus = False
        self.table.reload()
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

    # ----------------------------------------------------------------------- filters

    def current_filter(self) -> SupplierFilter:
        status = self.query_one("#supplier-status", Select).value
        return SupplierFilter(
            tax_id=self.query_one("#supplier-tax-id", Input).value.strip(),
            name=self.query_one("#supplier-name", Input).value.strip(),
            status=status if isinstance(status, str) else "",
            sort=self.table.filter.sort,
        )

    def search(self, *, explicit: bool = True) -> None:
        """Apply the filters (Enter and Search do it at once, typing after a pause)."""
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        filt = self.current_filter()
        if not explicit and filt == self.table.filter and self.table.loaded:
            return
        self._focus_after_search = explicit
        self.table.apply_filter(filt)
        self._update_summary()

    @on(Input.Submitted, "#supplier-tax-id, #supplier-name")
    @on(Button.Pressed, "#supplier-search")
    def _search_now(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.search(explicit=True)

    @on(Input.Changed, "#supplier-tax-id, #supplier-name")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._quiet:
            return
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(
            SEARCH_DELAY, lambda: self.search(explicit=False), name="supplier-search"
        )

    @on(Select.Changed, "#supplier-status")
    def _status_changed(self, event: Select.Changed) -> None:
        event.stop()
        if not self._quiet:
            self.search(explicit=False)

    @on(Button.Pressed, "#supplier-sort")
    def _sort_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.set_sort("name" if self.table.filter.sort == "tax_id" else "tax_id")

    @on(SupplierTable.SortToggled)
    def _sort_toggled(self, event: SupplierTable.SortToggled) -> None:
        event.stop()
        self.set_sort(event.sort)

    def set_sort(self, sort: Any) -> None:
        """Sort by ``tax_id`` or ``name``; the cursor stays on the same supplier."""
        table = self.table
        row = table.cursor_row
        filt = self.current_filter()
        table.filter = SupplierFilter(filt.tax_id, filt.name, filt.status, filt.group, sort)
        self.query_one("#supplier-sort", Button).label = self._sort_label(sort)
        if row is not None:
            table.select_supplier(row.id)
            table.recount()
        else:
            table.reload()

    @on(SupplierTable.FilterReset)
    def _filter_reset(self, event: SupplierTable.FilterReset) -> None:
        """The table cleared its filter to show a supplier: empty the inputs to match."""
        event.stop()
        self._quiet = True
        try:
            self.query_one("#supplier-tax-id", Input).value = ""
            self.query_one("#supplier-name", Input).value = ""
            self.query_one("#supplier-status", Select).clear()
        finally:
            self.call_after_refresh(self._end_quiet)

    def _end_quiet(self) -> None:
        self._quiet = False

    def action_focus_search(self) -> None:
        self.query_one("#supplier-tax-id", Input).focus()

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

    @on(PagedTable.LoadFailed, "#supplier-table")
    def _load_failed(self, event: PagedTable.LoadFailed) -> None:
        event.stop()
        self.notify(plain(event.text), severity="error", markup=False)
        self._update_summary()

    @on(SupplierTable.RowAction)
    def _row_action(self, event: SupplierTable.RowAction) -> None:
        """Row actions from the table's keys: details, and the invitations (administrators).

        ``invite`` takes the marked rows when any are marked (Invite selected), else the
        cursor row; ``resend``, ``change_email`` and ``cancel`` take the cursor row.
        """
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
        row = event.row
        if event.action in ("invite", "invite_selected"):
            self._ask_invite(sorted(event.marked) if event.marked else [], row)
        elif row is None:
            return
        elif event.action == "resend":
            session = self.session
            self._invitation_call("resend", lambda: invitations.resend(self.ctx, session, row.id))
        elif event.action == "change_email":
            self.app.push_screen(
                ChangeEmailScreen(row.name, row.email),
                lambda email: self._email_chosen(row, email),
            )
        elif event.action == "cancel":
            self.app.push_screen(
                ConfirmScreen(
                    _("Cancel invitation"),
                    [
                        _(
                            "Cancel the invitation to {name} ({email})? Its code stops working.",
                            name=row.name,
                            email=row.email,
                        )
                    ],
                ),
                lambda ok: self._cancel_confirmed(row, ok),
            )

    # ------------------------------------------------------------------- invitations

    def _ask_invite(self, marked: list[int], row: SupplierRow | None) -> None:
        """Confirm how many suppliers get an invitation and to which emails (the first few)."""
        if marked:
            ids = marked
        elif row is not None:
            ids = [row.id]
            if row.registered:
                # The service refuses it and says why: no need to ask first.
                self._run_invite(self.session, ids)
                return
        else:
            return
        known = {r.id: r for r in self.table.rows}
        lines: list[str] = []
        if len(ids) == 1:
            lines.append(_("Invite 1 supplier to the Gosocket network?"))
        else:
            lines.append(
                _("Invite {count} suppliers to the Gosocket network?", count=format_int(len(ids)))
            )
        for link_id in ids[:INVITE_PREVIEW]:
            shown = known.get(link_id)
            if shown is None:
                try:
                    shown = get_supplier(self.ctx, self.session, link_id)
                except GosocketError:
                    continue
            email = shown.email or _("(no email)")
            lines.append(f"  • {shown.name} <{email}>")
        if len(ids) > INVITE_PREVIEW:
            lines.append(
                "  " + _("… and {count} more", count=format_int(len(ids) - INVITE_PREVIEW))
            )
        title = (
            _("Invite selected ({count})", count=format_int(len(ids))) if marked else _("Invite")
        )
        session = self.session
        self.app.push_screen(
            ConfirmScreen(title, lines),
            lambda ok: self._run_invite(session, ids) if ok else None,
        )

    def _run_invite(self, session: Session, ids: list[int]) -> None:
        self._invitation_call("invite", lambda: invitations.invite(self.ctx, session, ids))

    def _email_chosen(self, row: SupplierRow, email: str | None) -> None:
        if email is None:
            return
        session = self.session
        self._invitation_call(
            "change_email", lambda: invitations.change_email(self.ctx, session, row.id, email)
        )

    def _cancel_confirmed(self, row: SupplierRow, ok: bool | None) -> None:
        if not ok:
            return
        session = self.session
        self._invitation_call("cancel", lambda: invitations.cancel(self.ctx, session, row.id))

    @work(thread=True, group="supplier-invitations")
    def _invitation_call(self, action: str, call: Callable[[], object]) -> None:
        """Run one invitation service call off the screen; the outcome comes back as a notice."""
        outcome: object
        try:
            outcome = call()
        except GosocketError as exc:
            outcome = exc
        finally:
            self.ctx.close()  # this worker thread's connection only
        self.app.call_from_thread(self._invitation_done, action, outcome)

    def _invitation_done(self, action: str, outcome: object) -> None:
        if isinstance(outcome, SessionExpired):
            self.app.run_worker(end_session(self, outcome.message), group="session")
            return
        if isinstance(outcome, GosocketError):
            self.notify(plain(outcome.message), severity="error", markup=False)
            return
        queued = False
        if isinstance(outcome, invitations.InviteResult):
            queued = bool(outcome.queued)
            self._notify_invite(outcome)
            if queued:
                self.table.clear_marks()
        elif isinstance(outcome, invitations.InvitationInfo):
            queued = outcome.state == "queued"
            if action == "cancel":
                text = _("Invitation to {name} cancelled.", name=outcome.name)
            elif action == "change_email":
                text = _(
                    "Email of {name} changed to {email}; a new invitation is queued.",
                    name=outcome.name,
                    email=outcome.email,
                )
            else:
                text = _("A new invitation to {name} is queued.", name=outcome.name)
            self.notify(plain(text), markup=False)
        self.table.refresh_rows()
        if queued:
            kick = getattr(self.app, "kick_delivery", None)
            if callable(kick):
                kick()
            # The deliverer sends in the background: show queued → invited as it happens.
            for delay in REFRESH_AFTER_INVITE:
                self.set_timer(delay, self._refresh_if_mounted)

    def _refresh_if_mounted(self) -> None:
        if self.is_mounted:
            self.table.refresh_rows()

    def _notify_invite(self, result: invitations.InviteResult) -> None:
        """``2 invitations queued, 1 skipped`` and the reasons of the first few skipped."""
        queued, skipped = len(result.queued), len(result.skipped)
        if queued == 1 and not skipped:
            self.notify(plain(result.queued[0].message), markup=False)
            return
        if skipped == 1 and not queued:
            self.notify(plain(result.skipped[0].message), severity="warning", markup=False)
            return
        lines = [
            _(
                "{queued} queued, {skipped} skipped.",
                queued=format_int(queued),
                skipped=format_int(skipped),
            )
        ]
        lines += [o.message for o in result.skipped[:INVITE_PREVIEW]]
        if skipped > INVITE_PREVIEW:
            lines.append(_("… and {count} more", count=format_int(skipped - INVITE_PREVIEW)))
        self.notify(
            plain("\n".join(lines)),
            title=_("Invitations"),
            severity="information" if queued else "warning",
            markup=False,
        )

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
        # Imported here: the file readers are not needed to paint the shell after login.
        from gosocket_tui.tui.screens.bulk_import import BulkImportScreen

        self.app.push_screen(BulkImportScreen(self.ctx, self.session), self._bulk_done)

    @on(Button.Pressed, "#supplier-bulk")
    def _bulk_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_bulk_import()

    def _bulk_done(self, result: BulkImportResult | None) -> None:
        if result is not None:
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
        else:
            self.notify(plain(result.message), severity="warning", markup=False)
        self.select_supplier(result.link_id)
        self.table.recount()

    def select_supplier(self, link_id: int) -> None:
        """Show this supplier in the table (clearing filters that hide it) and focus it."""
        self.table.select_supplier(link_id)
        self.table.focus()

    def refresh_rows(self) -> None:
        self.table.refresh_rows()


class ClientsPanel(Vertical):
    """The Clients tab: Tax ID and name filters over the read-only client list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "focus_table", "Table", show=False),
    ]

    def __init__(self, ctx: ServiceContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ctx = ctx
        self._search_timer: Timer | None = None

    @property
    def table(self) -> ClientTable:
        return self.query_one("#client-table", ClientTable)

    def compose(self) -> ComposeResult:
        yield Static(
            _("Companies that have you among their suppliers."), classes="view-text clients-intro"
        )
        with Horizontal(classes="filter-row"):
            yield Label(_("Tax ID"))
            yield Input(id="client-tax-id", max_length=40, compact=True)
            yield Button(_("Search"), id="client-search", compact=True)
            yield Label(_("Name"))
            yield Input(id="client-name", max_length=100, compact=True)
        yield Static(id="client-summary")
        yield ClientTable(self.ctx, id="client-table")

    def on_mount(self) -> None:
        self.query_one("#client-search", Button).can_focus = False  # as on the Suppliers tab
        self.table.reload()
        self._update_summary()

    def current_filter(self) -> ClientFilter:
        return ClientFilter(
            tax_id=self.query_one("#client-tax-id", Input).value.strip(),
            name=self.query_one("#client-name", Input).value.strip(),
        )

    def search(self, *, explicit: bool = True) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        filt = self.current_filter()
        if not explicit and filt == self.table.filter:
            return
        self.table.apply_filter(filt)
        self._update_summary()

    @on(Input.Submitted, "#client-tax-id, #client-name")
    @on(Button.Pressed, "#client-search")
    def _search_now(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.search(explicit=True)

    @on(Input.Changed, "#client-tax-id, #client-name")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self.search(explicit=False))

    @on(PagedTable.RowsLoaded, "#client-table")
    @on(PagedTable.ViewportChanged, "#client-table")
    def _rows_changed(self, event: PagedTable.RowsLoaded | PagedTable.ViewportChanged) -> None:
        event.stop()
        self._update_summary()

    @on(PagedTable.LoadFailed, "#client-table")
    def _load_failed(self, event: PagedTable.LoadFailed) -> None:
        event.stop()
        self.notify(plain(event.text), severity="error", markup=False)

    def action_focus_table(self) -> None:
        self.table.focus()

    def _update_summary(self) -> None:
        table = self.table
        if not table.loaded:
            text = _("Loading…")
        else:
            shown = table.shown_range()
            if shown is None or not table.rows:
                text = ""
            elif not table.has_after and not table.has_before:
                count = len(table.rows)
                text = _("1 client") if count == 1 else _("{count} clients", count=count)
            else:
                text = _(
                    "Showing {first}–{last}",
                    first=format_int(shown[0]),
                    last=format_int(shown[1]),
                )
        self.query_one("#client-summary", Static).update(Text(text), layout=False)


class NetworkView(View):
    """Suppliers and clients of the acting user's company."""

    def compose(self) -> ComposeResult:
        yield TabStrip(
            [("suppliers", "Suppliers"), ("clients", "Clients")],
            active="suppliers",
            id="network-tabs",
        )
        with ContentSwitcher(id="network-content", initial="suppliers"):
            with Vertical(id="suppliers", classes="network-pane"):
                yield SuppliersPanel(self.ctx, self.session, id="suppliers-panel")
            # Built when first shown: most visits are for the suppliers.
            yield Vertical(id="clients", classes="network-pane")

    @property
    def suppliers(self) -> SuppliersPanel:
        return self.query_one("#suppliers-panel", SuppliersPanel)

    @property
    def clients(self) -> ClientsPanel | None:
        """The Clients tab's panel (None until the tab was first shown)."""
        found = self.query("#clients-panel").results(ClientsPanel)
        return next(found, None)

    @property
    def active_tab(self) -> str:
        return self.query_one("#network-tabs", TabStrip).active

    @on(TabStrip.Changed, "#network-tabs")
    async def _tab_changed(self, event: TabStrip.Changed) -> None:
        event.stop()
        self.query_one("#network-content", ContentSwitcher).current = event.tab
        if event.tab == "clients" and self.clients is None:
            await self.query_one("#clients", Vertical).mount(
                ClientsPanel(self.ctx, id="clients-panel")
            )

    def show_tab(self, tab: str) -> None:
        """Show the ``suppliers`` or ``clients`` tab."""
        self.query_one("#network-tabs", TabStrip).active = tab

    def focus_content(self) -> bool:
        """Move the focus into the view: the active tab's Tax ID filter."""
        target = "#supplier-tax-id" if self.active_tab == "suppliers" else "#client-tax-id"
        found = list(self.query(target).results(Input))
        if found:
            found[0].focus()
        else:
            self.query_one("#network-tabs", TabStrip).focus()
        return True
