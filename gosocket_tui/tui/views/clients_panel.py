"""Network → Clients: the companies that have the acting company among their suppliers.

Read-only: Tax ID and name filters (the shared :class:`FilterBar`) over a :class:`ClientTable`.
The panel owns the filter; the table shows what it is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from gosocket_tui.i18n import _, format_int
from gosocket_tui.services.suppliers import ClientFilter
from gosocket_tui.tui.safe import plain
from gosocket_tui.tui.widgets.client_table import ClientTable
from gosocket_tui.tui.widgets.filter_bar import FilterBar
from gosocket_tui.tui.widgets.paged_table import PagedTable

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext


class ClientsPanel(Vertical):
    """The Clients tab: Tax ID and name filters over the read-only client list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "focus_table", "Table", show=False),
    ]

    def __init__(self, ctx: ServiceContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ctx = ctx
        self._filter = ClientFilter()

    @property
    def table(self) -> ClientTable:
        return self.query_one("#client-table", ClientTable)

    @property
    def filter(self) -> ClientFilter:
        """The filter the table shows (this panel is its one owner)."""
        return self._filter

    def compose(self) -> ComposeResult:
        yield Static(
            _("Companies that have you among their suppliers."), classes="view-text clients-intro"
        )
        yield FilterBar("client", id="client-filters")
        yield Static(id="client-summary")
        yield ClientTable(self.ctx, id="client-table")

    def on_mount(self) -> None:
        self.table.show(self._filter)
        self._update_summary()

    @on(FilterBar.Changed, "#client-filters")
    def _filters_changed(self, event: FilterBar.Changed) -> None:
        event.stop()
        filt = ClientFilter(tax_id=event.tax_id, name=event.name)
        if not event.explicit and filt == self._filter:
            return
        self._filter = filt
        self.table.show(filt)
        self._update_summary()

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
