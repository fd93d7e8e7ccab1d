"""Database faults: full, read-only, not a database, newer schema. Clear message, nothing lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gosocket_tui.db.models import AuditEvent, Company, SupplierLink
from gosocket_tui.errors import DatabaseError
from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import SupplierInput

pytestmark = pytest.mark.sqlite_only


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "LANG": "en_US.UTF-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "gosocket_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 1, result
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert needle in result.stderr, result.stderr


def test_database_full_during_add(ctx: ServiceContext, admin: Session) -> None:
    page_count = ctx.db.execute_sql("PRAGMA page_count").fetchone()[0]
    ctx.db.execute_sql(f"PRAGMA max_page_count = {page_count + 2}")
    long_text = "x" * 250
    added = 0
    with pytest.raises(DatabaseError, match="full"):
        for i in range(500):
            body = str(10_000_000 + i * 7)
            from stdnum.cl import rut

            suppliers.add_supplier(
                ctx,
                admin,
                SupplierInput(
                    "CL",
                    body + rut.calc_check_digit(body),
                    f"Proveedor {i} " + "y" * 150,
                    f"p{i}@example.com",
                    description=long_text,
                    address=long_text,
                ),
            )
            added += 1
    # Every supplier that was reported added is whole; the failed one left nothing behind.
    assert SupplierLink.select().count() == added
    assert Company.select().count() == added + 2
    ok_adds = (
        AuditEvent.select()
        .where(AuditEvent.action == "supplier.add", AuditEvent.outcome == "ok")
        .count()
    )
    assert ok_adds == added
    # Space freed: the app goes on working.
    ctx.db.execute_sql("PRAGMA max_page_count = 1073741823")
    suppliers.add_supplier(ctx, admin, SupplierInput("CL", "96.790.240-3", "Después", "d@x.cl"))


def test_not_a_database_at_start_up(tmp_path: Path) -> None:
    bogus = tmp_path / "junk.db"
    bogus.write_bytes(os.urandom(8192))
    result = run_cli("--db", f"sqlite:///{bogus}", "user", "list", home=tmp_path)
    assert_one_line_error(result, "not a gosocket-tui database")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_database_at_start_up(tmp_path: Path) -> None:  # pragma: no cover - non-root
    db = tmp_path / "ro.db"
    assert run_cli("--db", f"sqlite:///{db}", "db", "upgrade", home=tmp_path).returncode == 0
    db.chmod(0o400)
    tmp_path.chmod(0o500)
    try:
        result = run_cli(
            "--db",
            f"sqlite:///{db}",
            "company",
            "add",
            "--country",
            "CL",
            "--tax-id",
            "76.086.428-5",
            "--name",
            "X",
            home=tmp_path,
        )
        assert_one_line_error(result, "read-only")
    finally:
        tmp_path.chmod(0o700)


def test_read_only_database_via_uri(tmp_path: Path) -> None:
    """As root, permissions do not bite: open the file read-only through SQLite itself."""
    db = tmp_path / "ro.db"
    assert run_cli("--db", f"sqlite:///{db}", "db", "upgrade", home=tmp_path).returncode == 0
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.OperationalError) as info:
            con.execute(
                "INSERT INTO company (country, tax_id, name, created_at) "
                "VALUES ('CL', '1', 'x', '2026-01-01')"
            )
    finally:
        con.close()
    from gosocket_tui.db.connection import describe_database_error

    assert "read-only" in describe_database_error(info.value)


def test_newer_database_at_start_up(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    assert run_cli("--db", f"sqlite:///{db}", "db", "upgrade", home=tmp_path).returncode == 0
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("INSERT INTO schema_version (version) VALUES (999)")
    con.commit()
    con.close()
    result = run_cli("--db", f"sqlite:///{db}", "user", "list", home=tmp_path)
    assert_one_line_error(result, "newer version of gosocket-tui")


def test_missing_folder_is_created_privately(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "er" / "app.db"
    assert run_cli("--db", f"sqlite:///{db}", "db", "upgrade", home=tmp_path).returncode == 0
    assert (db.parent.stat().st_mode & 0o777) == 0o700
    assert (db.stat().st_mode & 0o777) == 0o600
    for companion in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        if companion.exists():
            assert (companion.stat().st_mode & 0o077) == 0


def test_database_full_during_bulk_import(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    """The bulk fast path hits a full disk mid-write: a clear error, the database exactly as
    before (all or nothing), and the next import works once there is room."""
    from stdnum.cl import rut

    from gosocket_tui.db.models import Invitation, OutboxMessage
    from gosocket_tui.services.bulk import ImportOptions, import_file
    from tests.unit.test_bulk_import import row, write_csv

    rows = []
    for i in range(3000):
        body = str(20_000_000 + i * 13)
        rows.append(
            row(
                body + rut.calc_check_digit(body),
                f"Proveedor {i} " + "n" * 120,
                f"p{i}@example.com",
                "1",
                address="a" * 200,
            )
        )
    path = write_csv(tmp_path / "many.csv", rows)
    options = ImportOptions(default_country="CL")

    def counts() -> tuple[int, ...]:
        models = (Company, SupplierLink, Invitation, OutboxMessage, AuditEvent)
        return tuple(model.select().count() for model in models)

    before = counts()
    page_count = ctx.db.execute_sql("PRAGMA page_count").fetchone()[0]
    ctx.db.execute_sql(f"PRAGMA max_page_count = {page_count + 20}")
    with pytest.raises(DatabaseError, match="full"):
        import_file(ctx, other_admin, path, options)
    assert counts() == before
    ctx.db.execute_sql("PRAGMA max_page_count = 1073741823")
    summary = import_file(ctx, other_admin, path, options)
    assert summary.added == 3000 and summary.invitations_queued == 3000
