"""The deliverer: takes due invitation emails from the outbox and sends them over SMTP.

The services queue outbox rows; this is where they meet ``mail.smtp.SmtpTransport``, which
only sends. How a message goes out:

1. **Claim** a batch of due rows in one short transaction, as a lease renewed while the run
   lasts (``claims``): two deliverers never send the same message, and the claims of
   a worker that died are taken over.
2. **Create the code now**, not when the invitation was queued: the plain code exists only in
   memory and in the email. Its salted hash is stored (``InvitationCode``) in a transaction
   of its own *before* the email is handed to SMTP, which also checks that the message is
   still this worker's and the invitation still waiting for it. SMTP cannot be exactly-once:
   a crash between the server's 250 and our record of it sends the email again, so every code
   an email may have carried keeps working until the invitation is used, cancelled or
   superseded. A code the server certainly did not take is forgotten at once.
3. **Send** over one SMTP connection reused for the whole run, and record each try
   (``outcomes``: the retry and evidence rules). A problem of the server or of our
   settings (refused connection, TLS, login, timeout, 421) counts against no message: the
   batch goes back to the queue and the run stops, saying why (``DeliveryReport.server_error``).
4. **Nothing stays 'sending'** on an error: a claimed message not yet handed to SMTP is given
   back. One the server accepted but whose record failed (a full disk) is kept in memory and
   recorded first thing in the next run, so this deliverer never sends it twice.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gosocket_tui.config import Config
from gosocket_tui.db.connection import transaction
from gosocket_tui.errors import DatabaseError
from gosocket_tui.mail.smtp import SendResult, SmtpTransport
from gosocket_tui.mail.smtp_failures import PermanentFailure, SmtpFailure
from gosocket_tui.mail.smtp_settings import SmtpSettings
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery.claims import (
    CLAIM_BATCH,
    LeaseKeeper,
    claim_due,
    release_claims,
)
from gosocket_tui.services.delivery.message import (
    Prepared,
    check_activation_url,
    code_lifetime,
    prepare,
)
from gosocket_tui.services.delivery.outcomes import (
    CANCELLED,
    MIN_RETRY_SECONDS,
    TAKEN_OVER,
    Job,
    is_server_problem,
    load_jobs,
    maybe_delivered,
    record_cancelled,
    record_failed,
    record_sent,
    record_server_problem,
    reserve_code,
)
from gosocket_tui.services.delivery.reminders import queue_due_reminders
from gosocket_tui.services.delivery.report import DeliveryReport

log = logging.getLogger(__name__)

#: The longest pause of ``run_forever`` while the server keeps failing.
MAX_PAUSE_SECONDS = 300.0


def smtp_settings_from_config(config: Config) -> SmtpSettings:
    """The SMTP settings of the app configuration (ConfigError when they are unusable).

    Empty username and password mean none.
    """
    return SmtpSettings(
        host=config.smtp_host,
        port=config.smtp_port,
        security=config.smtp_security,
        username=config.smtp_username or None,
        password=config.smtp_password or None,
        sender=config.smtp_sender,
        timeout=config.smtp_timeout_seconds,
        verify_tls=config.smtp_verify_tls,
    )


@dataclass(frozen=True)
class _Unrecorded:
    """A send the server accepted whose record failed: written again before anything else."""

    job: Job
    result: SendResult
    subject: str
    expires_at: datetime


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
        merged.add(report)
    return merged


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
        check_activation_url(ctx.config, settings.sender)

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
            # Expired codes become a state (the sweep) and due reminders join the outbox,
            # before the claim: both are idempotent, so concurrent deliverers may all run them.
            queue_due_reminders(self.ctx)
            if self._paused_until is not None and self.ctx.clock.now() < self._paused_until:
                report.server_error = self._pause_reason
                return report
            with LeaseKeeper(self.ctx, self.worker_id):
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
            record_sent(self.ctx, item.job, item.result, item.subject, item.expires_at)
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
        """Deliver until ``stop_event`` is set (``mail deliver --watch``).

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
            for job in load_jobs(self.ctx, self.worker_id, ids):
                stop = self._deliver(
                    prepare(self.ctx, job, self.settings.sender, self._lifetime), report
                )
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
        when = at or self.ctx.clock.now() + timedelta(seconds=MIN_RETRY_SECONDS)
        return release_claims(self.ctx, self.worker_id, ids, when)

    def _transport_now(self) -> SmtpTransport:
        if self._transport is None:
            self._transport = self._make_transport(self.settings)
        return self._transport

    def _deliver(self, item: Prepared, report: DeliveryReport) -> tuple[str, datetime] | None:
        """Send one prepared message and record the outcome.

        Returns (reply, retry time) when the server itself failed, so the batch stops.
        """
        job = item.job
        if item.build_error is not None:
            failure = PermanentFailure(None, item.build_error, stage="rcpt")
            self._record_failed(job, failure, final=True, code_id=None)
            report.failed += 1
            return None
        if item.email is None:
            # Superseded or cancelled after it was queued: its code must never go out.
            record_cancelled(job)
            report.cancelled += 1
            return None
        code_id = transaction(
            lambda: reserve_code(self.ctx, self.worker_id, job, item.code_hash, item.expires_at)
        )
        if code_id == CANCELLED:
            report.cancelled += 1
            return None
        if code_id == TAKEN_OVER:
            return None
        try:
            result = self._transport_now().send_raw(
                item.email.raw, rcpt_tos=[item.email.recipient], message_id=item.email.message_id
            )
        except SmtpFailure as failure:
            kept = None if maybe_delivered(failure) else code_id
            if is_server_problem(failure):
                return failure.reply, self._server_problem(job, failure, kept)
            final = (
                isinstance(failure, PermanentFailure)
                or job.attempts + 1 >= self.ctx.config.delivery_max_attempts
            )
            self._record_failed(job, failure, final=final, code_id=kept)
            if final:
                report.failed += 1
            else:
                report.retrying += 1
            return None
        # Accepted: from here on this message must never be sent again by this worker.
        self._unrecorded[job.id] = _Unrecorded(job, result, item.email.subject, item.expires_at)
        record_sent(self.ctx, job, result, item.email.subject, item.expires_at)
        del self._unrecorded[job.id]
        report.sent += 1
        return None

    def _record_failed(
        self, job: Job, failure: SmtpFailure, *, final: bool, code_id: int | None
    ) -> datetime:
        return record_failed(self.ctx, job, failure, final=final, code_id=code_id, rng=self._random)

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

    def _server_problem(self, job: Job, failure: SmtpFailure, code_id: int | None) -> datetime:
        """The server failed, not the message: record it and pause the whole queue.

        Returns when the batch's messages are due again.
        """
        retry_at = self._pause_queue(self.ctx.clock.now(), failure.reply)
        record_server_problem(self.ctx, job, failure, code_id, retry_at)
        log.warning("mail server problem, queue paused: %s", failure.reply)
        return retry_at
