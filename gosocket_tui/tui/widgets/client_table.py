"""The Clients tab's table: the companies that have the acting company as their supplier.

Read-only, keyset-paged like the suppliers (same :class:`PagedTable`), filtered by Tax ID
prefix and name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gosocket_tui.i18n import _
from gosocket_tui.services.suppliers import ClientFilter, ClientRow, list_clients
from gosocket_tui.services.taxid import country_name
from gosocket_tui.tui.safe import plain
from gosocket_tui.tui.widgets.paged_table import PagedTable
from gosocket_tui.tui.widgets.supplier_table import short_date
from gosocket_tui.tui.widgets.table_columns import Column, Spans
from gosocket_tui.tui.widgets.table_window import Direction, Key, PageData

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session


class ClientTable(PagedTable[ClientRow]):
    """Companies that buy from the acting company (``services.suppliers.list_clients``)."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(ctx, id=id, classes=classes)
        self._filter = ClientFilter()
        self._columns: list[Column[ClientRow]] = [
            Column("tax_id", "Tax ID", self._render_tax_id, width=15),
            Column("name", "Name", self._render_name, min_width=16, weight=3),
            Column("country", "Country", self._render_country, min_width=8, max_width=20),
            Column("since", "Client since", self._render_since, width=8, drop=1),
        ]

    def columns(self) -> Sequence[Column[ClientRow]]:
        return self._columns

    def fetch(
        self, session: Session, key: Key | None, direction: Direction, limit: int, inclusive: bool
    ) -> PageData[ClientRow]:
        if inclusive and key is not None:
            # list_clients has no inclusive cursor: start just before the key's id.
            key = (key[0], key[1] - 1)
        page = list_clients(
            self.ctx, session, self.filter, cursor=key, direction=direction, limit=limit
        )
        return PageData(page.rows, page.has_before, page.has_after)

    def row_key(self, row: ClientRow) -> Key:
        return (row.tax_id, row.id)

    def row_id(self, row: ClientRow) -> int:
        return row.id

    def empty_text(self) -> str:
        if not self.loaded:
            return _("Loading…")
        if self.filter.tax_id.strip() or self.filter.name.strip():
            return _("No client matches this search.")
        return _("No company has you among its suppliers yet.")

    @property
    def filter(self) -> ClientFilter:
        """What the table shows (given by :meth:`show`)."""
        return self._filter

    def show(self, filt: ClientFilter) -> None:
        """Show what ``filt`` selects, from its first page."""
        self._filter = filt
        self.reload()

    def _render_tax_id(self, row: ClientRow, width: int) -> Spans:
        return [(plain(row.tax_id_formatted), None)]

    def _render_name(self, row: ClientRow, width: int) -> Spans:
        return [(plain(row.name), None)]

    def _render_country(self, row: ClientRow, width: int) -> Spans:
        name = country_name(row.country)
        return [(plain(name if len(name) <= width else row.country), None)]

    def _render_since(self, row: ClientRow, width: int) -> Spans:
        return [(short_date(row.since, self.ctx.clock.now()), None)]
