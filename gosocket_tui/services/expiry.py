"""Expiry is a state: an invitation whose code expired becomes ``expired``, and so does its link.

The sweep is two set-based UPDATEs served by partial indexes that hold only the invitations
still waiting (``invitation_sent_expiry``, ``supplier_link_invited_expiry``, migration 11), so
finding nothing to do reads a few index pages whatever the size of the tables. It first
looks without writing: a listing that runs it takes no write lock when nothing expired. It
is idempotent (it only moves ``sent``/``invited`` rows whose expiry has passed) and runs in
the deliverer's cycle and before a listing filtered by invitation state.

A code's expiry never moves: reminders carry codes that expire with the invitation, so the
invitation's ``expires_at`` is the end of every code it has.
"""

from __future__ import annotations

from datetime import datetime

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import Invitation, SupplierLink
from gosocket_tui.services.context import ServiceContext


def _due(now: datetime) -> bool:
    invitations = Invitation.select(Invitation.id).where(
        (Invitation.status == "sent") & (Invitation.expires_at <= now)
    )
    links = SupplierLink.select(SupplierLink.id).where(
        (SupplierLink.status == "invited") & (SupplierLink.expires_at <= now)
    )
    return bool(invitations.exists() or links.exists())


def sweep_expired(ctx: ServiceContext) -> int:
    """Mark every invitation and link whose code expired; returns how many links changed."""
    now = ctx.clock.now()
    if not _due(now):
        return 0

    def write() -> int:
        Invitation.update(status="expired").where(
            (Invitation.status == "sent") & (Invitation.expires_at <= now)
        ).execute()
        return int(
            SupplierLink.update(status="expired", status_at=SupplierLink.expires_at)
            .where((SupplierLink.status == "invited") & (SupplierLink.expires_at <= now))
            .execute()
        )

    return transaction(write)
