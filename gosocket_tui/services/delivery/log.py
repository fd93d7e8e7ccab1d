"""The delivery evidence: every invitation email and every try at delivering it.

Administrators only (recipients and server replies are evidence), and only the acting
company's messages. Shown in the Mailbox and exported as plain text for a support ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from gosocket_tui.db.models import DeliveryAttempt, Invitation, OutboxMessage, SupplierLink
from gosocket_tui.i18n import _
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_admin
from gosocket_tui.services.supplier_links import link_ref, not_in_list, own_link


@dataclass(frozen=True)
class AttemptInfo:
    """One SMTP try: when, how it ended, and what the receiving server answered."""

    at: datetime
    outcome: str
    code: int | None
    reply: str


@dataclass(frozen=True)
class DeliveryLogEntry:
    """One invitation email with every try at delivering it: the support evidence."""

    id: int
    link_id: int | None
    supplier_name: str
    supplier_ref: str
    created_at: datetime
    recipient: str
    subject: str
    language: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    server_reply: str | None
    last_error: str | None
    tries: tuple[AttemptInfo, ...]


def _entries(query: peewee.Query) -> list[DeliveryLogEntry]:
    rows: list[OutboxMessage] = list(query)
    tries: dict[int, list[AttemptInfo]] = {row.id: [] for row in rows}
    links: dict[int, SupplierLink] = {}
    if rows:
        for attempt in (
            DeliveryAttempt.select()
            .where(DeliveryAttempt.message.in_(list(tries)))
            .order_by(DeliveryAttempt.at, DeliveryAttempt.id)
        ):
            tries[attempt.message_id].append(
                AttemptInfo(attempt.at, attempt.outcome, attempt.code, attempt.reply)
            )
        invitation_ids = {row.invitation_id for row in rows if row.invitation_id is not None}
        for invitation in (
            Invitation.select(Invitation.id, SupplierLink)
            .join(SupplierLink)
            .where(Invitation.id.in_(list(invitation_ids)))
        ):
            links[invitation.id] = invitation.link
    entries = []
    for row in rows:
        link = links.get(row.invitation_id) if row.invitation_id is not None else None
        entries.append(
            DeliveryLogEntry(
                id=row.id,
                link_id=link.id if link is not None else None,
                supplier_name=link.name if link is not None else "",
                supplier_ref=link_ref(link) if link is not None else "",
                created_at=row.created_at,
                recipient=row.recipient,
                subject=row.subject,
                language=row.language,
                message_id=row.message_id,
                status=row.status,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
                sent_at=row.sent_at,
                server_reply=row.server_reply,
                last_error=row.last_error,
                tries=tuple(tries[row.id]),
            )
        )
    return entries


def _messages_query(session: Session) -> peewee.Query:
    return OutboxMessage.select().where(OutboxMessage.buyer == session.company_id)


def delivery_log(ctx: ServiceContext, session: Session, link_id: int) -> list[DeliveryLogEntry]:
    """Every invitation email sent (or tried) to one supplier, oldest first, with each try."""
    session = require_admin(ctx, session, "invitation.delivery_log")
    if own_link(session.company_id, link_id) is None:
        raise not_in_list()
    query = (
        _messages_query(session)
        .where(
            OutboxMessage.invitation.in_(
                Invitation.select(Invitation.id).where(Invitation.link == link_id)
            )
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return _entries(query)


def recent_deliveries(
    ctx: ServiceContext, session: Session, *, limit: int = 100, before_id: int | None = None
) -> list[DeliveryLogEntry]:
    """The acting company's invitation emails, newest first (the Mailbox delivery log)."""
    session = require_admin(ctx, session, "invitation.delivery_log")
    query = _messages_query(session)
    if before_id is not None:
        query = query.where(OutboxMessage.id < before_id)
    query = query.order_by(OutboxMessage.id.desc()).limit(max(1, min(limit, 1000)))
    return _entries(query)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


def delivery_label(status: str) -> str:
    """Translated name of an outbox status or of a try's outcome."""
    labels = {
        "pending": _("Waiting to be sent"),
        "sending": _("Sending"),
        "sent": _("Sent"),
        "failed": _("Failed"),
        "cancelled": _("Cancelled"),
        "temporary": _("Temporary failure"),
        "permanent": _("Permanent failure"),
        "server": _("Mail server problem (not counted as an attempt)"),
    }
    return labels.get(status, status)


def delivery_log_text(ctx: ServiceContext, session: Session, link_id: int) -> str:
    """The delivery log as plain text, to paste into a support ticket."""
    entries = delivery_log(ctx, session, link_id)
    link = own_link(session.company_id, link_id)
    assert link is not None  # delivery_log checked it
    lines = [
        _("Delivery log for {name} ({ref})", name=link.name, ref=link_ref(link)),
        _("Exported {when}", when=_when(ctx.clock.now())),
        "",
    ]
    if not entries:
        lines.append(_("No invitation email was queued for this supplier."))
    for entry in entries:
        lines += [
            f"{_('Queued')}: {_when(entry.created_at)}",
            f"  {_('Recipient')}: {entry.recipient}",
            f"  {_('Subject')}: {entry.subject}",
            f"  Message-ID: {entry.message_id}",
            f"  {_('Status')}: {delivery_label(entry.status)}",
            f"  {_('Attempts')}: {entry.attempts}",
            f"  {_('Sent')}: {_when(entry.sent_at)}",
        ]
        if entry.next_attempt_at:
            lines.append(f"  {_('Next attempt')}: {_when(entry.next_attempt_at)}")
        if entry.server_reply:
            lines.append(f"  {_('Server reply')}: {entry.server_reply}")
        if entry.last_error:
            lines.append(f"  {_('Error')}: {entry.last_error}")
        for attempt in entry.tries:
            outcome = delivery_label(attempt.outcome)
            lines.append(f"    - {_when(attempt.at)} {outcome}: {attempt.reply}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
