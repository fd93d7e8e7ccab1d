"""Build a database with one buyer holding N suppliers, fast (cursor ``executemany``).

Shared by the scale benchmarks. The Tax IDs are valid Chilean RUTs (sequential bodies with
their check digit) so that every row looks like real data to the app.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import datetime
from pathlib import Path

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
        for i in range(n):
            body = str(10_000_000 + i * 7)
            tax_id = body + rut.calc_check_digit(body)
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(WORDS)} {i} " + rng.choice(
                SUFFIXES
            )
            registered = now if i % 4 == 0 else None
            companies_rows.append((i + 2, "CL", tax_id, name, registered, now))
            status = "registered" if registered else "not_invited"
            links.append(
                (
                    1,
                    i + 2,
                    "CL",
                    tax_id,
                    name,
                    f"contacto{i}@example.com",
                    status,
                    registered,
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
            "INSERT INTO supplier_link (buyer_id, supplier_id, country, tax_id, name, email, "
            "status, status_at, added_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            links,
        )
    with con:
        for statement in SQLITE_NAME_INDEX[1:]:
            con.execute(statement)
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    print(f"built {count} suppliers in {build(f'sqlite:///{target}', count):.1f} s")
