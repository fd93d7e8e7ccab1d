"""Writing decided rows: companies, supplier links, audit rows and invitations, in bulk.

Rows are written ``WRITE_ROWS`` at a time with cursor ``executemany`` (``db/bulk.py``), inside
the import's one transaction, so a million rows stay within the benchmark's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from gosocket_tui.db import bulk as fast
from gosocket_tui.db.models import Company, SupplierLink
from gosocket_tui.i18n import translate
from gosocket_tui.mail.compose import make_message_id
from gosocket_tui.services import invitation_queue
from gosocket_tui.services.bulk.checks import Candidate
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import OPTIONAL_FIELDS

WRITE_ROWS: Final = 5_000  # rows per executemany batch

_LINK_COLUMNS: Final = (
    "buyer_id",
    "supplier_id",
    "country",
    "tax_id",
    "name",
    "email",
    "description",
    "address",
    "city",
    "province",
    "phone",
    "fax",
    "groups",
    "status",
    "status_at",
    "added_by_id",
    "added_at",
    "updated_at",
)
# An empty cell keeps the stored value: ``update`` never erases what the buyer typed before.
_UPDATE_SQL: Final = (
    "UPDATE supplier_link SET email = ?, "
    + ", ".join(f"{name} = COALESCE(NULLIF(?, ''), {name})" for name in OPTIONAL_FIELDS)
    + ", groups = COALESCE(NULLIF(?, ''), groups), updated_at = ? WHERE id = ?"
)
_INVITATION_COLUMNS: Final = (
    "link_id",
    "buyer_id",
    "supplier_id",
    "email",
    "language",
    "status",
    "attempts",
    "created_at",
    "invited_by_id",
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
_AUDIT_COLUMNS: Final = (
    "at",
    "actor_id",
    "actor_name",
    "company_id",
    "action",
    "target",
    "outcome",
    "detail",
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
        self.lang = invitation_queue.mail_language(self.actor_id)
        buyer = Company.get_or_none(Company.id == session.company_id)
        self.buyer_name = buyer.name if buyer is not None else session.company_name
        domain = invitation_queue.mail_domain(ctx.config.smtp_sender)
        try:
            make_message_id(domain, "probe")
        except ValueError:
            domain = invitation_queue.FALLBACK_MAIL_DOMAIN
        self.mail_domain = domain
        self.subject = translate(
            invitation_queue.SUBJECT, self.lang, buyer=" ".join(self.buyer_name.split())
        )
        self.pending: list[Action] = []
        self.added = 0
        self.updated = 0
        self.skipped = 0
        self.invitations = 0

    def add(self, action: Action) -> None:
        if action.kind == "skip":
            self.skipped += 1
            return
        self.pending.append(action)
        if len(self.pending) >= WRITE_ROWS:
            self.flush()

    def flush(self) -> None:
        actions, self.pending = self.pending, []
        if not actions:
            return
        adds = [a for a in actions if a.kind == "add"]
        updates = [a for a in actions if a.kind == "update"]
        self._create_companies([a for a in adds if a.company is None])
        link_of = self._insert_links(adds)
        if updates:
            fast.update_rows(
                self.db,
                _UPDATE_SQL,
                [
                    (
                        a.candidate.email,
                        *a.candidate.optional,
                        a.candidate.groups,
                        self.now_db,
                        a.link.id,
                    )
                    for a in updates
                    if a.link is not None
                ],
            )
            self.updated += len(updates)
        self._audit(actions)
        self._queue_new([(a, link_of[a.candidate.key]) for a in adds if a.invite])
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
                        email=a.candidate.email,
                    )
                    for a in again
                    if a.link is not None
                ],
                self.lang,
                self.buyer_name,
                self.now,
                invited_by=self.actor_id,
            )
            self.invitations += len(again)

    def _create_companies(self, actions: list[Action]) -> None:
        """Companies new to the network; their ids come back by (country, Tax ID)."""
        if not actions:
            return
        returned = fast.insert_returning(
            self.db,
            "company",
            ("country", "tax_id", "name", "registered_at", "created_at"),
            [(a.candidate.country, a.candidate.compact, "", None, self.now_db) for a in actions],
            ("id", "country", "tax_id"),
        )
        ids = {f"{country}:{tax_id}": int(cid) for cid, country, tax_id in returned}
        for action in actions:
            action.company = NetworkCompany(ids[action.candidate.key], "", None)

    def _insert_links(self, adds: list[Action]) -> dict[str, int]:
        """The new supplier links; returns link id by "CC:compact".

        A link that gets its invitation now is written as 'queued' at once, which is what the
        invitations service would set right after.
        """
        if not adds:
            return {}
        rows = []
        for action in adds:
            c = action.candidate
            company = action.company
            assert company is not None
            if company.registered_at is not None:
                status, status_at = "registered", fast.db_datetime(self.db, company.registered_at)
            elif action.invite:
                status, status_at = "queued", self.now_db
            else:
                status, status_at = "not_invited", None
            rows.append(
                (
                    self.session.company_id,
                    company.id,
                    c.country,
                    c.compact,
                    company.name if company.registered_at is not None else c.name,
                    c.email,
                    *c.optional,
                    c.groups,
                    status,
                    status_at,
                    self.added_by,
                    self.now_db,
                    self.now_db,
                )
            )
        returned = fast.insert_returning(
            self.db, "supplier_link", _LINK_COLUMNS, rows, ("id", "country", "tax_id")
        )
        self.added += len(adds)
        return {f"{country}:{tax_id}": int(link) for link, country, tax_id in returned}

    def _audit(self, actions: list[Action]) -> None:
        """One audit row per written supplier: who, which Tax ID, from which file row."""
        actor = self.session.username
        where = f"import {self.file_name[:200]} row "
        fast.insert_rows(
            self.db,
            "audit_event",
            _AUDIT_COLUMNS,
            [
                (
                    self.now_db,
                    self.actor_id,
                    actor,
                    self.session.company_id,
                    "supplier.add" if a.kind == "add" else "supplier.update",
                    a.candidate.key,
                    "ok",
                    where + str(a.candidate.row),
                )
                for a in actions
            ],
        )

    def _queue_new(self, pairs: list[tuple[Action, int]]) -> None:
        """Invitations and outbox messages of brand-new links, with cursor inserts.

        The same rows ``invitation_queue.queue_invitations`` writes (status 'queued', no code yet:
        the deliverer creates it when it sends), minus its superseding step, which a link
        created in this transaction cannot need. That function builds peewee rows one by one,
        ~100 µs each: too slow for a file where every row says Notify=1.
        """
        if not pairs:
            return
        db = self.db
        buyer = self.session.company_id
        returned = fast.insert_returning(
            db,
            "invitation",
            _INVITATION_COLUMNS,
            [
                (
                    link_id,
                    buyer,
                    a.company.id if a.company else 0,
                    a.candidate.email,
                    self.lang,
                    "queued",
                    0,
                    self.now_db,
                    self.added_by,
                )
                for a, link_id in pairs
            ],
            ("id", "link_id"),
        )
        invitation_of = {int(link): int(inv) for inv, link in returned}
        fast.insert_rows(
            db,
            "outbox_message",
            _OUTBOX_COLUMNS,
            [
                (
                    buyer,
                    invitation_of[link_id],
                    invitation_queue.KIND_INVITATION,
                    a.candidate.email,
                    self.subject,
                    self.lang,
                    self._message_id(invitation_of[link_id]),
                    "pending",
                    0,
                    self.now_db,
                    self.now_db,
                )
                for a, link_id in pairs
            ],
        )
        self.invitations += len(pairs)

    def _message_id(self, invitation_id: int) -> str:
        """``invitation_queue.new_message_id`` with the sender's domain parsed once, not per row."""
        token = f"invitation-{invitation_id}-{self.ctx.rng.token_bytes(12).hex()}"
        return make_message_id(self.mail_domain, token)
