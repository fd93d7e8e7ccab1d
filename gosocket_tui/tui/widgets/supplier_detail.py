"""One supplier in full: identity, contact data, groups, and the invitation with its dates.

``SupplierDetailPanel`` sits under the table when the terminal is tall enough (it follows the
cursor); ``dialogs/supplier_detail.py`` shows the same content in a dialog. Both read
``services.suppliers.get_supplier`` through ``call_service``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from gosocket_tui.i18n import _
from gosocket_tui.services.supplier_language import language_name
from gosocket_tui.services.suppliers import SupplierDetail, SupplierRow, get_supplier, state_label
from gosocket_tui.services.taxid import country_name
from gosocket_tui.tui.host import host
from gosocket_tui.tui.safe import text
from gosocket_tui.tui.widgets.supplier_table import REGISTERED_COLOR, STATE_STYLES, long_date
from gosocket_tui.tui.workers import call_service

DETAIL_DELAY = 0.15  # seconds the cursor rests on a row before its detail is read

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext


def _state(row: SupplierRow) -> Text:
    if row.registered:
        return Text.assemble(
            ("✓ ", Style(color=REGISTERED_COLOR, bold=True)), state_label(row.state)
        )
    return Text(state_label(row.state), style=STATE_STYLES.get(row.state, ""))


def detail_fields(row: SupplierRow) -> list[tuple[str, Text]]:
    """(label, value) pairs of a supplier; the contact fields only when the detail is known."""
    fields: list[tuple[str, Text]] = [
        (_("Tax ID"), text(f"{row.country} {row.tax_id_formatted}")),
        (_("Name"), text(row.name)),
        (_("Country"), Text(country_name(row.country))),
        (_("Email"), text(row.email)),
        (_("Groups"), text(", ".join(row.groups) or "—")),
        (_("Status"), _state(row)),
    ]
    if row.state in ("invited", "expired", "queued", "delivery_failed", "cancelled"):
        label = _("Sent") if row.state in ("invited", "expired") else _("Since")
        fields.append((label, Text(long_date(row.state_at) or "—")))
        if row.expires_at is not None and row.state in ("invited", "expired"):
            fields.append((_("Expires"), Text(long_date(row.expires_at))))
    elif row.state == "registered" and row.state_at is not None:
        fields.append((_("Registered"), Text(long_date(row.state_at))))
    if isinstance(row, SupplierDetail):
        place = ", ".join(p for p in (row.address, row.city, row.province) if p)
        fields.extend(
            [
                (_("Address"), text(place or "—")),
                (_("Phone"), text(row.phone or "—")),
                (_("Fax"), text(row.fax or "—")),
                (_("Description"), text(row.description or "—")),
                (_("Language"), Text(language_name(row.language))),
                (_("Added"), Text(long_date(row.added_at) or "—")),
            ]
        )
    return fields


def detail_table(row: SupplierRow, *, columns: int = 1) -> RenderableType:
    """The fields as a grid of ``columns`` label/value pairs."""
    grid = Table.grid(padding=(0, 1), expand=True)
    for _n in range(columns):
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1, overflow="ellipsis", no_wrap=columns > 1)
    fields = detail_fields(row)
    per_column = -(-len(fields) // columns)
    for line in range(per_column):
        cells: list[RenderableType] = []
        for col in range(columns):
            index = col * per_column + line
            if index < len(fields):
                cells.extend([Text(fields[index][0]), fields[index][1]])
            else:
                cells.extend([Text(""), Text("")])
        grid.add_row(*cells)
    return grid


class SupplierDetailPanel(Static):
    """The cursor row's details under the table (shown only when there is room)."""

    DEFAULT_CSS = """
    SupplierDetailPanel {
        height: auto;
        max-height: 10;
        border: round $secondary;
        border-title-style: bold;
        padding: 0 1;
    }
    """

    def __init__(self, ctx: ServiceContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ctx = ctx
        self.row: SupplierRow | None = None
        self.detail_id: int | None = None  # the row whose full detail is shown
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        self.border_title = _("Supplier")
        self.show_row(None)

    def show_row(self, row: SupplierRow | None) -> None:
        """Show what the row has at once, then the full detail from the service."""
        self.row = row
        if row is None:
            self.update(Text(_("No supplier selected."), style="dim"))
            return
        self.update(detail_table(row, columns=2))
        # Holding an arrow key moves through many rows: read the detail once it rests.
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DETAIL_DELAY, lambda: self._start_load(row.id))

    def _start_load(self, link_id: int) -> None:
        session = host(self).session
        if session is not None and self.row is not None and self.row.id == link_id:
            ctx = self.ctx
            call_service(
                self,
                lambda: get_supplier(ctx, session, link_id),
                self._loaded,
                # The table shows the error when it matters; the panel keeps the row.
                lambda _error: None,
                group="supplier-detail",
            )

    def _loaded(self, detail: SupplierDetail) -> None:
        if self.row is not None and self.row.id == detail.id:
            self.row = detail
            self.detail_id = detail.id
            self.update(detail_table(detail, columns=2))
