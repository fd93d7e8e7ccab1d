"""The expiry sweep and the reminder scheduler at a million suppliers, on SQLite.

Builds one buyer with N suppliers (``_scale_data.build``), then makes a third of them invited
(one sent invitation each, SQL ``INSERT … SELECT``), with expiries spread over the next week
and ``--expired`` of them already past. Reminders are on (2 and 5 days). Measured, each the
median of ``--runs`` repetitions where it repeats:

* ``idle_ms``: a sweep with nothing to do, what every delivery cycle and every listing
  filtered by invitation state pays (reads two partial indexes, writes nothing);
* ``expire_ms``: the one sweep that turns ``--expired`` invitations and links into ``expired``;
* ``reminders_idle_ms``: a reminder scheduling pass with nothing due.

Usage::

    python benchmarks/expiry_sweep.py                 # 1M suppliers in a temp dir
    python benchmarks/expiry_sweep.py --rows 20000    # a quick try

Ends with one line: ``RESULT idle_ms=… expire_ms=… reminders_idle_ms=…``.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _scale_data import build

from gosocket_tui.clock import FixedClock
from gosocket_tui.config import Config
from gosocket_tui.db.models import CompanySettings
from gosocket_tui.services.context import open_context
from gosocket_tui.services.delivery.reminders import queue_due_reminders
from gosocket_tui.services.expiry import sweep_expired

NOW = datetime(2026, 3, 2, 12, 0)


def invite_a_third(path: Path, expired: int) -> int:
    """Every third supplier not registered gets a sent invitation; ``expired`` of them have
    expired a minute ago, the rest expire over the next week (none due for a reminder)."""
    con = sqlite3.connect(path)
    with con:
        rows = con.execute(
            "SELECT id, supplier_id, email FROM supplier_link "
            "WHERE status = 'not_invited' AND id % 3 = 0"
        ).fetchall()
        invitations = []
        for n, (link_id, supplier_id, email) in enumerate(rows):
            if n < expired:
                expires = NOW - timedelta(minutes=1)
            else:
                expires = NOW + timedelta(minutes=1 + n % (7 * 24 * 60 - 1))
            sent = expires - timedelta(days=7) if n < expired else NOW
            invitations.append((link_id, supplier_id, email, str(sent), str(expires)))
        con.executemany(
            "INSERT INTO invitation (link_id, buyer_id, supplier_id, email, language, status, "
            "attempts, created_at, sent_at, expires_at, reminders_queued) "
            "VALUES (?, 1, ?, ?, 'en', 'sent', 0, ?, ?, ?, 2)",
            [(i[0], i[1], i[2], i[3], i[3], i[4]) for i in invitations],
        )
        con.executemany(
            "UPDATE supplier_link SET status = 'invited', status_at = ?, expires_at = ? "
            "WHERE id = ?",
            [(i[3], i[4], i[0]) for i in invitations],
        )
    con.execute("ANALYZE")
    con.close()
    return len(invitations)


def timed(function: object) -> float:
    started = time.perf_counter()
    function()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--expired", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "sweep.db"
        url = f"sqlite:///{path}"
        print(f"built {args.rows} suppliers in {build(url, args.rows):.1f} s")
        invited = invite_a_third(path, args.expired)
        print(f"{invited} invited, {args.expired} of them past their expiry")
        clock = FixedClock(NOW)
        ctx = open_context(Config(db=url), clock=clock)
        CompanySettings.create(company=1, reminders_enabled=True, reminder_days="2,5")
        expire_ms = timed(lambda: sweep_expired(ctx))
        idle = [timed(lambda: sweep_expired(ctx)) for _ in range(args.runs)]
        reminders = [timed(lambda: queue_due_reminders(ctx)) for _ in range(args.runs)]
        expired_links = ctx.db.execute_sql(
            "SELECT COUNT(*) FROM supplier_link WHERE status = 'expired'"
        ).fetchone()[0]
        ctx.close()
        assert expired_links == args.expired, expired_links
        print(
            f"RESULT idle_ms={statistics.median(idle):.2f} expire_ms={expire_ms:.0f} "
            f"reminders_idle_ms={statistics.median(reminders):.2f}"
        )


if __name__ == "__main__":
    main()
