"""The onboarding overview (services/overview.py) against figures computed here, in plain
Python over the rows the test itself wrote; another company's rows are never counted."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import Company, Invitation, SupplierLink
from gosocket_tui.services import invitations
from gosocket_tui.services import overview as overview_module
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.overview import overview
from gosocket_tui.services.session import Session
from tests.invitation_helpers import add_supplier

STATUSES = ("not_invited", "queued", "invited", "registered", "expired", "delivery_failed")
STATUSES += ("cancelled",)


@dataclass
class Written:
    """One supplier as written: its stored state and the times that matter."""

    link_id: int
    status: str
    status_at: datetime | None
    expires_at: datetime | None
    sent_at: datetime | None
    used_at: datetime | None


def seed(ctx: ServiceContext, company_id: int, n: int, seed: int) -> list[Written]:
    """``n`` suppliers of ``company_id`` in random states over the last 16 weeks."""
    rng = random.Random(seed)
    now = ctx.clock.now()
    written = []
    for i in range(n):
        status = rng.choice(STATUSES)
        supplier = Company.create(
            country="CL", tax_id=f"{seed}{i:06d}", name=f"S{seed}-{i}", created_at=now
        )
        sent = now - timedelta(days=rng.uniform(0, 16 * 7)) if status != "not_invited" else None
        used = expires = None
        if status == "registered":
            assert sent is not None
            used = min(now, sent + timedelta(days=rng.uniform(0, 12)))
        if status in ("invited", "expired"):
            assert sent is not None
            expires = sent + timedelta(days=7)
        status_at = used if status == "registered" else sent
        link = SupplierLink.create(
            buyer=company_id,
            supplier=supplier,
            country="CL",
            tax_id=supplier.tax_id,
            name=supplier.name,
            status=status,
            status_at=status_at,
            expires_at=expires,
            added_at=now,
            updated_at=now,
        )
        if sent is not None:
            Invitation.create(
                link=link,
                buyer=company_id,
                supplier=supplier,
                email="x@example.com",
                status={"registered": "used", "queued": "queued"}.get(status, "sent"),
                created_at=sent,
                sent_at=None if status == "queued" else sent,
                expires_at=expires,
                used_at=used,
            )
        written.append(Written(link.id, status, status_at, expires, sent, used))
    return written


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def shown(row: Written, now: datetime) -> str:
    if row.status == "invited" and row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "invited" if row.status == "queued" else row.status


@pytest.fixture
def seeded(
    ctx: ServiceContext, admin: Session, other_admin: Session
) -> tuple[list[Written], list[Written]]:
    mine = seed(ctx, admin.company_id, 120, seed=11)
    theirs = seed(ctx, other_admin.company_id, 90, seed=12)
    return mine, theirs


def test_figures_match_the_rows_written(
    ctx: ServiceContext, admin: Session, seeded: tuple[list[Written], list[Written]]
) -> None:
    mine, _theirs = seeded
    now = ctx.clock.now()
    result = overview(ctx, admin)

    assert result.total == len(mine)
    for state in result.counts:
        expected = sum(1 for row in mine if shown(row, now) == state)
        assert result.counts[state] == expected, state
        assert result.percent(state) == pytest.approx(100 * expected / len(mine))
    assert sum(result.counts.values()) == len(mine)

    days = [
        (row.used_at - row.sent_at).total_seconds() / 86400
        for row in mine
        if row.used_at is not None and row.sent_at is not None
    ]
    assert result.activations == len(days)
    assert result.median_days == pytest.approx(percentile(days, 0.5), abs=1e-4)
    assert result.p90_days == pytest.approx(percentile(days, 0.9), abs=1e-4)

    assert len(result.weeks) == 12
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time())
    for index, week in enumerate(result.weeks):
        start = monday - timedelta(weeks=11 - index)
        assert week.start == start.date()
        end = start + timedelta(weeks=1)
        sent = sum(
            1
            for row in mine
            if row.status != "queued" and row.sent_at and start <= row.sent_at < end
        )
        used = sum(1 for row in mine if row.used_at and start <= row.used_at < end)
        assert (week.invited, week.activated) == (sent, used), week.start

    pending = sorted(
        (row for row in mine if row.status in ("queued", "invited", "expired")),
        key=lambda row: (row.status_at, row.link_id),
    )[:10]
    assert [p.row.id for p in result.oldest_pending] == [row.link_id for row in pending]
    for item, row in zip(result.oldest_pending, pending, strict=True):
        assert row.status_at is not None
        assert item.invited_at == row.status_at
        assert item.age_days == (now - row.status_at).days
        assert item.row.state == shown(row, now) or row.status == "queued"


def test_another_company_is_never_counted(
    ctx: ServiceContext,
    other_admin: Session,
    seeded: tuple[list[Written], list[Written]],
) -> None:
    mine, theirs = seeded
    result = overview(ctx, other_admin)
    assert result.total == len(theirs)
    mine_ids = {row.link_id for row in mine}
    assert not mine_ids & {p.row.id for p in result.oldest_pending}
    used = sum(1 for row in theirs if row.used_at is not None)
    assert result.activations == used


def test_an_empty_company_has_zeros_and_no_figures(
    ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    result = overview(ctx, admin)
    assert result.total == 0
    assert set(result.counts.values()) == {0}
    assert result.percent("registered") == 0.0
    assert (result.activations, result.median_days, result.p90_days) == (0, None, None)
    assert [w.invited + w.activated for w in result.weeks] == [0] * 12
    assert result.oldest_pending == []


def test_one_activation_is_its_own_median(ctx: ServiceContext, admin: Session) -> None:
    now = ctx.clock.now()
    supplier = Company.create(country="CL", tax_id="1", name="S", created_at=now)
    link = SupplierLink.create(
        buyer=admin.company_id,
        supplier=supplier,
        country="CL",
        tax_id="1",
        name="S",
        status="registered",
        status_at=now,
        added_at=now,
        updated_at=now,
    )
    Invitation.create(
        link=link,
        buyer=admin.company_id,
        supplier=supplier,
        email="s@example.com",
        status="used",
        created_at=now - timedelta(days=3),
        sent_at=now - timedelta(days=3),
        used_at=now,
    )
    result = overview(ctx, admin)
    assert result.median_days == pytest.approx(3.0, abs=1e-4)
    assert result.p90_days == pytest.approx(3.0, abs=1e-4)


def test_all_figures_come_from_one_snapshot(
    ctx: ServiceContext, admin: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A supplier invited by another session while the figures are read (here: right after
    the counts) shows in none of them, or the funnel and the oldest pending would disagree."""
    first = add_supplier(ctx, admin)
    second = add_supplier(ctx, admin, country="CL", tax_id="12.345.678-5", name="Otra")
    invitations.invite(ctx, admin, [first])
    counts = overview_module._state_counts

    def counts_then_invite(company_id: int, now: datetime) -> tuple[dict[str, int], int]:
        found = counts(company_id, now)
        other = threading.Thread(target=invitations.invite, args=(ctx, admin, [second]))
        other.start()
        other.join(30)
        assert not other.is_alive()
        return found

    monkeypatch.setattr(overview_module, "_state_counts", counts_then_invite)
    result = overview(ctx, admin)
    assert result.counts["invited"] == 1
    assert [item.row.id for item in result.oldest_pending] == [first]
    assert [item.row.id for item in overview(ctx, admin).oldest_pending] == [first, second]
