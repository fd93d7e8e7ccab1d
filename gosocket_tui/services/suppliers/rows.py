"""What a buyer sees of one supplier: a listing row, or the detail with every contact field.

Both are read from the buyer's ``supplier_link`` alone (it carries copies of the supplier's
country, Tax ID and name and the current invitation state).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from gosocket_tui.db.models import SupplierLink
from gosocket_tui.services.supplier_language import default_language
from gosocket_tui.services.suppliers.states import display_state
from gosocket_tui.services.taxid import format_tax_id

SortKey = Literal["tax_id", "name"]


@dataclass(frozen=True)
class SupplierRow:
    id: int
    country: str
    tax_id: str
    tax_id_formatted: str
    name: str
    email: str
    groups: tuple[str, ...]
    state: str
    state_at: datetime | None
    expires_at: datetime | None
    #: Reminders sent for the current invitation (shown as "Invited · reminded 2×").
    reminders: int = 0

    @property
    def registered(self) -> bool:
        return self.state == "registered"

    def key(self, sort: SortKey) -> tuple[str, int]:
        return (self.tax_id if sort == "tax_id" else self.name, self.id)


@dataclass(frozen=True)
class SupplierDetail(SupplierRow):
    description: str = ""
    address: str = ""
    city: str = ""
    province: str = ""
    phone: str = ""
    fax: str = ""
    language: str = "en"
    added_at: datetime | None = None


def supplier_row(link: SupplierLink, now: datetime) -> SupplierRow:
    return SupplierRow(
        id=link.id,
        country=link.country,
        tax_id=link.tax_id,
        tax_id_formatted=format_tax_id(link.country, link.tax_id),
        name=link.name,
        email=link.email,
        groups=tuple(g for g in link.groups.split(",") if g),
        state=display_state(link.status, link.expires_at, now),
        state_at=link.status_at,
        expires_at=link.expires_at,
        reminders=link.reminders,
    )


def supplier_detail(link: SupplierLink, now: datetime) -> SupplierDetail:
    row = supplier_row(link, now)
    return SupplierDetail(
        **{f: getattr(row, f) for f in row.__dataclass_fields__},
        description=link.description,
        address=link.address,
        city=link.city,
        province=link.province,
        phone=link.phone,
        fax=link.fax,
        language=link.language or default_language(link.country),
        added_at=link.added_at,
    )
