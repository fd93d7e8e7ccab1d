"""Open a database from a URL and run transactions that survive a busy database.

This is the only place that knows engine differences in connection handling: SQLite gets its
pragmas and ``BEGIN IMMEDIATE`` for read-then-write steps; PostgreSQL gets serialization and
deadlock retries. Every write in ``services/`` goes through :func:`transaction`.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import peewee
from playhouse import db_url

from gosocket_tui.db.models import database
from gosocket_tui.errors import DatabaseError, DatabaseFull
from gosocket_tui.i18n import _

T = TypeVar("T")

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", 10_000),
    ("synchronous", "normal"),
)
RETRY_SECONDS = 30.0


def is_sqlite(db: peewee.Database) -> bool:
    return isinstance(db, peewee.SqliteDatabase)


def is_postgres(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


def open_database(url: str, *, bind: bool = True) -> peewee.Database:
    """Open ``url`` (``sqlite:///path`` or ``postgresql://…``) and check it can be used."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.parent.exists():
            try:
                path.parent.mkdir(parents=True, mode=0o700)
            except OSError as exc:
                raise DatabaseError(
                    f"Cannot create the database folder {path.parent}: {exc}"
                ) from None
        if not path.exists():
            # Create the file private to its owner: SQLite would use 0644, and its -wal and
            # -shm companions copy the main file's permissions.
            try:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError as exc:
                raise DatabaseError(f"Cannot create the database file {path}: {exc}") from None
    db: peewee.Database
    try:
        if url.startswith("sqlite"):
            db = db_url.connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
        else:
            db = db_url.connect(url)
    except (ValueError, RuntimeError, ImportError) as exc:
        raise DatabaseError(f"Cannot open database URL: {exc}") from None
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
    except peewee.DatabaseError as exc:
        db.close()
        raise DatabaseError(describe_database_error(exc, url)) from None
    if bind:
        database.initialize(db)
    return db


def _is_full(exc: BaseException) -> bool:
    """Is the disk full, here or in the error this one replaced?

    SQLite rolls a transaction back by itself when the disk fills up, so the rollback that
    follows fails with "cannot rollback - no transaction is active" and hides the real cause
    in ``__context__``.
    """
    seen: BaseException | None = exc
    for _depth in range(5):
        if seen is None:
            return False
        if "full" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def database_error(exc: BaseException, url: str = "") -> DatabaseError:
    """The project's error for a driver error: DatabaseFull when the disk is full."""
    if _is_full(exc):
        where = f" ({redact_url(url)})" if url else ""
        return DatabaseFull(
            _(
                "The database is full{where}: nothing was saved. Free disk space and retry.",
                where=where,
            )
        )
    return DatabaseError(describe_database_error(exc, url))


def describe_database_error(exc: BaseException, url: str = "") -> str:
    """Turn a driver error into one line a user can act on."""
    text = str(exc).strip() or exc.__class__.__name__
    lowered = text.lower()
    where = f" ({redact_url(url)})" if url else ""
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return f"The file is not a gosocket-tui database{where}."
    if "readonly" in lowered or "read-only" in lowered:
        return f"The database is read-only{where}: check the file and folder permissions."
    if "unable to open" in lowered:
        return f"Cannot open the database{where}: check that the folder exists and is writable."
    if "full" in lowered:
        return f"The database is full{where}: nothing was saved. Free disk space and retry."
    if "locked" in lowered or "busy" in lowered:
        return f"The database stayed busy too long{where}: nothing was saved. Try again."
    return f"Database error{where}: {text.splitlines()[0]}"


def redact_url(url: str) -> str:
    """Hide a password in a database URL before showing it."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def _is_retryable(exc: BaseException) -> bool:
    text = str(exc).lower()
    if "database is locked" in text or "database is busy" in text or "locked" in text:
        return True
    code = getattr(getattr(exc, "orig", None) or exc, "pgcode", None)
    return code in {"40001", "40P01", "55P03"}


def transaction(
    fn: Callable[[], T],
    *,
    write: bool = True,
    db: peewee.Database | None = None,
    retry_seconds: float = RETRY_SECONDS,
) -> T:
    """Run ``fn`` in one transaction, retried as a whole while the database is busy.

    On SQLite a writing transaction starts with ``BEGIN IMMEDIATE`` so that the read part
    of a read-then-write step already holds the write lock (no upgrade deadlocks). Retries
    back off exponentially with jitter; after ``retry_seconds`` the error becomes a
    DatabaseError with a clear message.
    """
    target: Any = db or database
    real = target.obj if isinstance(target, peewee.DatabaseProxy) else target
    deadline = time.monotonic() + retry_seconds
    attempt = 0
    while True:
        try:
            if is_sqlite(real) and write:
                with real.atomic("IMMEDIATE"):
                    return fn()
            with real.atomic():
                return fn()
        except (peewee.OperationalError, peewee.InternalError, sqlite3.OperationalError) as exc:
            if not _is_retryable(exc) or time.monotonic() >= deadline:
                raise database_error(exc) from exc
            attempt += 1
            time.sleep(min(0.5, 0.005 * 2**attempt) * random.uniform(0.5, 1.0))
        except peewee.DatabaseError as exc:
            if isinstance(exc, peewee.IntegrityError):
                raise
            raise database_error(exc) from exc
