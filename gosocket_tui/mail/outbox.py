"""The deliverer: takes due invitation emails from the outbox and sends them over SMTP.

Unlike the rest of ``mail/`` this module works on the database: it is the bridge between the
outbox rows the services queue and ``smtp.SmtpTransport``.

How a message goes out:

1. **Claim** a batch of due rows in one short transaction (``claim_due``): status 'sending',
   ``claimed_by`` this worker. On SQLite the transaction starts with ``BEGIN IMMEDIATE``, so
   two deliverers never claim the same row; on PostgreSQL the same function selects with
   ``FOR UPDATE SKIP LOCKED``. A claim is a lease of ``CLAIM_LEASE``, renewed every
   ``LEASE_RENEW_SECONDS`` while the run lasts (``_LeaseKeeper``): a claim whose lease ran
   out belonged to a worker that died, and another may take it over.
2. **Create the code now**, not when the invitation was queued: the plain code exists only in
   memory and in the email. Its salted hash is stored (``InvitationCode``) in a transaction
   of its own *before* the email is handed to SMTP, which also checks that the message is
   still this worker's and the invitation still waiting for it. SMTP cannot be exactly-once:
   a crash between the server's 250 and our record of it sends the email again, so every code
   an email may have carried keeps working until the invitation is used, cancelled or
   superseded. A code the server certainly did not take is forgotten at once.
3. **Send** over one SMTP connection reused for the whole run, and record a DeliveryAttempt
   per try (the evidence support asks for). Only a reply about this message counts as one of
   its ``delivery_max_attempts``: 4xx retries later with exponential backoff, 5xx fails at
   once. A problem of the server or of our settings (refused connection, TLS, login,
   timeout, 421) counts against no message: the batch goes back to the queue and the run
   stops, saying why (``DeliveryReport.server_error``).
4. **Nothing stays 'sending'** on an error: a claimed message not yet handed to SMTP is given
   back. One the server accepted but whose record failed (a full disk) is kept in memory and
   recorded first thing in the next run, so this deliverer never sends it twice.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gosocket_tui.config import Config
from gosocket_tui.db.connection import is_postgres, transaction
from gosocket_tui.db.models import (
    Company,
    DeliveryAttempt,
    Invitation,
    InvitationCode,
    OutboxMessage,
    SupplierLink,
)
from gosocket_tui.errors import ConfigError, DatabaseError
from gosocket_tui.i18n import _
from gosocket_tui.mail.compose import ComposedEmail, compose_invitation
from gosocket_tui.mail.smtp import (
    PermanentFailure,
    SendResult,
    SetupFailure,
    SmtpFailure,
    SmtpSettings,
    SmtpTransport,
    backoff_delay,
)
from gosocket_tui.services import audit
from gosocket_tui.services.codes import generate_code, hash_code, new_salt
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.taxid import format_tax_id

log = logging.getLogger(__name__)

#: A 'sending' row whose lease is older than this belonged to a worker that died: another may
#: take it. Short, so a restarted deliverer finishes a killed one's work within a minute.
CLAIM_LEASE = timedelta(seconds=30)
#: A live worker renews its leases this often (well inside ``CLAIM_LEASE``).
LEASE_RENEW_SECONDS = 10.0
CLAIM_BATCH = 50
#: Never retry sooner than this, whatever the jitter drew (keeps one run from spinning).
MIN_RETRY_SECONDS = 5.0
#: The longest pause of ``run_forever`` while the server keeps failing.
MAX_PAUSE_SECONDS = 300.0
#: Failures at these stages are about the server, not the message: stop the batch.
SERVER_STAGES = ("connect", "tls", "auth")
#: The outcome of a try that failed for the server's sake: evidence, not an attempt.
SERVER_OUTCOME = "server"
# What ``Deliverer._reserve`` returns instead of a code's row id (row ids are positive).
_TAKEN_OVER = -1
_CANCELLED = -2


def smtp_settings_from_config(config: Config) -> SmtpSettings:
    """The SMTP settings of the app configuration (ConfigError when they are unusable)."""
    return SmtpSettings.from_config(config)


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did; ``server_error`` is set when it stopped early."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    released: int = 0
    server_error: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        text = _(
            "{sent} sent, {retrying} to retry, {failed} failed, {cancelled} cancelled "
            "in {seconds:.1f} s.",
            sent=self.sent,
            retrying=self.retrying,
            failed=self.failed,
            cancelled=self.cancelled,
            seconds=self.seconds,
        )
        if self.server_error:
            text += " " + _("Mail server problem: {error}", error=self.server_error)
            text += " " + _(
                "The queue waits for the server; {count} back in the queue, no attempt counted.",
                count=self.released,
            )
        return text


@dataclass(frozen=True)
class _Job:
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


@dataclass(frozen=True)
class _Prepared:
    """A job with its email built; ``email`` None means cancelled or ``build_error``."""

    job: _Job
    email: ComposedEmail | None
    code_hash: str
    expires_at: datetime
    build_error: str | None


@dataclass(frozen=True)
class _Unrecorded:
    """A send the server accepted whose record failed: written again before anything else."""

    job: _Job
    result: SendResult
    subject: str
    expires_at: datetime


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


def _maybe_delivered(failure: SmtpFailure) -> bool:
    """The connection broke after DATA went out: the server may have kept the message."""
    return failure.stage == "data" and failure.code is None


def code_lifetime(config: Config, now: datetime) -> timedelta:
    """The configured code lifetime; ConfigError when no expiry date can be computed from it."""
    hours = config.activation_code_lifetime_hours
    try:
        lifetime = timedelta(hours=hours)
        if now + lifetime <= now:
            raise ValueError(hours)
    except (OverflowError, ValueError, TypeError):
        raise ConfigError(
            _("The activation code lifetime of {hours} hours is out of range.", hours=hours)
        ) from None
    return lifetime


class _LeaseKeeper:
    """Renews a worker's claims from a thread of its own while a run lasts.

    Why a thread: one SMTP send may take several server timeouts, longer than the lease; the
    renewal must not wait for it. When the process dies the renewals stop, and the claims
    are free ``CLAIM_LEASE`` later.
    """

    def __init__(self, ctx: ServiceContext, worker_id: str) -> None:
        self.ctx = ctx
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(LEASE_RENEW_SECONDS):
                try:
                    transaction(self.renew)
                except DatabaseError as exc:  # the sends go on; a lost lease is harmless
                    log.warning("cannot renew the delivery lease: %s", exc)
        finally:
            self.ctx.db.close()  # this thread's connection

    def renew(self) -> int:
        return int(
            OutboxMessage.update(claimed_at=self.ctx.clock.now())
            .where(
                (OutboxMessage.status == "sending") & (OutboxMessage.claimed_by == self.worker_id)
            )
            .execute()
        )


def deliver_over_connections(
    ctx: ServiceContext,
    settings: SmtpSettings,
    worker_id: str,
    connections: int,
    *,
    transport_factory: Callable[[SmtpSettings], SmtpTransport] | None = None,
) -> DeliveryReport:
    """Send every due message over ``connections`` SMTP connections at once, one deliverer
    (and database connection) per thread.

    Why: most of a send is waiting for the server's replies, one round trip per command; a
    second connection uses that wait. The claims already keep concurrent deliverers from
    sending a message twice, so the threads need no coordination of their own.
    """
    count = max(1, connections)
    deliverers = [
        Deliverer(ctx, settings, f"{worker_id}#{n}", transport_factory=transport_factory)
        for n in range(count)
    ]
    if count == 1:
        return deliverers[0].deliver_due()
    started = time.perf_counter()
    reports: list[DeliveryReport] = [DeliveryReport() for _ in deliverers]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            reports[n] = deliverers[n].deliver_due()
        except BaseException as exc:  # re-raised in the calling thread below
            errors.append(exc)
        finally:
            ctx.db.close()  # this thread's connection

    threads = [
        threading.Thread(target=run, args=(n,), name=f"deliver-{n}", daemon=True)
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    merged = DeliveryReport(seconds=time.perf_counter() - started)
    for report in reports:
        merged.claimed += report.claimed
        merged.sent += report.sent
        merged.retrying += report.retrying
        merged.failed += report.failed
        merged.cancelled += report.cancelled
        merged.released += report.released
        merged.server_error = merged.server_error or report.server_error
    return merged


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


def claim_due(ctx: ServiceContext, worker_id: str, now: datetime, limit: int) -> list[int]:
    """Mark up to ``limit`` due messages as this worker's; call inside a transaction.

    Due: 'pending' whose ``next_attempt_at`` has come, or 'sending' whose lease ran out.
    Kept apart so that the engine-specific locking lives in one place.
    """
    pending = (
        OutboxMessage.select(OutboxMessage.id)
        .where((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    stale = (
        OutboxMessage.select(OutboxMessage.id)
        .where((OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - CLAIM_LEASE))
        .order_by(OutboxMessage.claimed_at, OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(ctx.db):
        pending = pending.for_update(skip_locked=True)
        stale = stale.for_update(skip_locked=True)
    ids = [row.id for row in pending]
    if len(ids) < limit:
        ids += [row.id for row in stale.limit(limit - len(ids))]
    if ids:
        OutboxMessage.update(status="sending", claimed_by=worker_id, claimed_at=now).where(
            OutboxMessage.id.in_(ids)
        ).execute()
    return ids


class Deliverer:
    """Sends due outbox messages; one per worker thread or process (not thread-safe).

    ``worker_id`` names this worker in ``claimed_by`` (host:pid is a good choice). Several
    deliverers may run at once on one database: each message is sent by exactly one of them.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        settings: SmtpSettings,
        worker_id: str,
        *,
        batch_size: int = CLAIM_BATCH,
        transport_factory: Callable[[SmtpSettings], SmtpTransport] | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.worker_id = worker_id
        self.batch_size = max(1, batch_size)
        self._make_transport = transport_factory or SmtpTransport
        self._transport: SmtpTransport | None = None
        # Jitter drawn from the context's random source, so a seeded test sees fixed delays.
        self._random = random.Random(int.from_bytes(ctx.rng.token_bytes(8), "big"))
        self._lifetime = code_lifetime(ctx.config, ctx.clock.now())
        #: Sends the server accepted whose record failed, by message id.
        self._unrecorded: dict[int, _Unrecorded] = {}
        # The queue-wide pause after a server problem (``_pause_queue``).
        self._pause = 0.0
        self._paused_until: datetime | None = None
        self._pause_reason = ""
        self._check_activation_url()

    def _check_activation_url(self) -> None:
        """A bad activation URL would fail every message: refuse to start instead."""
        try:
            compose_invitation(
                lang="en",
                sender=self.settings.sender,
                recipient="check@example.com",
                message_id="<check@example.com>",
                buyer_name="-",
                buyer_tax_id_formatted="-",
                buyer_country="CL",
                supplier_name="-",
                supplier_tax_id_formatted="-",
                code="0000-0000-0000",
                expires_at=datetime(2000, 1, 1),
                activation_url=self.ctx.config.activation_url or None,
                now=datetime(2000, 1, 1),
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    # -- the run ---------------------------------------------------------------------------

    def deliver_due(self, limit: int | None = None) -> DeliveryReport:
        """Send every due message (at most ``limit``), batch by batch; returns what happened.

        Stops early when the server cannot be reached or refuses the connection setup; the
        report's ``server_error`` says why and the rest waits for the next run. While the
        queue is paused for a server problem, a run only reports it (see ``_pause_queue``).
        """
        started = time.perf_counter()
        report = DeliveryReport()
        try:
            self._record_unrecorded(report)
            if self._paused_until is not None and self.ctx.clock.now() < self._paused_until:
                report.server_error = self._pause_reason
                return report
            with _LeaseKeeper(self.ctx, self.worker_id):
                self._run_batches(limit, report)
            if report.server_error is None:
                self._pause = 0.0
        finally:
            self.close()
            report.seconds = time.perf_counter() - started
        return report

    def _record_unrecorded(self, report: DeliveryReport) -> None:
        """Write the sends a full disk kept us from recording; raises while it still fails."""
        for message_id, item in list(self._unrecorded.items()):
            self._finish_sent(item.job, item.result, item.subject, item.expires_at)
            del self._unrecorded[message_id]
            report.sent += 1

    def _run_batches(self, limit: int | None, report: DeliveryReport) -> None:
        while limit is None or report.claimed < limit:
            size = (
                self.batch_size if limit is None else min(self.batch_size, limit - report.claimed)
            )
            ids = self._claim(size)
            if not ids:
                break
            report.claimed += len(ids)
            self._send_batch(ids, report)
            if report.server_error:
                break

    def _claim(self, size: int) -> list[int]:
        return transaction(lambda: claim_due(self.ctx, self.worker_id, self.ctx.clock.now(), size))

    def run_forever(
        self,
        stop_event: threading.Event,
        poll_seconds: float = 5.0,
        on_report: Callable[[DeliveryReport], None] | None = None,
    ) -> None:
        """Deliver until ``stop_event`` is set (``mail deliver --watch``, the demo's thread).

        No error ends the loop: it is logged and reported, and while the server (or the
        database) keeps failing the pause between runs doubles, up to ``MAX_PAUSE_SECONDS``.
        """
        failures = 0
        while not stop_event.is_set():
            try:
                report = self.deliver_due()
            except Exception as exc:  # keep the watcher alive; the log has the traceback
                log.exception("delivery run failed")
                report = DeliveryReport(server_error=str(exc) or exc.__class__.__name__)
            if on_report is not None and (report.claimed or report.server_error):
                on_report(report)
            if report.server_error:
                failures += 1
                pause = min(MAX_PAUSE_SECONDS, poll_seconds * 2 ** min(failures - 1, 16))
            else:
                failures = 0
                pause = poll_seconds if report.claimed == 0 else 0.0
            if pause:
                stop_event.wait(pause)

    def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    # -- one batch -------------------------------------------------------------------------

    def _send_batch(self, ids: list[int], report: DeliveryReport) -> None:
        """Send one claimed batch in order; stop at a server-level failure.

        Serial on purpose: building an email is CPU work, and a helper thread building the
        next one only fights the sending thread for the GIL (measured slower).
        """
        remaining = set(ids)
        try:
            for job in self._load(ids):
                stop = self._deliver(self._prepare(job), report)
                remaining.discard(job.id)  # its outcome is recorded
                if stop is not None:
                    # The rest of the batch waits with the message that found the server
                    # failing; none of them counts an attempt.
                    report.server_error, retry_at = stop
                    report.released += 1 + self._release(remaining, retry_at)
                    remaining.clear()
                    return
        finally:
            # An unexpected error: give back what was not handed to SMTP instead of leaving
            # it 'sending'. If even that write fails, the lease frees them shortly.
            remaining -= self._unrecorded.keys()
            if remaining:
                try:
                    self._release(remaining)
                except DatabaseError as exc:
                    log.warning("cannot give back %d claimed messages: %s", len(remaining), exc)

    def _release(self, ids: set[int], at: datetime | None = None) -> int:
        """Hand claimed messages back untried (no attempt counted)."""
        if not ids:
            return 0
        when = at or self.ctx.clock.now() + timedelta(seconds=MIN_RETRY_SECONDS)

        def write() -> int:
            return int(
                OutboxMessage.update(
                    status="pending", claimed_by=None, claimed_at=None, next_attempt_at=when
                )
                .where(
                    OutboxMessage.id.in_(list(ids))
                    & (OutboxMessage.status == "sending")
                    & (OutboxMessage.claimed_by == self.worker_id)
                )
                .execute()
            )

        return transaction(write)

    def _load(self, ids: list[int]) -> list[_Job]:
        buyers: dict[int, Company] = {}
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
            )
            .where(OutboxMessage.id.in_(ids) & (OutboxMessage.claimed_by == self.worker_id))
            .order_by(OutboxMessage.id)
        )
        messages = list(query)
        invitation_ids = [m.invitation_id for m in messages if m.invitation_id is not None]
        invitations = {
            inv.id: inv
            for inv in Invitation.select(
                Invitation.id, Invitation.status, Invitation.link, SupplierLink
            )
            .join(SupplierLink)
            .where(Invitation.id.in_(invitation_ids))
        }
        for message in messages:
            if message.buyer_id not in buyers:
                buyers[message.buyer_id] = Company.get_by_id(message.buyer_id)
            buyer = buyers[message.buyer_id]
            invitation = invitations.get(message.invitation_id or 0)
            link = invitation.link if invitation is not None else None
            jobs.append(
                _Job(
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
                )
            )
        return jobs

    def _transport_now(self) -> SmtpTransport:
        if self._transport is None:
            self._transport = self._make_transport(self.settings)
        return self._transport

    def _prepare(self, job: _Job) -> _Prepared:
        """Create the code and the email; the plain code never leaves this email."""
        if job.invitation_id is None or job.invitation_status != "queued":
            return _Prepared(job, None, "", datetime.min, None)
        now = self.ctx.clock.now()
        expires_at = now + self._lifetime
        code = generate_code(self.ctx.rng)
        code_hash = hash_code(code, new_salt(self.ctx.rng))
        try:
            email = compose_invitation(
                lang=job.language,
                sender=self.settings.sender,
                recipient=job.recipient,
                message_id=job.message_id,
                buyer_name=job.buyer_name,
                buyer_tax_id_formatted=job.buyer_tax_id,
                buyer_country=job.buyer_country,
                supplier_name=job.supplier_name,
                supplier_tax_id_formatted=format_tax_id(job.supplier_country, job.supplier_tax_id),
                supplier_country=job.supplier_country,
                code=code,
                expires_at=expires_at,
                activation_url=self.ctx.config.activation_url or None,
                now=now,
            )
        except ValueError as exc:  # a recipient no server could take: no point retrying
            return _Prepared(job, None, "", expires_at, f"message not built: {exc}")
        # The plain code now lives only inside ``email``; the database gets the hash.
        return _Prepared(job, email, code_hash, expires_at, None)

    def _deliver(self, item: _Prepared, report: DeliveryReport) -> tuple[str, datetime] | None:
        """Send one prepared message and record the outcome.

        Returns (reply, retry time) when the server itself failed, so the batch stops.
        """
        job = item.job
        if item.build_error is not None:
            failure = PermanentFailure(None, item.build_error, stage="rcpt")
            self._finish_failed(job, failure, final=True, code_id=None)
            report.failed += 1
            return None
        if item.email is None:
            # Superseded or cancelled after it was queued: its code must never go out.
            self._finish_cancelled(job)
            report.cancelled += 1
            return None
        code_id = transaction(lambda: self._reserve(item))
        if code_id == _CANCELLED:
            report.cancelled += 1
            return None
        if code_id == _TAKEN_OVER:
            return None
        try:
            result = self._transport_now().send_raw(
                item.email.raw, rcpt_tos=[item.email.recipient], message_id=item.email.message_id
            )
        except SmtpFailure as failure:
            kept = None if _maybe_delivered(failure) else code_id
            if is_server_problem(failure):
                return failure.reply, self._finish_server_problem(job, failure, kept)
            final = (
                isinstance(failure, PermanentFailure)
                or job.attempts + 1 >= self.ctx.config.delivery_max_attempts
            )
            self._finish_failed(job, failure, final=final, code_id=kept)
            if final:
                report.failed += 1
            else:
                report.retrying += 1
            return None
        # Accepted: from here on this message must never be sent again by this worker.
        self._unrecorded[job.id] = _Unrecorded(job, result, item.email.subject, item.expires_at)
        self._finish_sent(job, result, item.email.subject, item.expires_at)
        del self._unrecorded[job.id]
        report.sent += 1
        return None

    def _reserve(self, item: _Prepared) -> int:
        """Store the code's hash before the email leaves; returns the code's row id, or
        ``_TAKEN_OVER`` / ``_CANCELLED`` when the email must not leave.

        Call inside a transaction: the message must still be this worker's (its lease is
        renewed) and the invitation still waiting for it; a cancelled or superseded
        invitation's message is marked cancelled instead.
        """
        job = item.job
        now = self.ctx.clock.now()
        owned = (
            OutboxMessage.update(claimed_at=now)
            .where(
                (OutboxMessage.id == job.id)
                & (OutboxMessage.status == "sending")
                & (OutboxMessage.claimed_by == self.worker_id)
            )
            .execute()
        )
        if not owned:
            return _TAKEN_OVER  # another worker took it over: it sends it
        waiting = (
            Invitation.select(Invitation.id)
            .where((Invitation.id == job.invitation_id) & (Invitation.status == "queued"))
            .exists()
        )
        if not waiting:
            OutboxMessage.update(status="cancelled", claimed_by=None, claimed_at=None).where(
                OutboxMessage.id == job.id
            ).execute()
            return _CANCELLED
        row = InvitationCode.create(
            invitation=job.invitation_id,
            code_hash=item.code_hash,
            created_at=now,
            expires_at=item.expires_at,
        )
        return int(row.id)

    # -- recording outcomes (one short transaction each) --------------------------------------

    def _finish_sent(
        self,
        job: _Job,
        result: SendResult,
        subject: str,
        expires_at: datetime,
    ) -> None:
        """Record a delivery: message sent, attempt, the invitation and the link 'invited'.

        The hot path of a big invite (one short transaction per message, so a crash loses
        at most the message in flight), hence plain SQL: the query builder costs more than
        the writes themselves.
        """
        ctx = self.ctx
        sql = _sent_statements(ctx.db.param)

        def write() -> None:
            now = _db_time(ctx.clock.now())
            expires = _db_time(expires_at)
            ctx.db.execute_sql(sql[0], (now, result.reply, subject, job.id))
            ctx.db.execute_sql(sql[1], (job.id, now, result.code, result.reply))
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

    def _pause_queue(self, now: datetime, reason: str) -> datetime:
        """Pause this deliverer's queue after a server problem; returns when it resumes.

        The pause starts at ``MIN_RETRY_SECONDS`` and doubles with each problem in a row, up to
        ``MAX_PAUSE_SECONDS``, so a long-lived deliverer (the app's, ``--watch``) asks a server
        that is down once per pause and leaves one evidence row each time, not one per poll.
        The batch's messages get the same time, so other deliverers wait too.
        """
        self._pause = min(MAX_PAUSE_SECONDS, max(MIN_RETRY_SECONDS, self._pause * 2))
        self._paused_until = now + timedelta(seconds=self._pause)
        self._pause_reason = reason
        return self._paused_until

    def _finish_server_problem(
        self, job: _Job, failure: SmtpFailure, code_id: int | None
    ) -> datetime:
        """The server failed, not the message: evidence kept, no attempt counted.

        The message goes back to the queue (with the rest of the batch) and the whole queue
        pauses. Returns when the messages are due again.
        """
        now = self.ctx.clock.now()
        retry_at = self._pause_queue(now, failure.reply)

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
        log.warning("mail server problem, queue paused: %s", failure.reply)
        return retry_at

    def _finish_failed(
        self, job: _Job, failure: SmtpFailure, *, final: bool, code_id: int | None
    ) -> datetime:
        """Record a failed try; returns when the message is due again (if not final).

        ``code_id`` is the code the server certainly did not take: forgotten at once.
        """
        ctx = self.ctx
        attempts = job.attempts + 1
        delay = max(MIN_RETRY_SECONDS, backoff_delay(attempts, rng=self._random))
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
            current = (
                Invitation.update(status="failed")
                .where((Invitation.id == job.invitation_id) & (Invitation.status == "queued"))
                .execute()
            )
            if current:
                # A failed invitation is not live: none of its codes may work.
                InvitationCode.delete().where(
                    InvitationCode.invitation == job.invitation_id
                ).execute()
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

    def _finish_cancelled(self, job: _Job) -> None:
        transaction(
            lambda: (
                OutboxMessage.update(status="cancelled", claimed_by=None, claimed_at=None)
                .where(OutboxMessage.id == job.id)
                .execute()
            )
        )
