"""Writing decided rows: companies, supplier links, audit rows and invitations, as set operations.

Each batch of ``WRITE_ROWS`` decided rows is loaded into a temporary staging table
(``db/bulk.stage``: COPY on PostgreSQL) and moved with one ``INSERT … SELECT`` (or
``UPDATE … FROM``) per table, inside the import's one transaction: the companies new to the
network, the supplier links (their company ids resolved by one key lookup each, in the same
statement set), the updates of existing links, one audit row per written supplier, the
invitations of ``Notify=1`` rows and their outbox messages. The name-search and group
indexes of the new links follow per set too (``db/bulk.link_triggers_deferred``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from gosocket_tui.db import bulk as fast
from gosocket_tui.db.connection import is_postgres
from gosocket_tui.db.models import Company, SupplierLink
from gosocket_tui.mail.compose import make_message_id
from gosocket_tui.services import invitation_queue
from gosocket_tui.services.bulk.checks import Candidate
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.supplier_language import default_language
from gosocket_tui.services.suppliers import OPTIONAL_FIELDS

WRITE_ROWS: Final = 5_000  # rows per staged batch

STAGE: Final = "bulk_import_stage"
# One row per written supplier. ``name`` is the name its link shows; ``company_id`` is known
# for existing companies and filled for new ones; ``link_id`` is the existing link (update)
# or filled once the new link is written (add).
_STAGE_COLUMNS: Final = (
    ("seq", "int"),
    ("file_row", "int"),
    ("kind", "text"),
    ("invite", "int"),
    ("country", "text"),
    ("compact", "text"),
    ("company_id", "int"),
    ("link_id", "int"),
    ("name", "text"),
    ("email", "text"),
    *((name, "text") for name in OPTIONAL_FIELDS),
    ("groups", "text"),
    ("language", "text"),
    ("status", "text"),
    ("status_at", "ts"),
)
_OPTIONAL: Final = ", ".join(OPTIONAL_FIELDS)

_NEW_COMPANIES_SQL: Final = (
    "INSERT INTO company (country, tax_id, name, created_at) "
    f"SELECT country, compact, '', ? FROM {STAGE} "
    "WHERE kind = 'add' AND company_id IS NULL ORDER BY seq"
)
_COMPANY_IDS_SQL: Final = (
    f"UPDATE {STAGE} SET company_id = (SELECT c.id FROM company AS c "
    f"WHERE c.country = {STAGE}.country AND c.tax_id = {STAGE}.compact) "
    "WHERE kind = 'add' AND company_id IS NULL"
)
_NEW_LINKS_SQL: Final = (
    "INSERT INTO supplier_link (buyer_id, supplier_id, country, tax_id, name, email, "
    f"{_OPTIONAL}, groups, language, status, status_at, added_by_id, added_at, updated_at) "
    f"SELECT ?, company_id, country, compact, name, email, {_OPTIONAL}, groups, language, "
    f"status, status_at, CAST(? AS BIGINT), ?, ? FROM {STAGE} WHERE kind = 'add' ORDER BY seq"
)
_LINK_IDS_SQL: Final = (
    f"UPDATE {STAGE} SET link_id = (SELECT l.id FROM supplier_link AS l "
    f"WHERE l.buyer_id = ? AND l.supplier_id = {STAGE}.company_id) WHERE kind = 'add'"
)
_NEW_LINKS: Final = (
    f"(SELECT link_id AS id, CAST(? AS BIGINT) AS buyer_id, name, groups, status FROM {STAGE} "
    "WHERE kind = 'add')"
)
# PostgreSQL does the same in one statement: data-modifying CTEs hand the new companies'
# ids to the links and the links' ids to the invitations (hash joins on the batch), where
# SQLite fills the staging table's id columns with one indexed lookup per row.
_PG_ADD_SQL: Final = (
    "WITH made AS (INSERT INTO company (country, tax_id, name, created_at) "
    f"SELECT country, compact, '', ? FROM {STAGE} "
    "WHERE kind = 'add' AND company_id IS NULL ORDER BY seq RETURNING id, country, tax_id), "
    "added AS (INSERT INTO supplier_link (buyer_id, supplier_id, country, tax_id, name, email, "
    f"{_OPTIONAL}, groups, language, status, status_at, added_by_id, added_at, updated_at) "
    "SELECT ?, COALESCE(s.company_id, made.id), s.country, s.compact, s.name, s.email, "
    + ", ".join(f"s.{name}" for name in OPTIONAL_FIELDS)
    + ", s.groups, s.language, s.status, s.status_at, CAST(? AS BIGINT), ?, ? "
    f"FROM {STAGE} AS s LEFT JOIN made ON made.country = s.country AND made.tax_id = s.compact "
    "WHERE s.kind = 'add' ORDER BY s.seq RETURNING id, supplier_id, country, tax_id) "
    "INSERT INTO invitation (link_id, buyer_id, supplier_id, email, language, status, "
    "attempts, created_at, invited_by_id) "
    "SELECT added.id, ?, added.supplier_id, s.email, s.language, 'queued', 0, ?, "
    f"CAST(? AS BIGINT) FROM added JOIN {STAGE} AS s ON s.country = added.country "
    "AND s.compact = added.tax_id WHERE s.kind = 'add' AND s.invite = 1 ORDER BY s.seq "
    "RETURNING id, email, language"
)
# An empty cell keeps the stored value: ``update`` never erases what the buyer typed before.
_UPDATE_SQL: Final = (
    "UPDATE supplier_link SET email = s.email, "
    + ", ".join(
        f"{name} = COALESCE(NULLIF(s.{name}, ''), supplier_link.{name})"
        for name in (*OPTIONAL_FIELDS, "groups", "language")
    )
    + f", updated_at = ? FROM {STAGE} AS s "
    "WHERE s.kind = 'update' AND supplier_link.id = s.link_id"
)
_AUDIT_SQL: Final = (
    "INSERT INTO audit_event (at, actor_id, actor_name, company_id, action, target, outcome, "
    "detail) SELECT ?, CAST(? AS BIGINT), ?, ?, "
    "CASE kind WHEN 'add' THEN 'supplier.add' ELSE 'supplier.update' END, "
    f"country || ':' || compact, 'ok', ? || CAST(file_row AS TEXT) FROM {STAGE} ORDER BY seq"
)
_NEW_INVITATIONS_SQL: Final = (
    "INSERT INTO invitation (link_id, buyer_id, supplier_id, email, language, status, "
    "attempts, created_at, invited_by_id) "
    "SELECT link_id, ?, company_id, email, language, 'queued', 0, ?, CAST(? AS BIGINT) "
    f"FROM {STAGE} WHERE kind = 'add' AND invite = 1 ORDER BY seq RETURNING id, email, language"
)
_OUTBOX_COLUMNS: Final = (
    "buyer_id",
    "invitation_id",
    "kind",
    "recipient",
    "subject",
    "language",
    "message_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


@dataclass(slots=True)
class Known:
    """An existing supplier link of the acting company, as the import needs it."""

    id: int
    supplier_id: int
    name: str
    status: str
    expires_at: datetime | None
    registered: bool
    language: str


@dataclass(slots=True)
class NetworkCompany:
    id: int
    name: str
    registered_at: datetime | None


@dataclass(slots=True)
class Action:
    """What to do with one valid row, decided once its lookups are done."""

    candidate: Candidate
    kind: Literal["add", "update", "skip"]
    invite: bool
    company: NetworkCompany | None = None
    link: Known | None = None


class Writer:
    """Writes decided rows, ``WRITE_ROWS`` at a time, inside the caller's transaction."""

    def __init__(self, ctx: ServiceContext, session: Session, file_name: str) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.session = session
        self.file_name = file_name
        self.now = ctx.clock.now()
        self.now_db = fast.db_datetime(self.db, self.now)
        self.added_by = None if session.is_system else session.user_id
        self.actor_id = None if session.is_system else session.user_id
        buyer = Company.get_or_none(Company.id == session.company_id)
        self.buyer_name = buyer.name if buyer is not None else session.company_name
        domain = invitation_queue.mail_domain(ctx.config.smtp_sender)
        try:
            make_message_id(domain, "probe")
        except ValueError:
            domain = invitation_queue.FALLBACK_MAIL_DOMAIN
        self.mail_domain = domain
        self.subjects = invitation_queue.subjects(self.buyer_name)
        self.pending: list[Action] = []
        self.added = 0
        self.updated = 0
        self.skipped = 0
        self.invitations = 0
        # PostgreSQL: statistics refreshed after the first batch, then each time this import
        # has made the links table four times as large (a few ANALYZE for a million rows).
        postgres = is_postgres(self.db)
        self.analyze_at = (
            max(WRITE_ROWS, fast.planned_rows(self.db, "supplier_link")) if postgres else 0
        )

    def add(self, action: Action) -> None:
        if action.kind == "skip":
            self.skipped += 1
            return
        self.pending.append(action)
        if len(self.pending) >= WRITE_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows: stage them, then one set-based statement per table."""
        actions, self.pending = self.pending, []
        if not actions:
            return
        db = self.db
        fast.stage(db, STAGE, _STAGE_COLUMNS, [self._staged(n, a) for n, a in enumerate(actions)])
        adds = [a for a in actions if a.kind == "add"]
        updates = [a for a in actions if a.kind == "update"]
        made: list[tuple[Any, ...]] = []
        if adds:
            made = self._add(adds)
        if updates:
            fast.run(db, _UPDATE_SQL, [self.now_db])
            self.updated += len(updates)
        fast.run(
            db,
            _AUDIT_SQL,
            [
                self.now_db,
                self.actor_id,
                self.session.username,
                self.session.company_id,
                f"import {self.file_name[:200]} row ",
            ],
        )
        self._queue_mail(made)
        fast.drop_stage(db, STAGE)
        if self.analyze_at and self.added >= self.analyze_at:
            fast.analyze(db, ("company", "supplier_link"))
            self.analyze_at *= 4
        again = [a for a in updates if a.invite and a.link is not None]
        if again:
            # Existing suppliers may hold an open invitation to supersede: the service's own
            # queue function does that (and is fast enough for the few rows an update has).
            invitation_queue.queue_invitations(
                self.ctx,
                [
                    SupplierLink(
                        id=a.link.id,
                        buyer_id=self.session.company_id,
                        supplier_id=a.link.supplier_id,
                        country=a.candidate.country,
                        email=a.candidate.email,
                        language=a.candidate.language or a.link.language,
                    )
                    for a in again
                    if a.link is not None
                ],
                self.buyer_name,
                self.now,
                invited_by=self.actor_id,
            )
            self.invitations += len(again)

    def _staged(self, seq: int, action: Action) -> tuple[Any, ...]:
        """The staging row of one action (see ``_STAGE_COLUMNS``).

        A registered company's link shows its own profile name and is 'registered'; a link
        that gets its invitation now is written as 'queued' at once, which is what the
        invitations service would set right after. An empty Language cell is the country's
        default for a new supplier and keeps the stored language of an existing one.
        """
        c = action.candidate
        company_id: int | None = None
        link_id: int | None = None
        name, status, status_at = c.name, "not_invited", None
        if action.kind == "update":
            assert action.link is not None
            company_id, link_id = action.link.supplier_id, action.link.id
        elif action.company is not None:
            company_id = action.company.id
            if action.company.registered_at is not None:
                name = action.company.name
                status = "registered"
                status_at = fast.db_datetime(self.db, action.company.registered_at)
        if status == "not_invited" and action.kind == "add" and action.invite:
            status, status_at = "queued", self.now_db
        return (
            seq,
            c.row,
            action.kind,
            1 if action.invite else 0,
            c.country,
            c.compact,
            company_id,
            link_id,
            name,
            c.email,
            *c.optional,
            c.groups,
            c.language or (default_language(c.country) if action.kind == "add" else ""),
            status,
            status_at,
        )

    def _add(self, adds: list[Action]) -> list[tuple[Any, ...]]:
        """Companies new to the network, the new links, their indexes and invitations.

        Invitations are written for the links that say Notify=1: the same rows
        ``invitation_queue.queue_invitations`` writes (status 'queued', no code yet: the
        deliverer creates it when it sends), minus its superseding step, which a link created
        in this transaction cannot need. Returns (invitation id, email, language) of each.
        """
        db = self.db
        buyer = self.session.company_id
        invitation = [buyer, self.now_db, self.added_by]
        self.added += len(adds)
        if is_postgres(db):
            # The group trigger works per statement; the name index is the table's own.
            return fast.run(
                db,
                _PG_ADD_SQL,
                [self.now_db, buyer, self.added_by, self.now_db, self.now_db, *invitation],
            )
        if any(a.company is None for a in adds):
            fast.run(db, _NEW_COMPANIES_SQL, [self.now_db])
            fast.run(db, _COMPANY_IDS_SQL)
        with fast.link_triggers_deferred(db) as index_links:
            fast.run(db, _NEW_LINKS_SQL, [buyer, self.added_by, self.now_db, self.now_db])
            fast.run(db, _LINK_IDS_SQL, [buyer])
            index_links(_NEW_LINKS, [buyer])
        if not any(a.invite for a in adds):
            return []
        return fast.run(db, _NEW_INVITATIONS_SQL, invitation)

    def _queue_mail(self, made: list[tuple[Any, ...]]) -> None:
        """The outbox message of each new invitation (its Message-ID is made here, per id)."""
        buyer = self.session.company_id
        fast.insert_rows(
            self.db,
            "outbox_message",
            _OUTBOX_COLUMNS,
            [
                (
                    buyer,
                    int(invitation_id),
                    invitation_queue.KIND_INVITATION,
                    email,
                    self.subjects.get(language, self.subjects["en"]),
                    language,
                    self._message_id(int(invitation_id)),
                    "pending",
                    0,
                    self.now_db,
                    self.now_db,
                )
                for invitation_id, email, language in made
            ],
        )
        self.invitations += len(made)

    def _message_id(self, invitation_id: int) -> str:
        """``invitation_queue.new_message_id`` with the sender's domain parsed once, not per row."""
        token = f"invitation-{invitation_id}-{self.ctx.rng.token_bytes(12).hex()}"
        return make_message_id(self.mail_domain, token)
