from pathlib import Path

import pytest

from gosocket_tui.config import Config
from gosocket_tui.db import migrations
from gosocket_tui.db.connection import open_database
from gosocket_tui.errors import DatabaseError
from gosocket_tui.services.context import open_context

pytestmark = pytest.mark.sqlite_only


def test_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    assert migrations.upgrade(db) == list(range(1, migrations.LATEST_VERSION + 1))
    assert migrations.upgrade(db) == []
    assert migrations.current_version(db) == migrations.LATEST_VERSION
    pragmas = {
        name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    }
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 10000,
        "synchronous": 1,
    }
    db.close()


def test_older_database_is_upgraded_by_the_app(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = open_database(url)
    db.execute_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    migrations.MIGRATIONS[0](db)
    db.execute_sql("INSERT INTO schema_version (version) VALUES (1)")
    db.execute_sql(
        "INSERT INTO company (country, tax_id, name, registered_at, created_at) "
        "VALUES ('CL', '760864285', 'Old Name SpA', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    db.close()
    ctx = open_context(Config(db=url))
    assert migrations.current_version(ctx.db) == migrations.LATEST_VERSION
    assert "supplier_link_fts" in ctx.db.get_tables()
    assert ctx.db.execute_sql("SELECT name FROM company").fetchone()[0] == "Old Name SpA"
    ctx.close()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    db = open_database(url)
    migrations.upgrade(db)
    db.execute_sql(f"INSERT INTO schema_version (version) VALUES ({migrations.LATEST_VERSION + 1})")
    db.close()
    with pytest.raises(DatabaseError, match="newer version"):
        open_context(Config(db=url))


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(DatabaseError, match="not a gosocket-tui database"):
        open_context(Config(db=f"sqlite:///{path}"))


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    db = open_database(url)
    db.execute_sql("CREATE TABLE something (x INTEGER)")
    db.close()
    with pytest.raises(DatabaseError, match="not a gosocket-tui database"):
        open_context(Config(db=url))
