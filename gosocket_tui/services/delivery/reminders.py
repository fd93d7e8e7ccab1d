"""Reminders: queue the due ones in the outbox, where the deliverer sends them like any email.

Each company that turned reminders on has a schedule: days after its invitation was sent
(``services/company_settings.py``). An invitation gets its reminder number ``k`` (0-based)
when it is still ``sent`` (not registered, cancelled, superseded, failed or expired), its
code has not expired, ``reminders_queued <= k`` and ``sent_at`` is at least ``days[k]`` ago,
and no email of it hard-bounced. Queuing sets ``reminders_queued = k + 1`` in the same
transaction, so a reminder is queued once (two deliverers: SQLite writes one at a time,
PostgreSQL locks the rows with ``FOR UPDATE`` and re-checks them). The schedule is walked from
the last day down, so a deliverer that was stopped for a week sends one reminder, not three
at once.

The reminder's code is made when it is sent (``message.prepare``), expires with the
invitation, and every earlier code of the invitation keeps working until one is used.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from peewee import fn

from gosocket_tui.db.connection import is_postgres, transaction
from gosocket_tui.db.models import Company, CompanySettings, Invitation, OutboxMessage
from gosocket_tui.i18n import translate
from gosocket_tui.mail.compose import REMINDER_SUBJECT
from gosocket_tui.services.company_settings import effective_days, settings_of
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.expiry import sweep_expired
from gosocket_tui.services.invitation_queue import KIND_REMINDER, new_message_id

#: Reminders queued per company and schedule day in one transaction (keeps the lock short;
#: the rest are queued in the next cycle).
REMINDER_BATCH = 500


def queue_due_reminders(ctx: ServiceContext) -> int:
    """Queue every reminder that is due now; returns how many were queued."""
    sweep_expired(ctx)  # an expired invitation is never reminded; the query relies on it
    now = ctx.clock.now()
    companies = [
        row.company_id
        for row in CompanySettings.select(CompanySettings.company).where(
            CompanySettings.reminders_enabled == True  # noqa: E712 (peewee expression)
        )
    ]
    queued = 0
    for company_id in companies:
        days = effective_days(
            settings_of(company_id).reminder_days, ctx.config.activation_code_lifetime_hours
        )
        for k in reversed(range(len(days))):
            step = functools.partial(_queue, ctx, company_id, k, days[k], now)
            while True:
                seen, count = transaction(step)
                queued += count
                if seen < REMINDER_BATCH:
                    break
    return queued


def _queue(
    ctx: ServiceContext, company_id: int, k: int, day: int, now: datetime
) -> tuple[int, int]:
    """Queue reminder ``k`` for up to ``REMINDER_BATCH`` invitations (inside a transaction);
    returns (invitations seen, reminders queued).

    The query is served by the partial index ``invitation_sent_buyer`` (company, sent date of
    the invitations still ``sent``): expiry is left to the sweep that ran first, and an
    invitation that expired since is marked seen without a reminder.
    """
    bounced = OutboxMessage.select(OutboxMessage.id).where(
        (OutboxMessage.invitation == Invitation.id) & (OutboxMessage.status == "failed")
    )
    query = (
        Invitation.select(
            Invitation.id,
            Invitation.link,
            Invitation.email,
            Invitation.language,
            Invitation.expires_at,
        )
        .where(
            (Invitation.buyer == company_id)
            & (Invitation.status == "sent")
            & (Invitation.sent_at <= now - timedelta(days=day))
            & (Invitation.reminders_queued <= k)
            & ~fn.EXISTS(bounced)
        )
        .limit(REMINDER_BATCH)
    )
    if is_postgres(ctx.db):
        query = query.for_update(of=Invitation)
    seen = list(query)
    if not seen:
        return 0, 0
    due = [i for i in seen if i.expires_at is not None and i.expires_at > now]
    buyer = " ".join(Company.get_by_id(company_id).name.split())
    if due:
        OutboxMessage.insert_many(
            [
                {
                    "buyer": company_id,
                    "invitation": invitation.id,
                    "kind": KIND_REMINDER,
                    "recipient": invitation.email,
                    "subject": translate(REMINDER_SUBJECT, invitation.language, buyer=buyer),
                    "language": invitation.language,
                    "message_id": new_message_id(ctx, invitation.id),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for invitation in due
            ]
        ).execute()
    Invitation.update(reminders_queued=k + 1).where(
        Invitation.id.in_([invitation.id for invitation in seen])
    ).execute()
    return len(seen), len(due)
