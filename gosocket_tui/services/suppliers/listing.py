"""A buyer's suppliers as keyset pages, their count, and where one supplier shows.

Listing reads only ``supplier_link`` and its indexes (the link carries copies of the supplier's
country, Tax ID and name and the current invitation state), so a buyer with a million suppliers
pages as fast as one with ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gosocket_tui.db.models import SupplierLink
from gosocket_tui.safe_text import storable
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.expiry import sweep_expired
from gosocket_tui.services.session import Session, require_session
from gosocket_tui.services.suppliers.fields import normalize_groups
from gosocket_tui.services.suppliers.filters import (
    SupplierFilter,
    group_condition,
    name_condition,
    status_condition,
    tax_id_prefix_condition,
)
from gosocket_tui.services.suppliers.keyset import Direction, keyset_slice
from gosocket_tui.services.suppliers.lookup import own_link
from gosocket_tui.services.suppliers.rows import SupplierRow, supplier_row

NO_FILTER = SupplierFilter()  # the calls' default (frozen, so one value serves every call)


@dataclass(frozen=True)
class Page:
    rows: list[SupplierRow]
    has_before: bool
    has_after: bool


@dataclass(frozen=True)
class SupplierLocation:
    """Where a supplier shows: the filter that lists it, and its keyset key in that listing."""

    filter: SupplierFilter
    key: tuple[str, int]


def _filtered(ctx: ServiceContext, company_id: int, filt: SupplierFilter) -> Any:
    """The company's links that ``filt`` selects, not yet ordered or paged."""
    query = SupplierLink.select().where(SupplierLink.buyer == company_id)
    by_tax_id = tax_id_prefix_condition(SupplierLink.country, SupplierLink.tax_id, filt.tax_id)
    if by_tax_id is not None:
        query = query.where(by_tax_id)
    if filt.name.strip():
        query = query.where(name_condition(ctx.db, storable(filt.name)))
    if filt.status:
        if filt.status in ("invited", "expired"):
            sweep_expired(ctx)  # "expired" is a stored state: bring it up to date first
        query = query.where(status_condition(filt.status, ctx.clock.now()))
    group = normalize_groups(storable(filt.group)).split(",")[0]
    if group:
        query = query.where(group_condition(ctx.db, company_id, group))
    return query


def list_suppliers(
    ctx: ServiceContext,
    session: Session,
    filt: SupplierFilter = NO_FILTER,
    *,
    cursor: tuple[str, int] | None = None,
    direction: Direction = "forward",
    limit: int = 100,
    inclusive: bool = False,
) -> Page:
    """One keyset page of the acting company's suppliers; ``cursor`` is the ``key(sort)`` of
    the row next to the page (:func:`~gosocket_tui.services.suppliers.keyset.keyset_slice`)."""
    session = require_session(ctx, session)
    column = SupplierLink.tax_id if filt.sort == "tax_id" else SupplierLink.name
    page = keyset_slice(
        _filtered(ctx, session.company_id, filt),
        column,
        SupplierLink.id,
        cursor=cursor,
        direction=direction,
        limit=limit,
        inclusive=inclusive,
    )
    now = ctx.clock.now()
    rows = [supplier_row(link, now) for link in page.items]
    return Page(rows=rows, has_before=page.has_before, has_after=page.has_after)


def count_suppliers(ctx: ServiceContext, session: Session, filt: SupplierFilter = NO_FILTER) -> int:
    """How many suppliers match (may take a moment on big sets; the UI asks separately)."""
    session = require_session(ctx, session)
    return int(_filtered(ctx, session.company_id, filt).count())


def locate_supplier(
    ctx: ServiceContext, session: Session, filt: SupplierFilter, link_id: int
) -> SupplierLocation:
    """How to show this supplier ("show me this one", e.g. after adding it): ``filt`` when it
    lists the supplier, else no filter in the same sort; and the supplier's key in that listing
    (the page around it starts there)."""
    session = require_session(ctx, session)
    link = own_link(session.company_id, link_id)
    if not _filtered(ctx, session.company_id, filt).where(SupplierLink.id == link.id).exists():
        filt = SupplierFilter(sort=filt.sort)
    return SupplierLocation(filt, supplier_row(link, ctx.clock.now()).key(filt.sort))
