"""The audit trail, written: one row per write and per refused attempt, by the services.

Never put secrets in ``target`` or ``detail``: no passwords, codes or SMTP credentials.
Reading it (the Activity view) is ``services/activity.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gosocket_tui.db.models import AuditEvent
from gosocket_tui.services.context import ServiceContext

if TYPE_CHECKING:
    # Type only: the session guard records its refusals here (no import at run time).
    from gosocket_tui.services.session import Session


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
        at=ctx.clock.now(),
        actor_id=actor.user_id if actor and not actor.is_system else None,
        actor_name=actor_name if actor_name is not None else (actor.username if actor else ""),
        company_id=company_id if company_id is not None else (actor.company_id if actor else None),
        action=action,
        target=target[:500],
        outcome=outcome,
        detail=detail[:1000],
    )
