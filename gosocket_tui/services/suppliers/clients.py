"""The companies that have the acting company among their suppliers (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gosocket_tui.db.models import Company, SupplierLink
from gosocket_tui.safe_text import storable
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_session
from gosocket_tui.services.suppliers.filters import tax_id_prefix_condition
from gosocket_tui.services.suppliers.keyset import Direction, keyset_slice
from gosocket_tui.services.taxid import format_tax_id


@dataclass(frozen=True)
class ClientFilter:
    tax_id: str = ""
    name: str = ""


@dataclass(frozen=True)
class ClientRow:
    id: int
    country: str
    tax_id: str
    tax_id_formatted: str
    name: str
    since: datetime | None


@dataclass(frozen=True)
class ClientPage:
    rows: list[ClientRow]
    has_before: bool
    has_after: bool


def list_clients(
    ctx: ServiceContext,
    session: Session,
    filt: ClientFilter = ClientFilter(),
    *,
    cursor: tuple[str, int] | None = None,
    direction: Direction = "forward",
    limit: int = 100,
) -> ClientPage:
    """The companies that have the acting company among their suppliers (read-only)."""
    session = require_session(ctx, session)
    query = (
        SupplierLink.select(SupplierLink, Company)
        .join(Company, on=(SupplierLink.buyer == Company.id))
        .where(SupplierLink.supplier == session.company_id)
    )
    by_tax_id = tax_id_prefix_condition(Company.country, Company.tax_id, filt.tax_id)
    if by_tax_id is not None:
        query = query.where(by_tax_id)
    if filt.name.strip():
        needle = " ".join(storable(filt.name).split()).replace("%", "").replace("_", "")
        query = query.where(Company.name.contains(needle))
    page = keyset_slice(
        query, Company.tax_id, SupplierLink.id, cursor=cursor, direction=direction, limit=limit
    )
    rows = [
        ClientRow(
            id=link.id,
            country=link.buyer.country,
            tax_id=link.buyer.tax_id,
            tax_id_formatted=format_tax_id(link.buyer.country, link.buyer.tax_id),
            name=link.buyer.name,
            since=link.added_at,
        )
        for link in page.items
    ]
    return ClientPage(rows=rows, has_before=page.has_before, has_after=page.has_after)
