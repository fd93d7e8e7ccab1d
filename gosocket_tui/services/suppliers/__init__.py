"""A buyer's suppliers: list (filtered, keyset-paged), add, edit, remove; and its clients.

One module per concept: ``states`` (the states a supplier shows in), ``fields`` (cleaning the
contact fields a buyer types), ``rows`` (a listing row and the detail, read from the link),
``filters`` (the filter and its index-served conditions), ``keyset`` (keyset pages),
``listing`` (pages, counts, and where one supplier shows), ``lookup`` (one supplier by id or
Tax ID), ``add``, ``edit`` (change contact data, remove) and ``clients`` (the companies that
buy from the acting company).

Callers import from here; the modules are the package's own business.
"""

from gosocket_tui.services.suppliers.add import SupplierInput, add_supplier
from gosocket_tui.services.suppliers.clients import (
    ClientFilter,
    ClientPage,
    ClientRow,
    list_clients,
)
from gosocket_tui.services.suppliers.edit import SupplierUpdate, remove_supplier, update_supplier
from gosocket_tui.services.suppliers.fields import (
    MAX_FIELD,
    OPTIONAL_FIELDS,
    normalize_email,
    normalize_groups,
)
from gosocket_tui.services.suppliers.filters import SupplierFilter
from gosocket_tui.services.suppliers.keyset import Direction
from gosocket_tui.services.suppliers.listing import (
    Page,
    SupplierLocation,
    count_suppliers,
    list_suppliers,
    locate_supplier,
)
from gosocket_tui.services.suppliers.lookup import find_supplier, get_supplier
from gosocket_tui.services.suppliers.rows import SortKey, SupplierDetail, SupplierRow
from gosocket_tui.services.suppliers.states import (
    STATUSES,
    display_state,
    invitation_label,
    state_label,
)

__all__ = [
    "MAX_FIELD",
    "OPTIONAL_FIELDS",
    "STATUSES",
    "ClientFilter",
    "ClientPage",
    "ClientRow",
    "Direction",
    "Page",
    "SortKey",
    "SupplierDetail",
    "SupplierFilter",
    "SupplierInput",
    "SupplierLocation",
    "SupplierRow",
    "SupplierUpdate",
    "add_supplier",
    "count_suppliers",
    "display_state",
    "find_supplier",
    "get_supplier",
    "invitation_label",
    "list_clients",
    "list_suppliers",
    "locate_supplier",
    "normalize_email",
    "normalize_groups",
    "remove_supplier",
    "state_label",
    "update_supplier",
]
