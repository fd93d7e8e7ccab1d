"""A buyer's suppliers: list (filtered, keyset-paged), add, edit, remove; and its clients.

Listing reads only ``supplier_link`` and its indexes (the link carries copies of the supplier's
country, Tax ID and name and the current invitation state), so a buyer with a million suppliers
pages as fast as one with ten. Pages are keyset pages: a cursor is the sort key of a row, so a
page costs the same at row 10 and at row 999,990, and "last page" is the first page backwards.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import peewee
from email_validator import EmailNotValidError, validate_email

from gosocket_tui.db.connection import describe_database_error, is_postgres, transaction
from gosocket_tui.db.models import Company, Invitation, OutboxMessage, SupplierLink
from gosocket_tui.errors import DatabaseError, Duplicate, NotFound, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.safe_text import storable
from gosocket_tui.services import audit
from gosocket_tui.services.companies import clean_name, find_company
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_admin, require_session
from gosocket_tui.services.taxid import (
    ZERO_INSIGNIFICANT,
    compact_tax_id,
    format_tax_id,
    parse_tax_id,
    zero_free_prefix,
)

SortKey = Literal["tax_id", "name"]
Direction = Literal["forward", "backward"]
STATUSES = (
    "registered",
    "not_invited",
    "queued",
    "invited",
    "expired",
    "delivery_failed",
    "cancelled",
)
MAX_FIELD = 300
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
    added_at: datetime | None = None


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


@dataclass(frozen=True)
class SupplierInput:
    """The Add Supplier form. ``country``, ``tax_id``, ``name`` and ``email`` are required."""

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


# --- shared helpers -----------------------------------------------------------------------


def display_state(status: str, expires_at: datetime | None, now: datetime) -> str:
    """The state a user sees: 'invited' past its expiry shows as 'expired' (never stored)."""
    if status == "invited" and expires_at is not None and expires_at <= now:
        return "expired"
    return status


def state_label(state: str) -> str:
    """Translated name of a display state."""
    labels = {
        "registered": _("Registered"),
        "not_invited": _("Not invited"),
        "queued": _("Queued"),
        "invited": _("Invited"),
        "expired": _("Expired"),
        "delivery_failed": _("Delivery failed"),
        "cancelled": _("Cancelled"),
    }
    return labels.get(state, state)


def _email_reason(exc: EmailNotValidError) -> str:
    """email-validator's reason, translated when it is one of its fixed sentences; the
    sentences that name characters ("…: SPACE.") translate their fixed start."""
    reason = str(exc)
    head, colon, detail = reason.partition(": ")
    if colon and _(head + ":") != head + ":":
        return f"{_(head + ':')} {detail}"
    return _(reason)


def normalize_email(email: str, *, required: bool = True) -> str:
    """Syntax check only (no DNS lookup): a terminal on a server may have no resolver."""
    text = email.strip()
    if not text:
        if required:
            raise ValidationError(_("The email is required."), field="email")
        return ""
    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValidationError(
            _(
                "Invalid email address {email}: {reason}",
                email=text[:80],
                reason=_email_reason(exc),
            ),
            field="email",
        ) from None


def normalize_groups(groups: Sequence[str] | str) -> str:
    """Groups are stored as one comma-separated, lower-case, de-duplicated string.

    Quotes, backslashes and control characters are dropped: group names are tags, and the
    database's group index reads the string as JSON, where those would break it.
    """
    items = groups.replace(";", ",").split(",") if isinstance(groups, str) else list(groups)
    seen: list[str] = []
    for item in items:
        kept = "".join(ch for ch in item if ch not in '"\\' and unicodedata.category(ch) != "Cc")
        name = " ".join(kept.split()).lower()
        if name and name not in seen:
            seen.append(name[:40])
    return ",".join(seen)


def _clean_optional(name: str, value: str) -> str:
    text = " ".join(value.split())
    if len(text) > MAX_FIELD:
        raise ValidationError(
            _("{field} must have at most {max} characters.", field=name, max=MAX_FIELD),
            field=name,
        )
    return text


def _row(link: SupplierLink, now: datetime) -> SupplierRow:
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
    )


def _detail(link: SupplierLink, now: datetime) -> SupplierDetail:
    row = _row(link, now)
    return SupplierDetail(
        **{f: getattr(row, f) for f in row.__dataclass_fields__},
        description=link.description,
        address=link.address,
        city=link.city,
        province=link.province,
        phone=link.phone,
        fax=link.fax,
        added_at=link.added_at,
    )


def _prefix_condition(column: Any, prefix: str) -> Any:
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


def _position(ctx: ServiceContext, haystack: Any, needle: str) -> Any:
    """1-based position of ``needle`` in ``haystack`` (0 when absent), on either engine."""
    if is_postgres(ctx.db):
        return peewee.fn.strpos(haystack, needle)
    return peewee.fn.instr(haystack, needle)


def _name_condition(ctx: ServiceContext, text: str) -> Any:
    """Name contains ``text``, through the trigram index (FTS5 on SQLite, pg_trgm on PG)."""
    needle = " ".join(text.split())
    if is_postgres(ctx.db):
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return SupplierLink.name.ilike(f"%{escaped}%")
    if len(needle) < MIN_NAME_INDEX_CHARS:
        return _position(ctx, peewee.fn.lower(SupplierLink.name), needle.lower()) > 0
    # Rare words: the trigram index gives the few matching rows, sorted afterwards. Common
    # words (thousands of matches): walking the sorted index and testing each name finds a
    # page of matches sooner than sorting every match would.
    phrase = '"' + needle.replace('"', '""') + '"'
    ids = [
        row[0]
        for row in ctx.db.execute_sql(
            "SELECT rowid FROM supplier_link_fts WHERE supplier_link_fts MATCH ? LIMIT ?",
            (phrase, NAME_INDEX_MAX_IDS + 1),
        )
    ]
    if len(ids) <= NAME_INDEX_MAX_IDS:
        return SupplierLink.id.in_(ids)
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return peewee.NodeList((SupplierLink.name, peewee.SQL("LIKE ? ESCAPE '\\'", (f"%{escaped}%",))))


def _group_condition(ctx: ServiceContext, company_id: int, group: str) -> Any:
    """In group ``group``: few members through the group index, many by testing each row."""
    p = ctx.db.param
    sql = f"SELECT link_id FROM supplier_group WHERE buyer_id = {p} AND name = {p} LIMIT {p}"
    ids = [row[0] for row in ctx.db.execute_sql(sql, (company_id, group, NAME_INDEX_MAX_IDS + 1))]
    if len(ids) <= NAME_INDEX_MAX_IDS:
        return SupplierLink.id.in_(ids)
    wrapped = peewee.Value(",").concat(SupplierLink.groups).concat(",")
    return _position(ctx, wrapped, f",{group},") > 0


def tax_id_prefix_condition(country: Any, tax_id: Any, text: str) -> Any:
    """Tax ID starts with what was typed, in any notation; None when nothing was typed.

    A typed leading zero is also looked up without it in the countries whose canonical form
    drops such zeros ("09.876.543-3" finds the stored "98765433"); elsewhere it is kept.
    """
    cleaned = storable(text)
    prefix = compact_tax_id("", cleaned) if cleaned.strip() else ""
    if not prefix:
        return None
    condition = _prefix_condition(tax_id, prefix)
    unpadded = zero_free_prefix(prefix)
    if unpadded:
        condition = condition | (
            country.in_(list(ZERO_INSIGNIFICANT)) & _prefix_condition(tax_id, unpadded)
        )
    return condition


def _filtered(ctx: ServiceContext, company_id: int, filt: SupplierFilter) -> Any:
    query = SupplierLink.select().where(SupplierLink.buyer == company_id)
    by_tax_id = tax_id_prefix_condition(SupplierLink.country, SupplierLink.tax_id, filt.tax_id)
    if by_tax_id is not None:
        query = query.where(by_tax_id)
    if filt.name.strip():
        query = query.where(_name_condition(ctx, storable(filt.name)))
    if filt.status:
        now = ctx.clock.now()
        if filt.status == "expired":
            query = query.where(
                (SupplierLink.status == "invited") & (SupplierLink.expires_at <= now)
            )
        elif filt.status == "invited":
            query = query.where(
                (SupplierLink.status == "invited") & (SupplierLink.expires_at > now)
            )
        elif filt.status in STATUSES:
            query = query.where(SupplierLink.status == filt.status)
        else:
            raise ValidationError(
                _(
                    "Unknown status {status}. Use one of: {choices}.",
                    status=filt.status,
                    choices=", ".join(STATUSES),
                ),
                field="status",
            )
    group = normalize_groups(storable(filt.group)).split(",")[0]
    if group:
        query = query.where(_group_condition(ctx, company_id, group))
    return query


# --- reading ------------------------------------------------------------------------------


def list_suppliers(
    ctx: ServiceContext,
    session: Session,
    filt: SupplierFilter = SupplierFilter(),
    *,
    cursor: tuple[str, int] | None = None,
    direction: Direction = "forward",
    limit: int = 100,
    inclusive: bool = False,
) -> Page:
    """One keyset page of the acting company's suppliers.

    ``cursor`` is the ``key(sort)`` of the row next to the page; forward returns rows after it
    (or from it with ``inclusive``), backward the rows before it, still in ascending order.
    No cursor: forward is the first page, backward the last.
    """
    session = require_session(ctx, session)
    limit = max(1, min(limit, 1000))
    column = SupplierLink.tax_id if filt.sort == "tax_id" else SupplierLink.name
    query = _filtered(ctx, session.company_id, filt)
    if cursor is not None:
        key = peewee.Tuple(column, SupplierLink.id)
        value = peewee.Tuple(*cursor)
        if direction == "forward":
            query = query.where(key >= value if inclusive else key > value)
        else:
            query = query.where(key <= value if inclusive else key < value)
    if direction == "forward":
        query = query.order_by(column, SupplierLink.id)
    else:
        query = query.order_by(column.desc(), SupplierLink.id.desc())
    links = list(query.limit(limit + 1))
    more = len(links) > limit
    links = links[:limit]
    now = ctx.clock.now()
    rows = [_row(link, now) for link in links]
    if direction == "backward":
        rows.reverse()
        return Page(rows=rows, has_before=more, has_after=cursor is not None)
    return Page(rows=rows, has_before=cursor is not None, has_after=more)


def count_suppliers(
    ctx: ServiceContext, session: Session, filt: SupplierFilter = SupplierFilter()
) -> int:
    """How many suppliers match (may take a moment on big sets; the UI asks separately)."""
    session = require_session(ctx, session)
    return int(_filtered(ctx, session.company_id, filt).count())


def _own_link(session: Session, link_id: int) -> SupplierLink:
    link = SupplierLink.get_or_none(
        (SupplierLink.id == link_id) & (SupplierLink.buyer == session.company_id)
    )
    if link is None:
        raise NotFound(_("This supplier is not in your list."))
    return link


def get_supplier(ctx: ServiceContext, session: Session, link_id: int) -> SupplierDetail:
    session = require_session(ctx, session)
    return _detail(_own_link(session, link_id), ctx.clock.now())


def locate_supplier(
    ctx: ServiceContext, session: Session, filt: SupplierFilter, link_id: int
) -> SupplierLocation:
    """How to show this supplier ("show me this one", e.g. after adding it): ``filt`` when it
    lists the supplier, else no filter in the same sort; and the supplier's key in that listing
    (the page around it starts there)."""
    session = require_session(ctx, session)
    link = _own_link(session, link_id)
    if not _filtered(ctx, session.company_id, filt).where(SupplierLink.id == link.id).exists():
        filt = SupplierFilter(sort=filt.sort)
    return SupplierLocation(filt, _row(link, ctx.clock.now()).key(filt.sort))


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
    return _row(link, ctx.clock.now()) if link else None


# --- writing ------------------------------------------------------------------------------


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
        optional = {
            key: _clean_optional(key, getattr(data, key))
            for key in ("description", "address", "city", "province", "phone", "fax")
        }
        groups = normalize_groups(data.groups)
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
    return _detail(link, ctx.clock.now())


def update_supplier(
    ctx: ServiceContext, session: Session, link_id: int, changes: SupplierUpdate
) -> SupplierDetail:
    """Change the buyer's contact data for one supplier (not its identity)."""
    session = require_admin(ctx, session, "supplier.update")
    values: dict[str, Any] = {}
    if changes.email is not None:
        values["email"] = normalize_email(changes.email)
    if changes.groups is not None:
        values["groups"] = normalize_groups(changes.groups)
    for key in ("description", "address", "city", "province", "phone", "fax"):
        value = getattr(changes, key)
        if value is not None:
            values[key] = _clean_optional(key, value)

    def write() -> SupplierLink:
        link = _own_link(session, link_id)
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

    return _detail(transaction(write), ctx.clock.now())


def remove_supplier(ctx: ServiceContext, session: Session, link_id: int) -> None:
    """Remove the link (the supplier company stays in the network); pending mail is cancelled."""
    session = require_admin(ctx, session, "supplier.remove")

    def write() -> None:
        link = _own_link(session, link_id)
        invitations = Invitation.select(Invitation.id).where(Invitation.link == link.id)
        OutboxMessage.update(status="cancelled").where(
            OutboxMessage.invitation.in_(invitations)
            & OutboxMessage.status.in_(["pending", "sending"])
        ).execute()
        link.delete_instance()
        audit.record(ctx, session, "supplier.remove", target=f"{link.country}:{link.tax_id}")

    transaction(write)


# --- clients ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientFilter:
    tax_id: str = ""
    name: str = ""


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
    limit = max(1, min(limit, 1000))
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
    key = peewee.Tuple(Company.tax_id, SupplierLink.id)
    if cursor is not None:
        query = query.where(
            key > peewee.Tuple(*cursor) if direction == "forward" else key < peewee.Tuple(*cursor)
        )
    if direction == "forward":
        query = query.order_by(Company.tax_id, SupplierLink.id)
    else:
        query = query.order_by(Company.tax_id.desc(), SupplierLink.id.desc())
    links = list(query.limit(limit + 1))
    more = len(links) > limit
    rows = [
        ClientRow(
            id=link.id,
            country=link.buyer.country,
            tax_id=link.buyer.tax_id,
            tax_id_formatted=format_tax_id(link.buyer.country, link.buyer.tax_id),
            name=link.buyer.name,
            since=link.added_at,
        )
        for link in links[:limit]
    ]
    if direction == "backward":
        rows.reverse()
        return ClientPage(rows=rows, has_before=more, has_after=cursor is not None)
    return ClientPage(rows=rows, has_before=cursor is not None, has_after=more)
