"""A bulk import killed half-way leaves the database exactly as it was.

A child process imports a 50,000-row file through the real service; once its progress says
the import pass has written six batches (30,000 rows, inside the one transaction), the test
kills it (SIGKILL: no cleanup at all) or interrupts it (SIGINT: Ctrl+C). Every table the
import touches must hold what it held before, and SQLite must report a sound file.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stdnum.cl import rut

from gosocket_tui.config import Config
from gosocket_tui.db.connection import is_sqlite
from gosocket_tui.services import companies, suppliers
from gosocket_tui.services.context import open_context
from gosocket_tui.services.system import system_session

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
BUYER = "CL:76.086.428-5"
ROWS = 50_000
TABLES = (
    "company",
    "supplier_link",
    "supplier_group",
    "invitation",
    "outbox_message",
    "audit_event",
)
CHILD = """
import sys
from gosocket_tui.config import Config
from gosocket_tui.services import bulk
from gosocket_tui.services.context import open_context
from gosocket_tui.services.system import system_session

url, path, company = sys.argv[1:4]
ctx = open_context(Config(db=url))
session = system_session(ctx, company)
announced = False

def progress(p):
    global announced
    if p.phase == "import" and p.rows >= 30_000 and not announced:
        announced = True
        print("WRITING", p.rows, flush=True)

bulk.import_file(ctx, session, path, progress=progress)
print("DONE", flush=True)
"""


def write_file(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Tax ID*", "Name*", "Email*", "Groups", "Notify*"])
        for i in range(ROWS):
            body = str(10_000_000 + i * 7)
            writer.writerow(
                [
                    body + rut.calc_check_digit(body),
                    f"Proveedor Número {i} SpA",
                    f"p{i}@proveedor{i}.example.com",
                    "insumos" if i % 2 else "",
                    "1" if i % 3 == 0 else "0",
                ]
            )


def snapshot(url: str) -> dict[str, int]:
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
            counts["fts"] = int(
                ctx.db.execute_sql(
                    "SELECT COUNT(*) FROM supplier_link_fts WHERE supplier_link_fts MATCH ?",
                    ('"Proveedor"',),
                ).fetchone()[0]
            )
        return counts
    finally:
        ctx.close()


@pytest.fixture
def prepared(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A database with a buyer and one supplier already, and the file to import."""
    ctx = open_context(Config(db=db_url))
    companies.create_company(ctx, "CL", "76.086.428-5", "Comercial Andes SpA")
    session = system_session(ctx, BUYER)
    suppliers.add_supplier(
        ctx,
        session,
        suppliers.SupplierInput(
            country="CL",
            tax_id="96.790.240-3",
            name="Proveedor Existente",
            email="e@x.example",
            groups="insumos",
        ),
    )
    ctx.close()
    path = tmp_path / "big.csv"
    write_file(path)
    return db_url, path


def run_and_stop(url: str, path: Path, sig: signal.Signals) -> int:
    # The validation's spool goes to the test's folder: a SIGKILL leaves it behind.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(path.parent)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(path), BUYER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until the import pass has written
        assert line.startswith("WRITING"), (line, child.stderr.read() if child.stderr else "")
        child.send_signal(sig)
        return child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_stopped_import_leaves_the_database_as_it_was(
    prepared: tuple[str, Path], sig: signal.Signals
) -> None:
    url, path = prepared
    before = snapshot(url)
    started = time.monotonic()
    code = run_and_stop(url, path, sig)
    assert code != 0, "the import finished before it could be stopped"
    assert snapshot(url) == before
    # And the database is usable: the same file imports completely afterwards.
    ctx = open_context(Config(db=url))
    try:
        from gosocket_tui.services import bulk

        session = system_session(ctx, BUYER)
        summary = bulk.import_file(ctx, session, path)
        assert summary.added == ROWS
        assert suppliers.count_suppliers(ctx, session) == ROWS + 1
    finally:
        ctx.close()
    assert time.monotonic() - started < 600
