"""The onboarding overview of the acting company: funnel, time to activation, weekly activity,
and the oldest invitations still waiting.

Every figure is an SQL aggregate or a LIMITed query, so a company with a million suppliers
costs a few index scans, never a load of its rows; the queries are the same on SQLite and
PostgreSQL but for the difference of two timestamps (:func:`_activation_order`).

The funnel is a partition of the company's suppliers by the state they show in: not invited,
invited (queued or sent, code still valid), registered, and beside them expired, delivery
failed and cancelled; the six counts add up to the total. "Expired" counts a stored
``expired`` state and an ``invited`` one past its expiry alike, so the figure is right
whether or not expiry has been stored as a state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import peewee

from gosocket_tui.db.connection import is_postgres, transaction
from gosocket_tui.db.models import (
    Invitation,
    InvitationDayCount,
    SupplierLink,
    SupplierStateCount,
)
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_session
from gosocket_tui.services.suppliers.rows import SupplierRow, supplier_row
from gosocket_tui.services.suppliers.states import STATUSES

WEEKS = 12
OLDEST_PENDING = 10
PENDING_STATES = ("queued", "invited", "expired")  # stored states still waiting for the supplier
FUNNEL = ("not_invited", "invited", "registered")
STORED_STATES = STATUSES  # "expired" too: counted whether or not expiry is stored as a state
BESIDE = ("expired", "delivery_failed", "cancelled")


@dataclass(frozen=True)
class WeekCount:
    """One week (Monday 00:00 UTC onwards): invitations sent and activations in it."""

    start: date
    invited: int
    activated: int


@dataclass(frozen=True)
class PendingInvitation:
    """An invitation still waiting for its supplier; ``row`` carries the supplier's state."""

    row: SupplierRow
    invited_at: datetime | None
    age_days: int


@dataclass(frozen=True)
class Overview:
    total: int
    counts: dict[str, int]  # every state of FUNNEL and BESIDE
    activations: int  # activations with a known send time: the basis of the two figures below
    median_days: float | None
    p90_days: float | None
    weeks: list[WeekCount]
    oldest_pending: list[PendingInvitation]

    def percent(self, state: str) -> float:
        """Share of the company's suppliers in ``state`` (0 for a company without any)."""
        return 100.0 * self.counts[state] / self.total if self.total else 0.0


def overview(ctx: ServiceContext, session: Session) -> Overview:
    """The acting company's onboarding figures at the clock's now, all read from one snapshot
    of the database: the stored counts and the index ranges they are combined with agree (no
    state counted below zero, no percentile rank past the activations counted) whatever
    commits meanwhile."""

    def read() -> Overview:
        if is_postgres(ctx.db):  # SQLite's read transaction is one snapshot already
            ctx.db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        current = require_session(ctx, session)
        company_id = current.company_id
        now = ctx.clock.now()
        counts, total = _state_counts(company_id, now)
        activations, median, p90 = _time_to_activation(ctx.db, company_id)
        return Overview(
            total=total,
            counts=counts,
            activations=activations,
            median_days=median,
            p90_days=p90,
            weeks=_weeks(company_id, now),
            oldest_pending=_oldest_pending(company_id, now),
        )

    return transaction(read, write=False, db=ctx.db)


def _state_counts(company_id: int, now: datetime) -> tuple[dict[str, int], int]:
    """Counts per shown state: the stored count of each state (``supplier_state_count``,
    kept by the writing transactions' triggers, migration 12), and the invited ones still
    valid, the short range of a partial index of invited links by expiry: the rest of the
    invited ones have lapsed."""
    stored = dict.fromkeys(STORED_STATES, 0)
    rows: Any = (
        SupplierStateCount.select(SupplierStateCount.status, SupplierStateCount.n)
        .where(SupplierStateCount.buyer_id == company_id)
        .tuples()
    )
    for status, count in rows:
        stored[status] = int(count)
    # A literal state, so the planner can match the partial index's own condition.
    invited = (SupplierLink.buyer == company_id) & (SupplierLink.status == peewee.SQL("'invited'"))
    # Two ranges rather than one OR, which SQLite would answer by reading every invited link.
    valid = sum(
        SupplierLink.select().where(invited & still_valid).count()
        for still_valid in (SupplierLink.expires_at > now, SupplierLink.expires_at.is_null())
    )
    lapsed = stored["invited"] - valid
    counts = {
        "not_invited": stored["not_invited"],
        "invited": stored["queued"] + valid,
        "registered": stored["registered"],
        "expired": stored["expired"] + lapsed,
        "delivery_failed": stored["delivery_failed"],
        "cancelled": stored["cancelled"],
    }
    return counts, sum(stored[status] for status in STORED_STATES)


def _activation_order(db: peewee.Database) -> Any:
    """The time each activation took: exactly the expression of the
    ``invitation_buyer_activation`` index (migration 10), so the index serves it in order and
    hands it back (PostgreSQL: an interval; SQLite: a difference of Julian days)."""
    if is_postgres(db):
        return Invitation.used_at - Invitation.sent_at
    return peewee.fn.julianday(Invitation.used_at) - peewee.fn.julianday(Invitation.sent_at)


def _days(value: timedelta | float) -> float:
    return value.total_seconds() / 86400 if isinstance(value, timedelta) else float(value)


def _time_to_activation(
    db: peewee.Database, company_id: int
) -> tuple[int, float | None, float | None]:
    """How many activations (the stored count), and the median and 90th percentile of their
    days from sending to activation (linear between the two nearest ranks): the two index
    entries at each percentile's rank, reached from the nearer end of the index (a 90th
    percentile reads a tenth of the entries, not nine tenths)."""
    # An invitation is used exactly when it has a use time; the condition is the partial
    # index's own.
    used = (
        (Invitation.buyer == company_id)
        & Invitation.used_at.is_null(False)
        & Invitation.sent_at.is_null(False)
    )
    total: Any = InvitationDayCount.select(peewee.fn.SUM(InvitationDayCount.n)).where(
        (InvitationDayCount.buyer_id == company_id) & (InvitationDayCount.kind == "activated")
    )
    count = int(total.scalar() or 0)
    if not count:
        return 0, None, None
    order = _activation_order(db)

    def ranks(lower: int, upper: int) -> list[float]:
        """The values at ranks ``lower``..``upper`` (0-based, ascending) in order."""
        query = Invitation.select(order).where(used).limit(upper - lower + 1)
        if lower <= count - 1 - upper:
            rows: Any = query.order_by(order).offset(lower).tuples()
            return [_days(value) for (value,) in rows]
        rows = query.order_by(order.desc()).offset(count - 1 - upper).tuples()
        return [_days(value) for (value,) in rows][::-1]

    def percentile(share: float) -> float:
        position = share * (count - 1)
        lower = math.floor(position)
        values = ranks(lower, min(lower + 1, count - 1))
        upper = values[1] if len(values) > 1 else values[0]
        return values[0] + (upper - values[0]) * (position - lower)

    return count, percentile(0.5), percentile(0.9)


def week_starts(now: datetime) -> list[datetime]:
    """The Mondays (00:00 UTC) of the last ``WEEKS`` weeks, the current one last."""
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time())
    return [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]


def _weeks(company_id: int, now: datetime) -> list[WeekCount]:
    """Invitations sent and activations per week: the stored counts of the weeks' 84 days
    (``invitation_day_count``, kept by triggers, migration 12), summed per week."""
    starts = week_starts(now)
    first = starts[0].date()
    end = first + timedelta(weeks=WEEKS)
    sent, used = [0] * WEEKS, [0] * WEEKS
    rows: Any = (
        InvitationDayCount.select(
            InvitationDayCount.kind, InvitationDayCount.day, InvitationDayCount.n
        )
        .where(
            (InvitationDayCount.buyer_id == company_id)
            & InvitationDayCount.kind.in_(("sent", "used"))
            & (InvitationDayCount.day >= first)
            & (InvitationDayCount.day < end)
        )
        .tuples()
    )
    for kind, day, count in rows:
        week = (day - first).days // 7
        (sent if kind == "sent" else used)[week] += int(count)
    return [
        WeekCount(start.date(), invited, activated)
        for start, invited, activated in zip(starts, sent, used, strict=True)
    ]


def _oldest_pending(company_id: int, now: datetime) -> list[PendingInvitation]:
    """The ten oldest invitations still waiting: the ten oldest of each pending state (one
    ordered, LIMITed index range each), merged."""
    found: list[SupplierLink] = []
    for status in PENDING_STATES:
        found += list(
            SupplierLink.select()
            .where(
                (SupplierLink.buyer == company_id)
                & (SupplierLink.status == status)
                & SupplierLink.status_at.is_null(False)
            )
            .order_by(SupplierLink.status_at, SupplierLink.id)
            .limit(OLDEST_PENDING)
        )
    found.sort(key=lambda link: (link.status_at, link.id))
    oldest = []
    for link in found[:OLDEST_PENDING]:
        invited_at: datetime = link.status_at or now  # never null: the query asked so
        oldest.append(
            PendingInvitation(
                row=supplier_row(link, now),
                invited_at=invited_at,
                age_days=max(0, (now - invited_at).days),
            )
        )
    return oldest
