"""Change a buyer's contact data for one supplier, or remove the supplier from its list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import Invitation, OutboxMessage, SupplierLink
from gosocket_tui.services import audit
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_admin
from gosocket_tui.services.supplier_language import clean_language
from gosocket_tui.services.suppliers.fields import (
    OPTIONAL_FIELDS,
    clean_optional,
    normalize_email,
    normalize_groups,
)
from gosocket_tui.services.suppliers.lookup import own_link
from gosocket_tui.services.suppliers.rows import SupplierDetail, supplier_detail


@dataclass(frozen=True)
class SupplierUpdate:
    """Contact data a buyer may change; None leaves a field as it is."""

    email: str | None = None
    groups: Sequence[str] | str | None = None
    description: str | None = None
    address: str | None = None
    city: str | None = None
    province: str | None = None
    phone: str | None = None
    fax: str | None = None
    language: str | None = None


def update_supplier(
    ctx: ServiceContext, session: Session, link_id: int, changes: SupplierUpdate
) -> SupplierDetail:
    """Change the buyer's contact data for one supplier (not its identity).

    An empty ``language`` sets the country's default again; mail already queued keeps the
    language it was written in."""
    session = require_admin(ctx, session, "supplier.update")
    values: dict[str, Any] = {}
    if changes.email is not None:
        values["email"] = normalize_email(changes.email)
    if changes.groups is not None:
        values["groups"] = normalize_groups(changes.groups)
    for key in OPTIONAL_FIELDS:
        value = getattr(changes, key)
        if value is not None:
            values[key] = clean_optional(key, value)

    def write() -> SupplierLink:
        link = own_link(session.company_id, link_id)
        if changes.language is not None:
            values["language"] = clean_language(changes.language, link.country)
        if values:
            values["updated_at"] = ctx.clock.now()
            SupplierLink.update(values).where(SupplierLink.id == link.id).execute()
        audit.record(
            ctx,
            session,
            "supplier.update",
            target=f"{link.country}:{link.tax_id}",
            detail=", ".join(sorted(k for k in values if k != "updated_at")),
        )
        return SupplierLink.get_by_id(link.id)

    return supplier_detail(transaction(write), ctx.clock.now())


def remove_supplier(ctx: ServiceContext, session: Session, link_id: int) -> None:
    """Remove the link (the supplier company stays in the network); pending mail is cancelled."""
    session = require_admin(ctx, session, "supplier.remove")

    def write() -> None:
        link = own_link(session.company_id, link_id)
        invitations = Invitation.select(Invitation.id).where(Invitation.link == link.id)
        OutboxMessage.update(status="cancelled").where(
            OutboxMessage.invitation.in_(invitations)
            & OutboxMessage.status.in_(["pending", "sending"])
        ).execute()
        link.delete_instance()
        audit.record(ctx, session, "supplier.remove", target=f"{link.country}:{link.tax_id}")

    transaction(write)
