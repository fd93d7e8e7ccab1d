"""The acting user: who is calling a service, for which company, with which rights.

Every service takes a ``Session`` explicitly. ``require_session`` re-reads the account on each
action, so a user disabled or deleted while logged in is refused at the next step, and the idle
and absolute lifetimes are enforced here rather than in a screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from gosocket_tui.db.models import Company, User
from gosocket_tui.errors import PermissionDenied, SessionExpired
from gosocket_tui.i18n import _
from gosocket_tui.services.audit import record
from gosocket_tui.services.context import ServiceContext


@dataclass(frozen=True)
class Session:
    user_id: int
    username: str
    company_id: int
    company_name: str
    company_country: str
    company_tax_id: str
    is_admin: bool
    started_at: datetime
    last_seen_at: datetime
    is_system: bool = False
    # The SSH key this session logged in with (``gosocket-tui serve``); empty for a password.
    key_fingerprint: str = ""


def session_for(user: User, company: Company, now: datetime) -> Session:
    return Session(
        user_id=user.id,
        username=user.username,
        company_id=company.id,
        company_name=company.name,
        company_country=company.country,
        company_tax_id=company.tax_id,
        is_admin=bool(user.is_admin),
        started_at=now,
        last_seen_at=now,
    )


def session_expired_reason(ctx: ServiceContext, session: Session) -> str | None:
    """Why the session is no longer valid, or None while it is."""
    if session.is_system:
        return None
    now = ctx.clock.now()
    if now - session.last_seen_at > timedelta(minutes=ctx.config.idle_timeout_minutes):
        return _(
            "You were logged out after {minutes} minutes without activity.",
            minutes=ctx.config.idle_timeout_minutes,
        )
    if now - session.started_at > timedelta(hours=ctx.config.session_lifetime_hours):
        return _("Your session reached its maximum length. Please log in again.")
    user = User.get_or_none(User.id == session.user_id)
    if user is None or not user.is_active or user.company_id != session.company_id:
        return _("Your account is no longer active. Please log in again.")
    return None


def require_session(ctx: ServiceContext, session: Session) -> Session:
    """Validate ``session`` against the clock and the account as it is now.

    Returns the session with the admin flag re-read (a demoted user loses rights at once).
    """
    reason = session_expired_reason(ctx, session)
    if reason:
        raise SessionExpired(reason)
    if session.is_system:
        return session
    user = User.get_by_id(session.user_id)
    return replace(session, is_admin=bool(user.is_admin))


def touch(ctx: ServiceContext, session: Session) -> Session:
    """Record activity: the idle timer restarts from now."""
    return replace(session, last_seen_at=ctx.clock.now())


def require_admin(ctx: ServiceContext, session: Session, action: str) -> Session:
    """Refuse a non-administrator, with an audit event for the refused attempt."""
    current = require_session(ctx, session)
    if not current.is_admin:
        record(ctx, current, action, outcome="refused", detail="not an administrator")
        if action.startswith("audit."):
            raise PermissionDenied(_("Only administrators can see the activity."))
        raise PermissionDenied(_("Only administrators can manage suppliers."))
    return current
