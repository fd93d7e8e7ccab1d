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


def test_open_invitation_codes_survive_the_upgrade_to_one_row_per_code(tmp_path: Path) -> None:
    """Version 4 moves each invitation's code hash into invitation_code (any code of an
    invitation may activate it); a code mailed before the upgrade keeps working."""
    from gosocket_tui.services.codes import hash_code, verify_code

    url = f"sqlite:///{tmp_path / 'v3.db'}"
    db = open_database(url)
    db.execute_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version in range(3):
        migrations.MIGRATIONS[version](db)
    db.execute_sql("INSERT INTO schema_version (version) VALUES (3)")
    stored = hash_code("ABCD-EFGH-JKMN", bytes(16))
    db.execute_sql(
        "INSERT INTO company (id, country, tax_id, name, created_at) VALUES "
        "(1, 'CL', '760864285', 'Buyer', '2026-01-01'), (2, 'CO', '8600073861', 'S', '2026-01-01')"
    )
    db.execute_sql(
        "INSERT INTO supplier_link (id, buyer_id, supplier_id, country, tax_id, name, added_at, "
        "updated_at) VALUES (1, 1, 2, 'CO', '8600073861', 'S', '2026-01-01', '2026-01-01')"
    )
    db.execute_sql(
        "INSERT INTO invitation (id, link_id, buyer_id, supplier_id, email, code_hash, status, "
        "created_at, sent_at, expires_at) VALUES (1, 1, 1, 2, 's@x.co', ?, 'sent', "
        "'2026-01-01', '2026-01-01 10:00:00', '2026-01-08 10:00:00'), (2, 1, 1, 2, 's@x.co', "
        "NULL, 'superseded', '2026-01-01', NULL, NULL)",
        (stored,),
    )
    db.close()
    ctx = open_context(Config(db=url))
    rows = ctx.db.execute_sql(
        "SELECT invitation_id, code_hash, created_at, expires_at FROM invitation_code"
    ).fetchall()
    assert [(r[0], r[2], r[3]) for r in rows] == [(1, "2026-01-01 10:00:00", "2026-01-08 10:00:00")]
    assert verify_code("ABCD-EFGH-JKMN", rows[0][1])
    columns = [c.name for c in ctx.db.get_columns("invitation")]
    assert "code_hash" not in columns
    ctx.close()


def test_version_6_adds_user_keys_one_user_per_fingerprint(tmp_path: Path) -> None:
    """Version 6 adds user_key to a version-5 database with users: a fingerprint is unique
    across all users, and a deleted user's keys go with it."""
    import peewee

    url = f"sqlite:///{tmp_path / 'v5.db'}"
    db = open_database(url)
    db.execute_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version in range(5):
        migrations.MIGRATIONS[version](db)
    db.execute_sql("INSERT INTO schema_version (version) VALUES (5)")
    db.execute_sql(
        "INSERT INTO company (id, country, tax_id, name, created_at) "
        "VALUES (1, 'CL', '760864285', 'Buyer', '2026-01-01')"
    )
    db.execute_sql(
        "INSERT INTO app_user (id, company_id, username, password_hash, created_at) VALUES "
        "(1, 1, 'ana', 'x', '2026-01-01'), (2, 1, 'bob', 'x', '2026-01-01')"
    )
    db.close()
    ctx = open_context(Config(db=url))
    assert migrations.current_version(ctx.db) == migrations.LATEST_VERSION
    insert = (
        "INSERT INTO user_key (user_id, algorithm, public_key, fingerprint, created_at) "
        "VALUES (?, 'ssh-ed25519', 'ssh-ed25519 AAAA', 'SHA256:abc', '2026-01-02')"
    )
    ctx.db.execute_sql(insert, (1,))
    with pytest.raises(peewee.IntegrityError):
        ctx.db.execute_sql(insert, (2,))
    columns = [c.name for c in ctx.db.get_columns("user_key")]
    assert columns == [
        "id",
        "user_id",
        "algorithm",
        "public_key",
        "fingerprint",
        "comment",
        "created_at",
        "last_used_at",
    ]
    ctx.db.execute_sql("DELETE FROM app_user WHERE id = 1")
    assert ctx.db.execute_sql("SELECT COUNT(*) FROM user_key").fetchone()[0] == 0
    ctx.close()


def test_existing_suppliers_get_their_countrys_language(tmp_path: Path) -> None:
    """Migration 9: Brazil pt, the network's countries es, anything else en (set-based)."""
    url = f"sqlite:///{tmp_path / 'v8.db'}"
    db = open_database(url)
    db.execute_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version, migration in enumerate(migrations.MIGRATIONS[:8], start=1):
        migration(db)
        db.execute_sql(f"INSERT INTO schema_version (version) VALUES ({version})")
    at = "'2026-01-01 00:00:00'"
    countries = ("CL", "BR", "CO", "NI", "US")
    for number, country in enumerate(countries, start=1):
        db.execute_sql(
            "INSERT INTO company (country, tax_id, name, created_at) "
            f"VALUES ('{country}', '{number}', '', {at})"
        )
    for supplier in range(2, len(countries) + 1):
        db.execute_sql(
            "INSERT INTO supplier_link (buyer_id, supplier_id, country, tax_id, name, "
            f"added_at, updated_at) SELECT 1, id, country, tax_id, 'x', {at}, {at} "
            f"FROM company WHERE id = {supplier}"
        )
    db.close()
    ctx = open_context(Config(db=url))
    rows = ctx.db.execute_sql("SELECT country, language FROM supplier_link ORDER BY id")
    assert dict(rows.fetchall()) == {"BR": "pt", "CO": "es", "NI": "es", "US": "en"}
    ctx.close()
