"""The audit trail, read: the Activity view pages through it and exports it as CSV.

Administrators only, one company at a time. The trail is written by ``services/audit.py``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import peewee

from gosocket_tui.db.models import AuditEvent
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.exports import neutralize_cell
from gosocket_tui.services.output_files import open_output
from gosocket_tui.services.session import Session, require_admin


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    user: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user: str
    action: str
    target: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    has_before: bool
    has_after: bool


def _audit_query(session: Session, filt: AuditFilter) -> Any:
    query = AuditEvent.select().where(AuditEvent.company_id == session.company_id)
    if filt.action.strip():
        query = query.where(AuditEvent.action.startswith(filt.action.strip().lower()))
    if filt.user.strip():
        query = query.where(AuditEvent.actor_name == filt.user.strip().lower())
    if filt.since is not None:
        query = query.where(AuditEvent.at >= filt.since)
    if filt.until is not None:
        query = query.where(AuditEvent.at < filt.until)
    return query


def list_events(
    ctx: ServiceContext,
    session: Session,
    filt: AuditFilter = AuditFilter(),
    *,
    cursor: tuple[datetime, int] | None = None,
    limit: int = 100,
) -> AuditPage:
    """The acting company's audit trail, newest first, keyset-paged. Administrators only."""
    session = require_admin(ctx, session, "audit.read")
    limit = max(1, min(limit, 1000))
    query = _audit_query(session, filt)
    if cursor is not None:
        query = query.where(peewee.Tuple(AuditEvent.at, AuditEvent.id) < peewee.Tuple(*cursor))
    events = list(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit + 1))
    rows = [
        AuditRow(e.id, e.at, e.actor_name, e.action, e.target, e.outcome, e.detail)
        for e in events[:limit]
    ]
    return AuditPage(rows=rows, has_before=cursor is not None, has_after=len(events) > limit)


def export_events_csv(
    ctx: ServiceContext,
    session: Session,
    path: Path,
    filt: AuditFilter = AuditFilter(),
    *,
    force: bool = False,
) -> int:
    """Write the filtered trail to ``path`` as CSV (formula cells neutralised); return rows.

    Written as ``output_files`` writes: an existing file only with ``force``, never half.
    """
    count = 0
    cursor: tuple[datetime, int] | None = None
    list_events(ctx, session, filt, limit=1)  # refuse before creating any file
    with open_output(path, force=force, encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["time_utc", "user", "action", "target", "outcome", "detail"])
        while True:
            page = list_events(ctx, session, filt, cursor=cursor, limit=1000)
            for row in page.rows:
                writer.writerow(
                    [
                        neutralize_cell(value)
                        for value in (
                            row.at.isoformat(sep=" ", timespec="seconds"),
                            row.user,
                            row.action,
                            row.target,
                            row.outcome,
                            row.detail,
                        )
                    ]
                )
                count += 1
            if not page.has_after:
                return count
            cursor = (page.rows[-1].at, page.rows[-1].id)
