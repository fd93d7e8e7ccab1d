"""Queueing invitations: the rows an invite, a resend or a bulk import writes, in one place.

Queueing writes the Invitation (status ``queued``, no code yet), its OutboxMessage and the
link's denormalised state; the deliverer (``services/delivery/``) creates the code when it
sends. Closing an invitation (superseded by a new code, or cancelled) drops its code hashes and
cancels its mail that has not left yet. Nothing here authorises: the callers (invitations,
activation, the bulk writer) check the acting session first, inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import parseaddr

import peewee

from gosocket_tui.db.models import Invitation, InvitationCode, OutboxMessage, SupplierLink
from gosocket_tui.i18n import SUPPLIER_LANGUAGES, normalize_supplier_language, translate
from gosocket_tui.mail.compose import make_message_id
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.supplier_language import default_language

#: Invitations whose code may still be sent or used; everything else is history.
OPEN_STATUSES = ("queued", "sent")
SUBJECT = "Invitation to the Gosocket network from {buyer}"
KIND_INVITATION = "invitation"
KIND_REMINDER = "reminder"
FALLBACK_MAIL_DOMAIN = "gosocket.local"


def mail_domain(sender: str) -> str:
    """The domain of the configured sender, used on the right of every Message-ID."""
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    return domain or FALLBACK_MAIL_DOMAIN


def new_message_id(ctx: ServiceContext, invitation_id: int) -> str:
    """A Message-ID unique in the database (it holds the invitation id) and unguessable."""
    token = f"invitation-{invitation_id}-{ctx.rng.token_bytes(12).hex()}"
    try:
        return make_message_id(mail_domain(ctx.config.smtp_sender), token)
    except ValueError:
        return make_message_id(FALLBACK_MAIL_DOMAIN, token)


def invitation_language(link: SupplierLink) -> str:
    """The language of everything a supplier receives about its invitation: the one stored
    on its link (chosen per supplier, by default from its country), never the sender's."""
    return normalize_supplier_language(link.language) or default_language(link.country)


def subjects(buyer_name: str) -> dict[str, str]:
    """The invitation's subject in each supplier language (the outbox stores it per row)."""
    buyer = " ".join(buyer_name.split())
    return {lang: translate(SUBJECT, lang, buyer=buyer) for lang in SUPPLIER_LANGUAGES}


def drop_codes(invitation_ids: Sequence[int]) -> None:
    """Forget every code hash of these invitations (used, closed or failed: none may work)."""
    InvitationCode.delete().where(InvitationCode.invitation.in_(list(invitation_ids))).execute()


def close_open_invitations(condition: peewee.Expression, status: str, now: datetime) -> list[int]:
    """Mark the open invitations matching ``condition`` (inside a transaction).

    ``status`` is 'superseded' (a new code replaces it) or 'cancelled'. Their code hashes
    are dropped (a closed invitation's codes must never work again) and their mail that has
    not left yet is cancelled; a message a deliverer holds right now is left to it, and it
    checks the invitation again before sending.
    """
    ids = [
        row.id
        for row in Invitation.select(Invitation.id).where(
            condition & Invitation.status.in_(OPEN_STATUSES)
        )
    ]
    if not ids:
        return ids
    changes: dict[str, object] = {"status": status}
    if status == "cancelled":
        changes["cancelled_at"] = now
    Invitation.update(changes).where(Invitation.id.in_(ids)).execute()
    drop_codes(ids)
    OutboxMessage.update(status="cancelled").where(
        OutboxMessage.invitation.in_(ids) & (OutboxMessage.status == "pending")
    ).execute()
    return ids


def queue_invitations(
    ctx: ServiceContext,
    links: Sequence[SupplierLink],
    buyer_name: str,
    now: datetime,
    *,
    invited_by: int | None,
) -> None:
    """Queue one invitation per link (inside the caller's transaction, after its checks).

    Any open invitation of those links is superseded first (its code stops working), then
    the invitations (status 'queued', no code yet), their outbox messages and the links'
    state are written with one statement each, so inviting a thousand suppliers stays quick.
    Public for the bulk import's updated suppliers; it authorises nothing itself, so it
    takes the inviting user's id (None for the system actor), not a session. Each message is
    written in its link's language (:func:`invitation_language`), recorded on the
    invitation and its outbox row.
    """
    if not links:
        return
    ids = [link.id for link in links]
    close_open_invitations(Invitation.link.in_(ids), "superseded", now)
    Invitation.insert_many(
        [
            {
                "link": link.id,
                "buyer": link.buyer_id,
                "supplier": link.supplier_id,
                "email": link.email,
                "language": invitation_language(link),
                "status": "queued",
                "attempts": 0,
                "created_at": now,
                "invited_by": invited_by,
            }
            for link in links
        ]
    ).execute()
    invitation_of = {
        row.link_id: row.id
        for row in Invitation.select(Invitation.id, Invitation.link).where(
            Invitation.link.in_(ids) & (Invitation.status == "queued")
        )
    }
    subject = subjects(buyer_name)
    OutboxMessage.insert_many(
        [
            {
                "buyer": link.buyer_id,
                "invitation": invitation_of[link.id],
                "kind": KIND_INVITATION,
                "recipient": link.email,
                "subject": subject[invitation_language(link)],
                "language": invitation_language(link),
                "message_id": new_message_id(ctx, invitation_of[link.id]),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for link in links
        ]
    ).execute()
    SupplierLink.update(
        status="queued", status_at=now, expires_at=None, reminders=0, updated_at=now
    ).where(SupplierLink.id.in_(ids)).execute()
