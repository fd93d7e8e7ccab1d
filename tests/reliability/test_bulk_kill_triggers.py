"""A bulk import killed in the middle of a set-based move leaves the database as it was,
triggers included.

On SQLite the writer drops supplier_link's per-row index triggers (name search, groups) while
it moves a batch and recreates them afterwards, all inside the import's transaction. The child
process here stops right after a batch of links is inserted (on SQLite: triggers dropped, the
new links not yet indexed) and waits; the test kills it there (SIGKILL) or interrupts it
(SIGINT). Afterwards the triggers are exactly as before, the tables hold what they held (the
Overview's state counts too), the name index agrees with its table, and a supplier added by
hand is found by name and group, and counted.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from stdnum.cl import rut

from gosocket_tui.config import Config
from gosocket_tui.db.connection import is_sqlite
from gosocket_tui.services import companies, suppliers
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.services.suppliers import SupplierFilter, SupplierInput
from gosocket_tui.services.system import system_session

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
BUYER = "CL:76.086.428-5"
ROWS = 2_000
TABLES = ("company", "supplier_link", "supplier_group", "invitation", "outbox_message")
STATE_COUNTS = "SELECT buyer_id, status, n FROM supplier_state_count WHERE n <> 0 ORDER BY 1, 2"
FRESH_COUNTS = (
    "SELECT buyer_id, status, COUNT(*) FROM supplier_link GROUP BY buyer_id, status ORDER BY 1, 2"
)
CHILD = """
import sys, time
from gosocket_tui.config import Config
from gosocket_tui.db import bulk as fast
from gosocket_tui.services import bulk
from gosocket_tui.services.context import open_context
from gosocket_tui.services.system import system_session

url, path, company = sys.argv[1:4]
run = fast.run

def run_then_wait(db, sql, params=()):
    rows = run(db, sql, params)
    if "INSERT INTO supplier_link" in sql:
        print("LINKS WRITTEN", flush=True)
        time.sleep(120)
    return rows

fast.run = run_then_wait
ctx = open_context(Config(db=url))
bulk.import_file(ctx, system_session(ctx, company), path)
print("DONE", flush=True)
"""


def write_file(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Tax ID*", "Name*", "Email*", "Groups", "Notify*"])
        for i in range(ROWS):
            body = str(20_000_000 + i * 7)
            writer.writerow(
                [
                    body + rut.calc_check_digit(body),
                    f"Importada Número {i} SpA",
                    f"p{i}@x.example",
                    "insumos" if i % 2 else "",
                    "1" if i % 3 == 0 else "0",
                ]
            )


def triggers(ctx: ServiceContext) -> list[tuple[str, str]]:
    if is_sqlite(ctx.db):
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    else:
        sql = (
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY tgname"
        )
    return [(str(a), str(b)) for a, b in ctx.db.execute_sql(sql).fetchall()]


def stored_counts(ctx: ServiceContext) -> list[tuple[int, str, int]]:
    return [(int(b), str(s), int(n)) for b, s, n in ctx.db.execute_sql(STATE_COUNTS).fetchall()]


def snapshot(url: str) -> tuple[dict[str, int], list[tuple[str, str]], list[tuple[int, str, int]]]:
    ctx = open_context(Config(db=url), upgrade=False)
    try:
        counts = {
            table: int(ctx.db.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in TABLES
        }
        if is_sqlite(ctx.db):
            assert ctx.db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
            ctx.db.execute_sql(
                "INSERT INTO supplier_link_fts (supplier_link_fts) VALUES ('integrity-check')"
            )
        return counts, triggers(ctx), stored_counts(ctx)
    finally:
        ctx.close()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_import_stopped_mid_move_keeps_the_triggers(
    db_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    ctx = open_context(Config(db=db_url))
    companies.create_company(ctx, "CL", "76.086.428-5", "Comercial Andes SpA")
    ctx.close()
    path = tmp_path / "s.csv"
    write_file(path)
    before = snapshot(db_url)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, str(path), BUYER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("LINKS WRITTEN"), (line, child.stderr.read() if child.stderr else "")
        child.send_signal(sig)
        assert child.wait(timeout=60) != 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert snapshot(db_url) == before
    ctx = open_context(Config(db=db_url))
    try:
        session = system_session(ctx, BUYER)
        suppliers.add_supplier(
            ctx,
            session,
            SupplierInput(
                country="CL",
                tax_id="96.790.240-3",
                name="Agregada a Mano SpA",
                email="m@x.example",
                groups="manual",
            ),
        )
        page = suppliers.list_suppliers(ctx, session, SupplierFilter(name="Agregada a Mano"))
        assert [row.name for row in page.rows] == ["Agregada a Mano SpA"]
        assert suppliers.count_suppliers(ctx, session, SupplierFilter(group="manual")) == 1
        fresh = [(int(b), str(s), int(n)) for b, s, n in ctx.db.execute_sql(FRESH_COUNTS)]
        assert stored_counts(ctx) == fresh  # the Overview's counts, by the restored trigger
    finally:
        ctx.close()
