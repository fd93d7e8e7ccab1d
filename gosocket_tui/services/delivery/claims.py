"""Claims and leases: which deliverer sends which outbox message.

A claim marks a due message 'sending' with ``claimed_by`` one worker, in one short transaction
(``claim_due``). On SQLite the transaction starts with ``BEGIN IMMEDIATE``, so two deliverers
never claim the same row; on PostgreSQL the same function selects with ``FOR UPDATE SKIP
LOCKED``. A claim is a lease of ``CLAIM_LEASE``, renewed every ``LEASE_RENEW_SECONDS`` while
the run lasts (``LeaseKeeper``): a claim whose lease ran out belonged to a worker that died,
and another may take it over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from datetime import datetime, timedelta

from gosocket_tui.db.connection import is_postgres, transaction
from gosocket_tui.db.models import OutboxMessage
from gosocket_tui.errors import DatabaseError
from gosocket_tui.services.context import ServiceContext

log = logging.getLogger(__name__)

#: A 'sending' row whose lease is older than this belonged to a worker that died: another may
#: take it. Short, so a restarted deliverer finishes a killed one's work within a minute.
CLAIM_LEASE = timedelta(seconds=30)
#: A live worker renews its leases this often (well inside ``CLAIM_LEASE``).
LEASE_RENEW_SECONDS = 10.0
CLAIM_BATCH = 50


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


def release_claims(
    ctx: ServiceContext, worker_id: str, ids: Collection[int], due_at: datetime
) -> int:
    """Hand this worker's claimed messages back untried (no attempt counted), due at
    ``due_at``; returns how many were still its own."""
    if not ids:
        return 0

    def write() -> int:
        return int(
            OutboxMessage.update(
                status="pending", claimed_by=None, claimed_at=None, next_attempt_at=due_at
            )
            .where(
                OutboxMessage.id.in_(list(ids))
                & (OutboxMessage.status == "sending")
                & (OutboxMessage.claimed_by == worker_id)
            )
            .execute()
        )

    return transaction(write)


class LeaseKeeper:
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

    def __enter__(self) -> LeaseKeeper:
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
