"""What each try of an invitation email leaves in the database: the retry and evidence rules.

Every try records a ``DeliveryAttempt`` (the evidence support asks for), each in one short
transaction so that a crash loses at most the message in flight. Only a reply about this very
message counts as one of its ``delivery_max_attempts`` (``is_server_problem``): 4xx retries
later with exponential backoff, 5xx fails at once. A problem of the server or of our settings
counts against no message: the message goes back to the queue with the evidence. A code the
server certainly did not take is forgotten at once; a failed invitation keeps none.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import fn

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import (
    Company,
    CompanySettings,
    DeliveryAttempt,
    Invitation,
    InvitationCode,
    OutboxMessage,
    SupplierLink,
)
from gosocket_tui.mail.smtp import SendResult
from gosocket_tui.mail.smtp_failures import (
    PermanentFailure,
    SetupFailure,
    SmtpFailure,
    backoff_delay,
)
from gosocket_tui.services import audit
from gosocket_tui.services.company_settings import CompanySettingsInfo, settings_of
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.invitation_queue import KIND_INVITATION, KIND_REMINDER
from gosocket_tui.services.taxid import format_tax_id

#: Never retry sooner than this, whatever the jitter drew (keeps one run from spinning).
MIN_RETRY_SECONDS = 5.0
#: Failures at these stages are about the server, not the message: stop the batch.
SERVER_STAGES = ("connect", "tls", "auth")
#: The outcome of a try that failed for the server's sake: evidence, not an attempt.
SERVER_OUTCOME = "server"
#: What ``reserve_code`` returns instead of a code's row id (row ids are positive).
TAKEN_OVER = -1
CANCELLED = -2


@dataclass(frozen=True)
class Job:
    """What sending one claimed message needs, read once for the whole batch."""

    id: int
    message_id: str
    recipient: str
    language: str
    attempts: int
    invitation_id: int | None
    invitation_status: str | None
    link_id: int | None
    buyer_id: int
    buyer_name: str
    buyer_country: str
    buyer_tax_id: str
    supplier_name: str
    supplier_country: str
    supplier_tax_id: str  # compact, as stored
    kind: str = KIND_INVITATION
    #: When the invitation's codes expire (a reminder's code expires with them).
    invitation_expires_at: datetime | None = None
    note: str = ""
    reply_to: str = ""

    @property
    def is_reminder(self) -> bool:
        return self.kind == KIND_REMINDER


def is_server_problem(failure: SmtpFailure) -> bool:
    """Is this failure the server's (or our settings'), not the recipient's?

    Only a reply about this very message counts against it: a 5xx to RCPT or DATA (or to
    MAIL for its size), or a 4xx to them. No reply at all (refused connection, timeout,
    dropped connection), TLS, login, a refused sender and 421 (service closing) are about
    the server, and every other message would meet them too.
    """
    if isinstance(failure, SetupFailure):
        return True
    if isinstance(failure, PermanentFailure):
        return False
    return failure.stage in SERVER_STAGES or failure.code is None or failure.code == 421


def maybe_delivered(failure: SmtpFailure) -> bool:
    """The connection broke after DATA went out: the server may have kept the message."""
    return failure.stage == "data" and failure.code is None


def load_jobs(ctx: ServiceContext, worker_id: str, ids: list[int]) -> list[Job]:
    """The claimed messages among ``ids`` still this worker's, with what sending them needs."""
    buyers: dict[int, Company] = {}
    settings: dict[int, CompanySettingsInfo] = {}
    jobs = []
    query = (
        OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.message_id,
            OutboxMessage.recipient,
            OutboxMessage.language,
            OutboxMessage.attempts,
            OutboxMessage.buyer,
            OutboxMessage.invitation,
            OutboxMessage.kind,
        )
        .where(OutboxMessage.id.in_(ids) & (OutboxMessage.claimed_by == worker_id))
        .order_by(OutboxMessage.id)
    )
    messages = list(query)
    invitation_ids = [m.invitation_id for m in messages if m.invitation_id is not None]
    invitations = {
        inv.id: inv
        for inv in Invitation.select(
            Invitation.id, Invitation.status, Invitation.expires_at, Invitation.link, SupplierLink
        )
        .join(SupplierLink)
        .where(Invitation.id.in_(invitation_ids))
    }
    for message in messages:
        if message.buyer_id not in buyers:
            buyers[message.buyer_id] = Company.get_by_id(message.buyer_id)
            settings[message.buyer_id] = settings_of(message.buyer_id)
        buyer = buyers[message.buyer_id]
        own = settings[message.buyer_id]
        invitation = invitations.get(message.invitation_id or 0)
        link = invitation.link if invitation is not None else None
        jobs.append(
            Job(
                id=message.id,
                message_id=message.message_id,
                recipient=message.recipient,
                language=message.language,
                attempts=message.attempts,
                invitation_id=invitation.id if invitation is not None else None,
                invitation_status=invitation.status if invitation is not None else None,
                link_id=link.id if link is not None else None,
                buyer_id=buyer.id,
                buyer_name=buyer.name,
                buyer_country=buyer.country,
                buyer_tax_id=format_tax_id(buyer.country, buyer.tax_id),
                supplier_name=link.name if link is not None else "",
                supplier_country=link.country if link is not None else "",
                supplier_tax_id=link.tax_id if link is not None else "",
                kind=message.kind,
                invitation_expires_at=invitation.expires_at if invitation is not None else None,
                note=own.note,
                reply_to=own.reply_to,
            )
        )
    return jobs


def waiting_for(job: Job, now: datetime) -> object:
    """The invitation still waits for this message: queued for its first email; sent and
    not expired for a reminder (never after registration, cancellation or expiry), and its
    company's reminders still on (mail on its behalf is its decision: one queued before an
    administrator turned them off stays)."""
    if job.is_reminder:
        reminders_on = CompanySettings.select(CompanySettings.company).where(
            (CompanySettings.company == Invitation.buyer)
            & (CompanySettings.reminders_enabled == True)  # noqa: E712 (peewee expression)
        )
        return (
            (Invitation.status == "sent") & (Invitation.expires_at > now) & fn.EXISTS(reminders_on)
        )
    return Invitation.status == "queued"


def reserve_code(
    ctx: ServiceContext, worker_id: str, job: Job, code_hash: str, expires_at: datetime
) -> int:
    """Store the code's hash before the email leaves; returns the code's row id, or
    ``TAKEN_OVER`` / ``CANCELLED`` when the email must not leave.

    Call inside a transaction: the message must still be this worker's (its lease is
    renewed) and the invitation still waiting for it; a cancelled or superseded
    invitation's message is marked cancelled instead.
    """
    now = ctx.clock.now()
    owned = (
        OutboxMessage.update(claimed_at=now)
        .where(
            (OutboxMessage.id == job.id)
            & (OutboxMessage.status == "sending")
            & (OutboxMessage.claimed_by == worker_id)
        )
        .execute()
    )
    if not owned:
        return TAKEN_OVER  # another worker took it over: it sends it
    waiting = (
        Invitation.select(Invitation.id)
        .where((Invitation.id == job.invitation_id) & waiting_for(job, now))
        .exists()
    )
    if not waiting:
        OutboxMessage.update(status="cancelled", claimed_by=None, claimed_at=None).where(
            OutboxMessage.id == job.id
        ).execute()
        return CANCELLED
    row = InvitationCode.create(
        invitation=job.invitation_id,
        code_hash=code_hash,
        created_at=now,
        expires_at=expires_at,
    )
    return int(row.id)


# -- recording outcomes (one short transaction each) --------------------------------------------


def _db_time(moment: datetime) -> object:
    """A datetime as peewee hands it to the driver, so raw SQL rows compare like the others."""
    value: object = OutboxMessage.sent_at.db_value(moment)
    return value


@functools.cache
def _sent_statements(param: str) -> tuple[str, ...]:
    """The writes of a successful send, with the engine's placeholder (? or %s)."""
    statements = (
        "UPDATE outbox_message SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
        "server_reply = ?, last_error = NULL, subject = ?, claimed_by = NULL, "
        "claimed_at = NULL WHERE id = ?",
        "INSERT INTO delivery_attempt (message_id, at, outcome, code, reply) "
        "VALUES (?, ?, 'sent', ?, ?)",
        "UPDATE invitation SET status = 'sent', sent_at = ?, expires_at = ? "
        "WHERE id = ? AND status = 'queued'",
        "UPDATE supplier_link SET status = 'invited', status_at = ?, expires_at = ? "
        "WHERE id = ? AND status = 'queued'",
        # The columns services.audit.record fills, for the deliverer acting as "system".
        "INSERT INTO audit_event (at, actor_id, actor_name, company_id, action, target, "
        "outcome, detail) VALUES (?, NULL, 'system', ?, 'invitation.sent', ?, ?, ?)",
    )
    return tuple(text.replace("?", param) for text in statements)


@functools.cache
def _reminder_statements(param: str) -> tuple[str, ...]:
    """The writes of a sent reminder: the invitation's state and expiry stay as they are."""
    statements = (
        "UPDATE supplier_link SET reminders = reminders + 1 WHERE id = ? AND status = 'invited'",
        "INSERT INTO audit_event (at, actor_id, actor_name, company_id, action, target, "
        "outcome, detail) VALUES (?, NULL, 'system', ?, 'invitation.reminded', ?, ?, ?)",
    )
    return tuple(text.replace("?", param) for text in statements)


def record_sent(
    ctx: ServiceContext, job: Job, result: SendResult, subject: str, expires_at: datetime
) -> None:
    """Record a delivery: message sent, attempt, the invitation and the link 'invited'
    (a reminder: the link's reminder count goes up, the invitation stays as it is).

    The hot path of a big invite (one short transaction per message, so a crash loses at
    most the message in flight), hence plain SQL: the query builder costs more than the
    writes themselves.
    """
    sql = _sent_statements(ctx.db.param)
    reminder_sql = _reminder_statements(ctx.db.param)

    def write() -> None:
        now = _db_time(ctx.clock.now())
        expires = _db_time(expires_at)
        ctx.db.execute_sql(sql[0], (now, result.reply, subject, job.id))
        ctx.db.execute_sql(sql[1], (job.id, now, result.code, result.reply))
        if job.is_reminder:
            counted = ctx.db.execute_sql(reminder_sql[0], (job.link_id,)).rowcount
            ctx.db.execute_sql(
                reminder_sql[1],
                (
                    now,
                    job.buyer_id,
                    f"{job.supplier_country}:{job.supplier_tax_id}",
                    "ok" if counted else "stale",
                    f"to {job.recipient}; {job.message_id}; {result.reply}"[:1000],
                ),
            )
            return
        # Only the invitation still waiting for this very message turns 'sent': one
        # superseded or cancelled meanwhile has dropped its hashes, so the code is dead.
        current = ctx.db.execute_sql(sql[2], (now, expires, job.invitation_id)).rowcount
        if current:
            ctx.db.execute_sql(sql[3], (now, expires, job.link_id))
        ctx.db.execute_sql(
            sql[4],
            (
                now,
                job.buyer_id,
                f"{job.supplier_country}:{job.supplier_tax_id}",
                "ok" if current else "stale",
                f"to {job.recipient}; {job.message_id}; {result.reply}"[:1000],
            ),
        )

    transaction(write)


def record_server_problem(
    ctx: ServiceContext,
    job: Job,
    failure: SmtpFailure,
    code_id: int | None,
    retry_at: datetime,
) -> None:
    """The server failed, not the message: evidence kept, no attempt counted.

    The message goes back to the queue, due at ``retry_at``; ``code_id`` is the code the
    server certainly did not take (None when it may have).
    """
    now = ctx.clock.now()

    def write() -> None:
        DeliveryAttempt.create(
            message=job.id,
            at=now,
            outcome=SERVER_OUTCOME,
            code=failure.code,
            reply=failure.reply,
        )
        if code_id is not None:
            InvitationCode.delete().where(InvitationCode.id == code_id).execute()
        OutboxMessage.update(
            status="pending",
            claimed_by=None,
            claimed_at=None,
            next_attempt_at=retry_at,
            last_error=failure.reply,
        ).where(OutboxMessage.id == job.id).execute()

    transaction(write)


def record_failed(
    ctx: ServiceContext,
    job: Job,
    failure: SmtpFailure,
    *,
    final: bool,
    code_id: int | None,
    rng: random.Random,
) -> datetime:
    """Record a failed try; returns when the message is due again (if not final).

    ``code_id`` is the code the server certainly did not take: forgotten at once. The delay
    is ``backoff_delay`` of the attempts so far, jittered by ``rng``.
    """
    attempts = job.attempts + 1
    delay = max(MIN_RETRY_SECONDS, backoff_delay(attempts, rng=rng))
    kind = "permanent" if isinstance(failure, PermanentFailure) else "temporary"
    now = ctx.clock.now()
    retry_at = now + timedelta(seconds=delay)

    def write() -> None:
        DeliveryAttempt.create(
            message=job.id, at=now, outcome=kind, code=failure.code, reply=failure.reply
        )
        if code_id is not None:
            InvitationCode.delete().where(InvitationCode.id == code_id).execute()
        changes: dict[str, object] = {
            "attempts": attempts,
            "last_error": failure.reply,
            "server_reply": failure.reply if failure.code is not None else None,
            "claimed_by": None,
            "claimed_at": None,
        }
        if not final:
            changes.update(status="pending", next_attempt_at=retry_at)
            OutboxMessage.update(changes).where(OutboxMessage.id == job.id).execute()
            return
        changes["status"] = "failed"
        OutboxMessage.update(changes).where(OutboxMessage.id == job.id).execute()
        if job.is_reminder:
            # The first email was delivered and its code still works; a failed reminder
            # (a hard bounce) only stops the reminders (``reminders.queue_due_reminders``).
            audit.record(
                ctx,
                None,
                "invitation.reminder_failed",
                target=f"{job.supplier_country}:{job.supplier_tax_id}",
                company_id=job.buyer_id,
                actor_name="system",
                outcome="failed",
                detail=f"to {job.recipient}; {job.message_id}; {failure.reply}",
            )
            return
        current = (
            Invitation.update(status="failed")
            .where((Invitation.id == job.invitation_id) & (Invitation.status == "queued"))
            .execute()
        )
        if current:
            # A failed invitation is not live: none of its codes may work.
            InvitationCode.delete().where(InvitationCode.invitation == job.invitation_id).execute()
            SupplierLink.update(status="delivery_failed", status_at=now, expires_at=None).where(
                (SupplierLink.id == job.link_id) & (SupplierLink.status == "queued")
            ).execute()
        audit.record(
            ctx,
            None,
            "invitation.delivery_failed",
            target=f"{job.supplier_country}:{job.supplier_tax_id}",
            company_id=job.buyer_id,
            actor_name="system",
            outcome="failed",
            detail=f"to {job.recipient}; {job.message_id}; {failure.reply}",
        )

    transaction(write)
    return retry_at


def record_cancelled(job: Job) -> None:
    """The invitation was superseded or cancelled after it was queued: its email never goes."""
    transaction(
        lambda: (
            OutboxMessage.update(status="cancelled", claimed_by=None, claimed_at=None)
            .where(OutboxMessage.id == job.id)
            .execute()
        )
    )
