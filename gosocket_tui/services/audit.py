"""The audit trail, written: one row per write and per refused attempt, by the services.

Never put secrets in ``target`` or ``detail``: no passwords, codes or SMTP credentials.
Reading it (the Activity view) is ``services/activity.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from gosocket_tui.db.models import AuditEvent
from gosocket_tui.services.context import ServiceContext

if TYPE_CHECKING:
    # Type only: the session guard records its refusals here (no import at run time).
    from gosocket_tui.services.session import Session


def _event(
    at: datetime,
    actor: Session | None,
    action: str,
    target: str,
    outcome: str,
    detail: str,
    company_id: int | None = None,
    actor_name: str | None = None,
) -> dict[str, object]:
    """One audit row's fields: who acted (none for the system actor), for which company."""
    return {
        "at": at,
        "actor_id": actor.user_id if actor and not actor.is_system else None,
        "actor_name": actor_name if actor_name is not None else (actor.username if actor else ""),
        "company_id": company_id
        if company_id is not None
        else (actor.company_id if actor else None),
        "action": action,
        "target": target[:500],
        "outcome": outcome,
        "detail": detail[:1000],
    }


def record(
    ctx: ServiceContext,
    actor: Session | None,
    action: str,
    *,
    target: str = "",
    outcome: str = "ok",
    detail: str = "",
    company_id: int | None = None,
    actor_name: str | None = None,
) -> None:
    """Append one audit event (inside the caller's transaction when there is one)."""
    AuditEvent.create(
        **_event(ctx.clock.now(), actor, action, target, outcome, detail, company_id, actor_name)
    )


def record_many(
    ctx: ServiceContext, actor: Session, action: str, rows: Sequence[tuple[str, str, str]]
) -> None:
    """``record`` for many (target, outcome, detail) rows in one statement (a big invite)."""
    if not rows:
        return
    now = ctx.clock.now()
    AuditEvent.insert_many(
        [_event(now, actor, action, target, outcome, detail) for target, outcome, detail in rows]
    ).execute()
