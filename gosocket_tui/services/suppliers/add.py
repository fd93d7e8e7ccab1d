"""Add a supplier: the company is created when new to the network, then linked to the buyer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import peewee

from gosocket_tui.db.connection import describe_database_error, transaction
from gosocket_tui.db.models import Company, SupplierLink
from gosocket_tui.errors import DatabaseError, Duplicate, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services import audit
from gosocket_tui.services.companies import clean_name, find_company
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_admin
from gosocket_tui.services.supplier_language import clean_language
from gosocket_tui.services.suppliers.fields import (
    OPTIONAL_FIELDS,
    clean_optional,
    normalize_email,
    normalize_groups,
)
from gosocket_tui.services.suppliers.rows import SupplierDetail, supplier_detail
from gosocket_tui.services.taxid import parse_tax_id


@dataclass(frozen=True)
class SupplierInput:
    """The Add Supplier form. ``country``, ``tax_id``, ``name`` and ``email`` are required;
    an empty ``language`` is the country's default (``supplier_language``)."""

    country: str
    tax_id: str
    name: str
    email: str
    description: str = ""
    address: str = ""
    city: str = ""
    province: str = ""
    phone: str = ""
    fax: str = ""
    groups: Sequence[str] | str = ()
    language: str = ""


def add_supplier(ctx: ServiceContext, session: Session, data: SupplierInput) -> SupplierDetail:
    """Add a supplier: create the company when new to the network, link it to the buyer.

    The name typed is the buyer's own until the supplier registers (then the supplier's own
    profile name is shown); whether another buyer has this supplier changes nothing a buyer
    sees: same answer, same name, no hint.

    Duplicates are found on (country, compact Tax ID): "76.086.428-5" and "760864285" are one
    supplier, and Duplicate carries the existing row's id so the table can jump to it.
    """
    session = require_admin(ctx, session, "supplier.add")
    try:
        tax = parse_tax_id(data.country, data.tax_id)
        name = clean_name(data.name)
        email = normalize_email(data.email)
        optional = {key: clean_optional(key, getattr(data, key)) for key in OPTIONAL_FIELDS}
        groups = normalize_groups(data.groups)
        language = clean_language(data.language, tax.country)
    except ValidationError as exc:
        audit.record(
            ctx,
            session,
            "supplier.add",
            target=f"{data.country}:{data.tax_id}"[:60],
            outcome="refused",
            detail=exc.message,
        )
        raise

    def write() -> SupplierLink:
        now = ctx.clock.now()
        company = find_company(tax)
        if company is not None and company.id == session.company_id:
            raise ValidationError(_("A company cannot be its own supplier."), field="tax_id")
        if company is not None:
            existing = SupplierLink.get_or_none(
                (SupplierLink.buyer == session.company_id) & (SupplierLink.supplier == company.id)
            )
            if existing is not None:
                raise Duplicate(
                    _(
                        "{name} ({tax_id}) is already one of your suppliers.",
                        name=existing.name,
                        tax_id=tax.formatted,
                    ),
                    existing_id=existing.id,
                )
        else:
            # No buyer's name on the network's row: until the supplier registers, each
            # buyer's name for it lives on that buyer's link only (SECURITY.md).
            company = Company.create(
                country=tax.country, tax_id=tax.compact, name="", created_at=now
            )
        registered = company.registered_at is not None
        link = SupplierLink.create(
            buyer=session.company_id,
            supplier=company.id,
            country=tax.country,
            tax_id=tax.compact,
            name=company.name if registered else name,
            email=email,
            groups=groups,
            language=language,
            status="registered" if registered else "not_invited",
            status_at=company.registered_at,
            added_by=None if session.is_system else session.user_id,
            added_at=now,
            updated_at=now,
            **optional,
        )
        audit.record(ctx, session, "supplier.add", target=tax.ref)
        return link

    try:
        try:
            link = transaction(write)
        except peewee.IntegrityError:
            # Another session created the same company or link at the same moment (possible
            # on PostgreSQL, where reads do not take SQLite's write lock): run the step again
            # now that its row is visible; it then links or finds the duplicate.
            link = transaction(write)
    except (Duplicate, ValidationError) as exc:
        audit.record(
            ctx, session, "supplier.add", target=tax.ref, outcome="refused", detail=exc.message
        )
        raise
    except peewee.IntegrityError as exc:
        raise DatabaseError(describe_database_error(exc)) from exc
    return supplier_detail(link, ctx.clock.now())
