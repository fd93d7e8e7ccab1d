"""One of the acting company's suppliers, by its link id or by its Tax ID."""

from __future__ import annotations

from gosocket_tui.db.models import SupplierLink
from gosocket_tui.errors import NotFound
from gosocket_tui.i18n import _
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_session
from gosocket_tui.services.suppliers.rows import (
    SupplierDetail,
    SupplierRow,
    supplier_detail,
    supplier_row,
)
from gosocket_tui.services.taxid import compact_tax_id


def own_link(company_id: int, link_id: int) -> SupplierLink:
    """The link ``link_id`` when the company ``company_id`` holds it; another company's id is
    not found, exactly like an id that does not exist."""
    link = SupplierLink.get_or_none(
        (SupplierLink.id == link_id) & (SupplierLink.buyer == company_id)
    )
    if link is None:
        raise NotFound(_("This supplier is not in your list."))
    return link


def get_supplier(ctx: ServiceContext, session: Session, link_id: int) -> SupplierDetail:
    session = require_session(ctx, session)
    return supplier_detail(own_link(session.company_id, link_id), ctx.clock.now())


def find_supplier(
    ctx: ServiceContext, session: Session, country: str, tax_id: str
) -> SupplierRow | None:
    """The acting company's supplier with this Tax ID (any notation), or None."""
    session = require_session(ctx, session)
    compact = compact_tax_id(country, tax_id)
    link = SupplierLink.get_or_none(
        (SupplierLink.buyer == session.company_id)
        & (SupplierLink.country == country.upper())
        & (SupplierLink.tax_id == compact)
    )
    return supplier_row(link, ctx.clock.now()) if link else None
