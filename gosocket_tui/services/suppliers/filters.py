"""What the Suppliers tab and ``suppliers list`` filter on, as conditions the indexes serve.

Each condition is written for an index: the Tax ID prefix as a range on the link's Tax ID
index, a name through the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) and a group
through the group index, with a row-by-row test where a word or group matches thousands.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from gosocket_tui.db.connection import is_postgres
from gosocket_tui.db.models import SupplierLink
from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.safe_text import storable
from gosocket_tui.services.suppliers.rows import SortKey
from gosocket_tui.services.suppliers.states import STATUSES
from gosocket_tui.services.taxid import ZERO_INSIGNIFICANT, compact_tax_id, zero_free_prefix

MIN_NAME_INDEX_CHARS = 3  # the trigram index needs at least three characters
NAME_INDEX_MAX_IDS = 5000


@dataclass(frozen=True)
class SupplierFilter:
    """What the Suppliers tab and ``suppliers list`` filter on; empty means no filter."""

    tax_id: str = ""
    name: str = ""
    status: str = ""
    group: str = ""
    sort: SortKey = "tax_id"


def prefix_condition(column: Any, prefix: str) -> Any:
    """``column`` starts with ``prefix``, as a range the index can serve.

    Valid for any prefix: the upper bound skips surrogates and is left open after U+10FFFF
    (a pasted non-character must give an empty result, not a ValueError).
    """
    upper = prefix
    while upper:
        code = ord(upper[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= sys.maxunicode:
            return (column >= prefix) & (column < upper[:-1] + chr(code))
        upper = upper[:-1]
    return column >= prefix


def tax_id_prefix_condition(country: Any, tax_id: Any, text: str) -> Any:
    """Tax ID starts with what was typed, in any notation; None when nothing was typed.

    A typed leading zero is also looked up without it in the countries whose canonical form
    drops such zeros ("09.876.543-3" finds the stored "98765433"); elsewhere it is kept.
    """
    cleaned = storable(text)
    prefix = compact_tax_id("", cleaned) if cleaned.strip() else ""
    if not prefix:
        return None
    condition = prefix_condition(tax_id, prefix)
    unpadded = zero_free_prefix(prefix)
    if unpadded:
        condition = condition | (
            country.in_(list(ZERO_INSIGNIFICANT)) & prefix_condition(tax_id, unpadded)
        )
    return condition


def position(db: peewee.Database, haystack: Any, needle: str) -> Any:
    """1-based position of ``needle`` in ``haystack`` (0 when absent), on either engine."""
    if is_postgres(db):
        return peewee.fn.strpos(haystack, needle)
    return peewee.fn.instr(haystack, needle)


def name_condition(db: peewee.Database, text: str) -> Any:
    """Name contains ``text``, through the trigram index (FTS5 on SQLite, pg_trgm on PG)."""
    needle = " ".join(text.split())
    if is_postgres(db):
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return SupplierLink.name.ilike(f"%{escaped}%")
    if len(needle) < MIN_NAME_INDEX_CHARS:
        return position(db, peewee.fn.lower(SupplierLink.name), needle.lower()) > 0
    # Rare words: the trigram index gives the few matching rows, sorted afterwards. Common
    # words (thousands of matches): walking the sorted index and testing each name finds a
    # page of matches sooner than sorting every match would.
    phrase = '"' + needle.replace('"', '""') + '"'
    ids = [
        row[0]
        for row in db.execute_sql(
            "SELECT rowid FROM supplier_link_fts WHERE supplier_link_fts MATCH ? LIMIT ?",
            (phrase, NAME_INDEX_MAX_IDS + 1),
        )
    ]
    if len(ids) <= NAME_INDEX_MAX_IDS:
        return SupplierLink.id.in_(ids)
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return peewee.NodeList((SupplierLink.name, peewee.SQL("LIKE ? ESCAPE '\\'", (f"%{escaped}%",))))


def status_condition(status: str, now: datetime) -> Any:
    """In state ``status`` at ``now``; the listing sweeps expired codes first
    (``services/expiry.py``), so "expired" is the stored state. An invitation that expired
    since is still kept out of "invited" (an index range on the same row, nearly free)."""
    if status == "invited":
        return (SupplierLink.status == "invited") & (SupplierLink.expires_at > now)
    if status in STATUSES:
        return SupplierLink.status == status
    raise ValidationError(
        _(
            "Unknown status {status}. Use one of: {choices}.",
            status=status,
            choices=", ".join(STATUSES),
        ),
        field="status",
    )


def group_condition(db: peewee.Database, company_id: int, group: str) -> Any:
    """In group ``group``: few members through the group index, many by testing each row."""
    p = db.param
    sql = f"SELECT link_id FROM supplier_group WHERE buyer_id = {p} AND name = {p} LIMIT {p}"
    ids = [row[0] for row in db.execute_sql(sql, (company_id, group, NAME_INDEX_MAX_IDS + 1))]
    if len(ids) <= NAME_INDEX_MAX_IDS:
        return SupplierLink.id.in_(ids)
    wrapped = peewee.Value(",").concat(SupplierLink.groups).concat(",")
    return position(db, wrapped, f",{group},") > 0
