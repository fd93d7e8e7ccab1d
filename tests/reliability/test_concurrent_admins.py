"""Several administrators' processes on one database at once (issue: trust).

Four processes on SQLite (eight on PostgreSQL) add overlapping suppliers, invite, deliver,
activate and log in for a bounded time. Nothing unexpected may reach them (no "database is
locked"), and the database must hold no duplicate, every invitation delivered exactly once,
and an audit event for every write.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from gosocket_tui.db.models import AuditEvent, Company, OutboxMessage, SupplierLink, User
from gosocket_tui.mail.maildir import read_maildir
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services.context import ServiceContext
from tests.conftest import on_postgres

pytestmark = pytest.mark.slow
SECONDS = 15


def test_concurrent_administrators(
    ctx: ServiceContext, buyers: object, db_url: str, tmp_path: Path
) -> None:
    processes = 8 if on_postgres() else 4
    maildir = tmp_path / "maildir"
    root = Path(__file__).resolve().parents[2]
    with MailSink(maildir=maildir) as sink:
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.reliability.concurrent_worker",
                    db_url,
                    str(sink.port),
                    str(maildir),
                    str(i),
                    str(SECONDS),
                ],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(processes)
        ]
        reports = []
        for proc in workers:
            out, err = proc.communicate(timeout=SECONDS + 60)
            assert proc.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
        messages = read_maildir(maildir)

    unexpected = [u for r in reports for u in r["unexpected"]]
    assert unexpected == []
    ops: Counter[str] = Counter()
    for r in reports:
        ops.update(r["ops"])
    assert ops["add"] > 0 and ops["invite"] > 0 and ops["deliver"] > 0 and ops["login"] > 0

    # No duplicate company or link, whatever the collisions.
    companies = Counter((c.country, c.tax_id) for c in Company.select())
    assert max(companies.values()) == 1
    links = Counter((li.buyer_id, li.supplier_id) for li in SupplierLink.select())
    assert max(links.values()) == 1

    # Every invitation delivered exactly once.
    ids = Counter(m.message_id for m in messages)
    assert ids and max(ids.values()) == 1
    sent = OutboxMessage.select().where(OutboxMessage.status == "sent").count()
    assert sent == len(messages)
    assert (
        OutboxMessage.select().where(OutboxMessage.status.in_(["pending", "sending"])).count() == 0
    )

    # Every write has its audit event.
    def audited(action: str) -> int:
        return (
            AuditEvent.select()
            .where(AuditEvent.action == action, AuditEvent.outcome == "ok")
            .count()
        )

    assert audited("supplier.add") == SupplierLink.select().count()
    # A message sent for an invitation superseded meanwhile is audited as "stale": its code
    # was never stored, so it cannot be used.
    sent_events = AuditEvent.select().where(
        AuditEvent.action == "invitation.sent", AuditEvent.outcome.in_(["ok", "stale"])
    )
    assert sent_events.count() == sent
    activated = audited("supplier.activate")
    assert activated == ops["activate"]
    assert User.select().count() == 4 + activated
    registered = Company.select().where(Company.registered_at.is_null(False)).count()
    assert registered == 2 + activated
