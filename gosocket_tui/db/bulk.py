"""Engine-specific fast writes for bulk imports: rows in bulk, moves as set operations.

A million-row import spends most of its write time building per-row objects when it goes
through peewee (``insert_many`` took ~24 s for 1M rows); a DB-API cursor takes ~3 s. These
helpers run on the connection of the caller's transaction (``db.cursor()``), so they commit or
roll back with it. Rows go in with ``executemany`` on SQLite (the staging table's schema
changes with every batch, which would make a cached multi-row ``VALUES`` statement of 30,000
parameters be prepared again each time) and ``COPY FROM STDIN`` on PostgreSQL.

Set-based moves (``stage`` and friends): the import loads each batch into a temporary
staging table (COPY on PostgreSQL, then ANALYZE) and moves it into the real tables with one
``INSERT … SELECT`` per table. On SQLite the per-row insert triggers of ``supplier_link``
(name search, groups) are dropped for that move and their work done by one statement each
(``link_triggers_deferred``), then recreated from their own stored text, all inside the
caller's transaction: a kill at any moment rolls the triggers back with everything else.

Table and column names are constants of the calling code, never user input; values are always
bound parameters.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final

import peewee

from gosocket_tui.db import migrations
from gosocket_tui.db.connection import is_postgres, is_sqlite

__all__ = [
    "BULK_CACHE_KIB",
    "SQLITE_LINK_INSERT_TRIGGERS",
    "LinkIndexer",
    "analyze",
    "bulk_writes",
    "db_datetime",
    "drop_stage",
    "insert_rows",
    "link_triggers_deferred",
    "planned_rows",
    "run",
    "select_in",
    "stage",
]

# SQLite page cache while a bulk write runs. The default (2 MiB) makes a million-row
# transaction spill dirty index pages to the WAL again and again; 64 MiB keeps the indexes'
# hot pages in memory within the import's 300 MiB budget.
BULK_CACHE_KIB = 64 * 1024

Row = Sequence[Any]


def db_datetime(db: peewee.Database, value: datetime | None) -> Any:
    """A datetime as the engine's column expects it from a raw cursor.

    On SQLite peewee stores ``str(datetime)`` ("2026-03-02 12:00:00[.ffffff]"); writing the
    same text keeps raw-inserted rows comparable and sortable with peewee-written ones (and
    avoids sqlite3's adapter, deprecated since Python 3.12). psycopg2 adapts datetimes itself.
    """
    if value is None or is_postgres(db):
        return value
    return str(value)


@contextmanager
def bulk_writes(db: peewee.Database) -> Iterator[None]:
    """Tune this connection for one big write inside the current transaction, then restore.

    SQLite: a larger page cache. PostgreSQL: no sequential scans for the rest of the
    transaction. The import looks each batch of Tax IDs up in ``supplier_link`` while the same
    transaction fills it; the planner's statistics still describe the table as it was before
    (often empty), so it scans the whole growing table for every batch and 1M rows took
    quadratic time. The indexes the lookups need exist; this makes the planner use them.
    That setting prices every plan above ``jit_above_cost``, so every statement of the import
    would be JIT-compiled (~100-200 ms each, for statements that run in a few ms): no JIT.
    The Overview's state counts changed meanwhile are gathered in a temporary table and added
    at the end (migration 12): a count row is then locked only from there to the commit, not
    for the whole import, and the company's other writes do not wait for the import.
    """
    if is_postgres(db):
        db.execute_sql("SET LOCAL enable_seqscan = off")
        db.execute_sql("SET LOCAL jit = off")
        db.execute_sql("SET LOCAL gin_pending_list_limit = 65536")
        db.execute_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {migrations.STATE_DELTAS} (buyer_id BIGINT NOT NULL, "
            "status VARCHAR(20) NOT NULL, n BIGINT NOT NULL) ON COMMIT DROP"
        )
        db.execute_sql(f"SET LOCAL {migrations.STATE_DELTAS_SETTING} = on")
        yield
        db.execute_sql(f"SET LOCAL {migrations.STATE_DELTAS_SETTING} = off")
        gathered = f"SELECT buyer_id, status, n AS k FROM {migrations.STATE_DELTAS}"
        db.execute_sql(migrations.POSTGRES_STATE_COUNT_APPLY.format(rows=gathered))
        db.execute_sql(f"DROP TABLE {migrations.STATE_DELTAS}")
        return
    if not is_sqlite(db):
        yield
        return
    row = db.execute_sql("PRAGMA cache_size").fetchone()
    previous = int(row[0]) if row else -2000
    db.execute_sql(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA cache_size = {previous}")


def _columns(columns: Sequence[str]) -> str:
    return ", ".join(columns)


def _copy_text(value: Any) -> str:
    r"""One value in COPY's text format: ``\N`` for NULL, backslash escapes for the rest."""
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """PostgreSQL ``COPY … FROM STDIN`` (text format): one stream, no per-row statement."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join([_copy_text(value) for value in row]))
        buffer.write("\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({_columns(columns)}) FROM STDIN", buffer)


def insert_rows(
    db: peewee.Database, table: str, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) inside the current transaction."""
    if not rows:
        return
    cursor = db.cursor()
    if is_postgres(db):
        _copy(cursor, table, columns, rows)
        return
    marks = ", ".join("?" for _ in columns)
    cursor.executemany(f"INSERT INTO {table} ({_columns(columns)}) VALUES ({marks})", rows)


def select_in(
    db: peewee.Database,
    sql: str,
    params: Sequence[Any],
    values: Sequence[Any],
    *,
    batch: int = 500,
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` whose ``IN ({in})`` is filled with ``values``, ``batch`` at a time.

    ``sql`` uses ``?`` for its own ``params`` (put before the IN list). Batches keep every
    statement small (SQLite's variable limit) and index-friendly; PostgreSQL gets the batch
    as one array (``= ANY(%s)``).
    """
    if is_postgres(db):
        # One array parameter instead of a list of them: one plan, however many values.
        statement = sql.replace("?", "%s").replace("IN ({in})", "= ANY(%s)")
        for start in range(0, len(values), batch):
            yield from db.execute_sql(statement, [*params, list(values[start : start + batch])])
        return
    for start in range(0, len(values), batch):
        part = values[start : start + batch]
        statement = sql.replace("{in}", ", ".join(["?"] * len(part)))
        yield from db.execute_sql(statement, [*params, *part])


def run(db: peewee.Database, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement written with ``?`` placeholders on either engine; return its rows."""
    if db.param != "?":
        sql = sql.replace("?", db.param)
    cursor = db.execute_sql(sql, list(params))
    return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


# Column types of staging tables: only what the moves need to compare and copy values.
_STAGE_TYPES: Final = {
    "sqlite": {"int": "INTEGER", "text": "TEXT", "ts": "TEXT"},
    "postgres": {"int": "BIGINT", "text": "TEXT", "ts": "TIMESTAMP"},
}


def stage(
    db: peewee.Database, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Row]
) -> None:
    """A temporary table ``table`` holding exactly ``rows``, for set-based moves.

    ``columns`` are (name, kind) pairs, kind one of "int", "text", "ts". The table lives in
    the current transaction (PostgreSQL drops it at commit; :func:`drop_stage` drops it
    sooner) and is invisible to other connections. PostgreSQL loads it with COPY and then
    refreshes its statistics, so the moves that join it get a plan for its real size.
    """
    types = _STAGE_TYPES["postgres" if is_postgres(db) else "sqlite"]
    spec = ", ".join(f"{name} {types[kind]}" for name, kind in columns)
    names = [name for name, _kind in columns]
    if is_postgres(db):
        db.execute_sql(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({spec}) ON COMMIT DROP")
        db.execute_sql(f"TRUNCATE {table}")
        if rows:
            _copy(db.cursor(), table, names, rows)
        db.execute_sql(f"ANALYZE {table}")
        return
    db.execute_sql(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({spec})")
    db.execute_sql(f"DELETE FROM {table}")
    insert_rows(db, table, names, rows)


def planned_rows(db: peewee.Database, table: str) -> int:
    """The row count PostgreSQL's planner believes ``table`` has (0 if never analysed)."""
    row = db.execute_sql(
        "SELECT reltuples FROM pg_class WHERE oid = CAST(%s AS regclass)", (table,)
    ).fetchone()
    return max(0, int(row[0])) if row else 0


def analyze(db: peewee.Database, tables: Sequence[str]) -> None:
    """PostgreSQL: refresh the planner's statistics of ``tables`` inside the transaction.

    ANALYZE counts the rows the current transaction wrote, so the lookups and moves that
    follow are planned for the table as the import has grown it: with statistics taken when
    the table was empty, PostgreSQL looked a batch of Tax IDs up through the (buyer, supplier)
    index, reading every link of the buyer per batch (quadratic in the file's size).
    ANALYZE holds its lock (SHARE UPDATE EXCLUSIVE: reads and writes go on) until the
    transaction ends, so a second import running at the same time waits at its own first
    ANALYZE until this one commits.
    """
    db.execute_sql(f"ANALYZE {_columns(tables)}")


def drop_stage(db: peewee.Database, table: str) -> None:
    """Drop a staging table once its rows are moved (nothing of them stays in memory)."""
    db.execute_sql(f"DROP TABLE IF EXISTS {table}")


LinkIndexer = Callable[[str, Sequence[Any]], None]
"""Indexes a set of new supplier links: ``(links_sql, params)``, where ``links_sql`` is a
parenthesised subquery giving ``id, buyer_id, name, groups, status`` of links just inserted."""

# SQLite's per-row insert triggers of supplier_link, each as migrations created it, and the one
# statement that does its work for a set of new links ``{links}``.
SQLITE_LINK_INSERT_TRIGGERS: Final = {
    "supplier_link_fts_ai": (
        migrations.SQLITE_NAME_INDEX[1],
        "INSERT INTO supplier_link_fts (rowid, name) SELECT id, name FROM {links}",
    ),
    "supplier_group_ai": (
        migrations.SQLITE_GROUPS[2],
        "INSERT INTO supplier_group (link_id, buyer_id, name) "
        "SELECT l.id, l.buyer_id, j.value FROM {links} AS l, "
        "json_each('[\"' || replace(l.groups, ',', '\",\"') || '\"]') AS j "
        "WHERE l.groups <> ''",
    ),
    "supplier_state_count_ai": (
        migrations.SQLITE_STATE_COUNTS[0],
        "INSERT INTO supplier_state_count (buyer_id, status, n) "
        "SELECT buyer_id, status, COUNT(*) FROM {links} WHERE true GROUP BY buyer_id, status "
        "ON CONFLICT (buyer_id, status) DO UPDATE SET n = n + excluded.n",
    ),
}


def _sqlite_triggers(db: peewee.Database) -> dict[str, str]:
    rows = db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'supplier_link'"
    ).fetchall()
    return {str(name): str(sql) for name, sql in rows}


def _restore_triggers(db: peewee.Database, saved: dict[str, str]) -> None:
    present = _sqlite_triggers(db)
    for name, sql in saved.items():
        if name not in present:
            db.execute_sql(sql)


@contextmanager
def link_triggers_deferred(db: peewee.Database) -> Iterator[LinkIndexer]:
    """Within the block, index new supplier links per set instead of per row (SQLite).

    Yields a :data:`LinkIndexer` the caller runs once after inserting a set of links. A
    trigger is deferred only when its stored text is exactly the one migrations wrote (a
    trigger changed since keeps firing per row: slower, never wrong); triggers not listed in
    ``SQLITE_LINK_INSERT_TRIGGERS`` keep firing too. The triggers are dropped and recreated
    inside the caller's transaction, so a kill at any moment, which rolls that transaction
    back, leaves them as they were. On PostgreSQL nothing is deferred: the group trigger
    works per statement already (migration 7) and the name index is a GIN index.
    """
    if not is_sqlite(db):
        yield lambda _links, _params: None
        return
    stored = _sqlite_triggers(db)
    saved = {
        name: sql
        for name, (sql, _bulk) in SQLITE_LINK_INSERT_TRIGGERS.items()
        if stored.get(name) == sql
    }
    for name in saved:
        db.execute_sql(f"DROP TRIGGER {name}")

    def index(links: str, params: Sequence[Any]) -> None:
        for name in saved:
            db.execute_sql(SQLITE_LINK_INSERT_TRIGGERS[name][1].format(links=links), list(params))

    try:
        yield index
    except BaseException:
        # The caller's transaction rolls back, which restores them too; if the engine already
        # ended it (SQLite does on a full disk), they are there and nothing is run.
        with contextlib.suppress(peewee.DatabaseError, sqlite3.Error):
            _restore_triggers(db, saved)
        raise
    _restore_triggers(db, saved)
