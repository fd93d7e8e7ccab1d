"""kill -9 of `mail deliver --connections 3` at the worst moment, then a restart (issue 10).

The sink kills the deliverer from inside the SMTP transaction, after it stored a message and
before its 250 reaches the client: that message was delivered but can never be recorded, so
the restart sends it again. SMTP cannot be exactly-once; the rule is that the duplicate is
harmless: every email the sink received carries a code that activates, until one is used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gosocket_tui.clock import FixedClock, SystemClock
from gosocket_tui.db.models import Invitation, OutboxMessage, SupplierLink
from gosocket_tui.errors import UserError
from gosocket_tui.mail.maildir import SinkMessage, read_maildir
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import invitations
from gosocket_tui.services.activation import activate
from gosocket_tui.services.codes import verify_code
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery.claims import CLAIM_LEASE
from gosocket_tui.services.delivery.deliverer import Deliverer
from gosocket_tui.services.session import Session
from tests.invitation_helpers import code_hashes, code_in
from tests.unit.test_delivery import many_suppliers

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

QUEUED = 300
KILL_AT = 60  # messages stored by the sink when it kills the deliverer
PASSWORD = "tostado medio 2026"


def _deliver_command(ctx: ServiceContext) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gosocket_tui",
        "--db",
        ctx.config.db,
        "mail",
        "deliver",
        "--connections",
        "3",
    ]


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "GOSOCKET_CONFIG": str(tmp_path / "none.toml"),
        "GOSOCKET_SMTP_HOST": "127.0.0.1",
        "GOSOCKET_SMTP_PORT": str(port),
        "GOSOCKET_SMTP_SECURITY": "none",
        "LANG": "en_US.UTF-8",
    }


def _rewind_claims(by: timedelta) -> int:
    """Time passes for the claims: the killed worker's leases age by ``by``.

    The deliverer process reads the system clock, so instead of sleeping through the lease
    the test moves the claims back (the same as moving the clock forward).
    """
    rows = list(OutboxMessage.select().where(OutboxMessage.status == "sending"))
    for row in rows:
        OutboxMessage.update(claimed_at=row.claimed_at - by).where(
            OutboxMessage.id == row.id
        ).execute()
    return len(rows)


def test_kill_during_delivery_loses_nothing_and_every_code_works(
    ctx: ServiceContext, admin: Session, clock: FixedClock, tmp_path: Path
) -> None:
    clock.set(datetime(2020, 1, 1))  # queued "long ago": due for the processes' real clock
    ids = many_suppliers(ctx, admin, QUEUED)
    invitations.invite(ctx, admin, ids)
    tax_of = {
        link.email: link.tax_id for link in SupplierLink.select().where(SupplierLink.id.in_(ids))
    }

    victim: list[subprocess.Popen[bytes]] = []
    killed_at: list[float] = []
    stored = 0
    lock = threading.Lock()

    def kill_mid_transaction(message: SinkMessage) -> None:
        nonlocal stored
        with lock:
            stored += 1
            if stored == KILL_AT and victim:
                os.kill(victim[0].pid, signal.SIGKILL)  # before this message's 250 leaves
                killed_at.append(time.monotonic())

    maildir = tmp_path / "maildir"
    with MailSink(maildir=maildir, on_message=kill_mid_transaction) as sink:
        env = _env(tmp_path, sink.port)
        proc = subprocess.Popen(
            _deliver_command(ctx), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        victim.append(proc)
        proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL, "the deliverer finished before the kill"
        assert killed_at
        left = OutboxMessage.select().where(OutboxMessage.status != "sent").count()
        assert left > 0

        # The restart: the killed worker's claims are free once its lease ran out.
        _rewind_claims(CLAIM_LEASE + timedelta(seconds=1))
        restart = subprocess.run(
            _deliver_command(ctx),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        finished = time.monotonic()
        assert restart.returncode == 0, restart.stderr
        # Within a minute of the kill: the lease, plus the time the restart took.
        assert CLAIM_LEASE.total_seconds() + (finished - killed_at[0]) < 60

    # None lost: every message is sent, every supplier got at least one email.
    assert {m.status for m in OutboxMessage.select()} == {"sent"}
    received = read_maildir(maildir)
    by_recipient: dict[str, list[str]] = defaultdict(list)
    for message in received:
        (recipient,) = message.rcpt_tos
        by_recipient[recipient].append(code_in(message))
    assert set(by_recipient) == set(tax_of)
    duplicated = {r: codes for r, codes in by_recipient.items() if len(codes) > 1}
    assert duplicated, "the message killed in flight was sent again"

    # Every code ever mailed for a live invitation works...
    for recipient, codes in by_recipient.items():
        invitation = Invitation.get((Invitation.email == recipient) & (Invitation.status == "sent"))
        hashes = code_hashes(invitation.id)
        for code in codes:
            assert any(verify_code(code, stored) for stored in hashes), recipient

    # ...until one of them is used: the first email's code activates, the others then fail.
    clock.set(SystemClock().now())
    for n, (recipient, codes) in enumerate(sorted(duplicated.items())):
        result = activate(
            ctx,
            supplier_country="CL",
            supplier_tax_id=tax_of[recipient],
            inviter_country="CL",
            inviter_tax_id="76.086.428-5",
            code=codes[0],
            username=f"supplier.{n}",
            password=PASSWORD,
        )
        assert result.username == f"supplier.{n}"
        with pytest.raises(UserError):
            activate(
                ctx,
                supplier_country="CL",
                supplier_tax_id=tax_of[recipient],
                inviter_country="CL",
                inviter_tax_id="76.086.428-5",
                code=codes[-1],
                username=f"again.{n}",
                password=PASSWORD,
            )


def test_a_live_deliverers_claim_is_never_taken_over(
    ctx: ServiceContext,
    admin: Session,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A send slower than the lease: the live worker renews its claim, so a second deliverer
    leaves the message alone however far the clock moves."""
    from gosocket_tui.services.delivery import claims as delivery_claims
    from tests.invitation_helpers import smtp_settings

    monkeypatch.setattr(delivery_claims, "LEASE_RENEW_SECONDS", 0.05)
    invitations.invite(ctx, admin, many_suppliers(ctx, admin, 1))
    with MailSink(maildir=tmp_path / "box") as sink:
        sink.delay = 3.0
        reports = []

        def slow_worker() -> None:
            try:
                reports.append(Deliverer(ctx, smtp_settings(sink.port), "live").deliver_due())
            finally:
                ctx.db.close()

        thread = threading.Thread(target=slow_worker)
        thread.start()
        deadline = time.monotonic() + 10
        while OutboxMessage.get().status != "sending" and time.monotonic() < deadline:
            time.sleep(0.01)
        clock.advance(seconds=CLAIM_LEASE.total_seconds() * 4)
        while OutboxMessage.get().claimed_at != clock.now() and time.monotonic() < deadline:
            time.sleep(0.01)  # until the live worker renewed its lease at the new time
        assert OutboxMessage.get().status == "sending", "the send ended before the check"
        other = Deliverer(ctx, smtp_settings(sink.port), "other").deliver_due()
        thread.join(timeout=30)
        assert other.claimed == 0
        assert [r.sent for r in reports] == [1]
        assert len(sink.wait_for(1)) == 1
        time.sleep(0.2)
        assert len(sink.messages()) == 1
