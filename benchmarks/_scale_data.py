"""Build a database with one buyer holding N suppliers, fast (cursor ``executemany``).

Shared by the scale benchmarks. The Tax IDs are valid Chilean RUTs (sequential bodies with
their check digit) so that every row looks like real data to the app. A quarter of the
suppliers were registered before; of the rest, 40 % were invited over the twelve weeks before
the build (:func:`_history`): about half of those activated, the others wait, expired, bounced
or were cancelled, so the Overview's figures have rows to count.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stdnum.cl import rut

from gosocket_tui.config import Config
from gosocket_tui.db.migrations import SQLITE_NAME_INDEX
from gosocket_tui.services import auth, companies
from gosocket_tui.services.context import open_context

BUYER_REF = "CL:76.086.428-5"
ADMIN = "bench.admin"
PASSWORD = "benchmark password 2026"
WORDS = [
    "Agrícola",
    "Comercial",
    "Constructora",
    "Distribuidora",
    "Ferretería",
    "Importadora",
    "Inversiones",
    "Logística",
    "Metalúrgica",
    "Servicios",
    "Tecnologías",
    "Transportes",
    "Aconcagua",
    "Alerces",
    "Pacífico",
    "Cordillera",
    "Atacama",
    "Andina",
    "Esperanza",
    "Roble",
    "Patagonia",
    "Magallanes",
    "Bahía",
    "Valle",
    "Norte",
    "Sur",
    "Oriente",
]
SUFFIXES = ["SpA", "Ltda.", "S.A.", "EIRL"]


def build(url: str, n: int, *, seed: int = 7) -> float:
    """Create the schema, one buyer and its admin, and ``n`` suppliers; return seconds."""
    started = time.perf_counter()
    ctx = open_context(Config(db=url))
    companies.create_company(ctx, "CL", "76.086.428-5", "Comercial Andes SpA")
    auth.create_user(ctx, BUYER_REF, ADMIN, PASSWORD, is_admin=True)
    ctx.close()
    path = url.removeprefix("sqlite:///")
    rng = random.Random(seed)
    now = datetime(2026, 3, 2, 12, 0).isoformat(sep=" ")
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=WAL")
    # The name index is filled once at the end ("rebuild") instead of by a trigger per row.
    for suffix in ("ai", "ad", "au"):
        con.execute(f"DROP TRIGGER supplier_link_fts_{suffix}")
    with con:
        companies_rows = []
        links = []
        invitations: list[tuple[Any, ...]] = []
        history_now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        for i in range(n):
            body = str(10_000_000 + i * 7)
            tax_id = body + rut.calc_check_digit(body)
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(WORDS)} {i} " + rng.choice(
                SUFFIXES
            )
            registered = now if i % 4 == 0 else None
            companies_rows.append((i + 2, "CL", tax_id, name, registered, now))
            status, status_at, expires_at = ("registered", registered, None)
            if not registered:
                status, status_at, expires_at = "not_invited", None, None
                if rng.random() < 0.4:
                    status, status_at, expires_at, invitation = _history(
                        rng, history_now, i + 1, i + 2
                    )
                    invitations.append(invitation)
            links.append(
                (
                    i + 1,
                    1,
                    i + 2,
                    "CL",
                    tax_id,
                    name,
                    f"contacto{i}@example.com",
                    status,
                    status_at,
                    expires_at,
                    now,
                    now,
                )
            )
        con.executemany(
            "INSERT INTO company (id, country, tax_id, name, registered_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            companies_rows,
        )
        con.executemany(
            "INSERT INTO supplier_link (id, buyer_id, supplier_id, country, tax_id, name, email, "
            "status, status_at, expires_at, added_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            links,
        )
        con.executemany(
            "INSERT INTO invitation (link_id, buyer_id, supplier_id, email, language, status, "
            "attempts, created_at, sent_at, expires_at, used_at, cancelled_at) "
            "VALUES (?, 1, ?, ?, 'es', ?, 1, ?, ?, ?, ?, ?)",
            invitations,
        )
    with con:
        for statement in SQLITE_NAME_INDEX[1:]:
            con.execute(statement)
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


HISTORY = timedelta(weeks=12)
LIFETIME = timedelta(days=7)


def _history(
    rng: random.Random, now: datetime, link_id: int, supplier_id: int
) -> tuple[str, str, str | None, tuple[Any, ...]]:
    """One invitation of the last twelve weeks: the link's state, state time and expiry, and
    the invitation row (times as SQLite text, as peewee writes them)."""
    sent = now - timedelta(seconds=rng.randrange(int(HISTORY.total_seconds())))
    expires = sent + LIFETIME
    used = cancelled = None
    roll = rng.random()
    if roll < 0.5:
        used = sent + timedelta(days=min(rng.lognormvariate(0.2, 0.9), 6.8))
        if used >= now:
            used = None
    if used is not None:
        link_state, at, status = "registered", used, "used"
    elif roll > 0.93:
        link_state, at, status = "delivery_failed", sent, "failed"
    elif roll > 0.88:
        cancelled = sent + timedelta(hours=rng.randrange(1, 100))
        link_state, at, status = "cancelled", cancelled, "cancelled"
    else:
        link_state, at, status = "invited", sent, "sent"

    def text(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat(sep=" ")

    keep_expiry = text(expires) if link_state == "invited" else None
    row = (
        link_id,
        supplier_id,
        f"contacto{supplier_id}@example.com",
        status,
        text(sent),
        None if status == "failed" else text(sent),
        None if status == "failed" else text(expires),
        text(used),
        text(cancelled),
    )
    return link_state, text(at) or "", keep_expiry, row


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    print(f"built {count} suppliers in {build(f'sqlite:///{target}', count):.1f} s")
