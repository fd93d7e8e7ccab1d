"""The acting company's supplier links, found by id, and how the audit trail names one.

Shared by the invitation actions and the delivery log: both must find only the acting
company's suppliers, and both answer another company's id as "not in your list", so nothing
about another company's list leaks.
"""

from __future__ import annotations

from gosocket_tui.db.models import SupplierLink
from gosocket_tui.errors import NotFound
from gosocket_tui.i18n import _


def own_link(company_id: int, link_id: int) -> SupplierLink | None:
    """The link ``link_id`` when it is one of ``company_id``'s suppliers, else None."""
    return SupplierLink.get_or_none(
        (SupplierLink.id == link_id) & (SupplierLink.buyer == company_id)
    )


def link_ref(link: SupplierLink) -> str:
    """``COUNTRY:TAXID`` of a supplier, as the audit trail and the delivery log name it."""
    return f"{link.country}:{link.tax_id}"


def not_in_list() -> NotFound:
    """The answer for a supplier the acting company does not have (or another's id)."""
    return NotFound(_("This supplier is not in your list."))
