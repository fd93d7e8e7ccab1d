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
from gosocket_tui.safe_text import plain

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


SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
URL_FORMS = "sqlite:////absolute/path.db, sqlite:///relative/path.db, postgresql://user@host/name"


def _show(text: str, limit: int = 80) -> str:
    """A path or URL for a one-line message: no control characters, long ones shortened."""
    shown = plain(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names (None for ``:memory:``); refuses any other form.

    ``sqlite:////srv/x.db`` is the absolute path ``/srv/x.db``; ``sqlite:///x.db`` is ``x.db``
    in the current folder. Query strings and fragments are refused: SQLite options are the
    app's to set, and a ``?`` would otherwise end up in the file's name.
    """
    if not url.startswith(SQLITE_PREFIX):
        raise DatabaseError(
            _(
                "Unsupported database URL {url}: use {forms}",
                url=_show(redact_url(url)),
                forms=URL_FORMS,
            )
        )
    rest = url.removeprefix(SQLITE_PREFIX)
    if rest == ":memory:":
        return None
    if not rest or rest.endswith("/"):
        raise DatabaseError(
            _("The database URL {url} names no file: use {forms}", url=_show(url), forms=URL_FORMS)
        )
    if "?" in rest or "#" in rest:
        raise DatabaseError(
            _(
                "The database URL {url} has options after ? or #; SQLite URLs take none",
                url=_show(url),
            )
        )
    return Path(rest)


def check_database_url(url: str) -> None:
    """Refuse a URL that is not one of the documented forms, before anything is created."""
    if url.startswith(POSTGRES_SCHEMES):
        if "#" in url:
            raise DatabaseError(
                _("The database URL {url} has a fragment (#)", url=_show(redact_url(url)))
            )
        return
    sqlite_path(url)


def _prepare_sqlite_file(path: Path, *, create: bool) -> None:
    """Make the folder and an owner-only file, or say in one line why they cannot be."""
    try:
        if path.exists():
            return
        if not create:
            raise DatabaseError(_("There is no database at {path}", path=_show(str(path))))
        if not path.parent.exists():
            try:
                path.parent.mkdir(parents=True, mode=0o700)
            except OSError as exc:
                raise DatabaseError(
                    _(
                        "Cannot create the database folder {path}: {reason}",
                        path=_show(str(path.parent)),
                        reason=plain(exc.strerror or exc),
                    )
                ) from None
        # Create the file private to its owner: SQLite would use 0644, and its -wal and
        # -shm companions copy the main file's permissions.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except (OSError, ValueError) as exc:
        reason = plain(getattr(exc, "strerror", None) or exc)
        raise DatabaseError(
            _(
                "Cannot open or create the database file {path}: {reason}",
                path=_show(str(path)),
                reason=reason,
            )
        ) from None


def open_database(url: str, *, bind: bool = True, create: bool = True) -> peewee.Database:
    """Open ``url`` (see :func:`check_database_url`) and check it can be used.

    A missing SQLite file is created (owner-only) unless ``create`` is false.
    """
    check_database_url(url)
    db: peewee.Database
    if url.startswith(SQLITE_PREFIX):
        path = sqlite_path(url)
        if path is not None:
            _prepare_sqlite_file(path, create=create)
        db = peewee.SqliteDatabase(
            ":memory:" if path is None else str(path),
            pragmas=SQLITE_PRAGMAS,
            check_same_thread=False,
        )
    else:
        try:
            db = db_url.connect(url)
        except (ValueError, RuntimeError, ImportError, TypeError) as exc:
            raise DatabaseError(
                _(
                    "Cannot open database URL {url}: {reason}",
                    url=_show(redact_url(url)),
                    reason=plain(exc),
                )
            ) from None
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
    except peewee.ImproperlyConfigured as exc:  # the engine's driver is not installed
        raise DatabaseError(
            _("Cannot open database URL {url}: {reason}", url=_show(redact_url(url)), reason=exc)
        ) from None
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
    where = f" ({_show(redact_url(url))})" if url else ""
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
    return f"Database error{where}: {plain(text.splitlines()[0])}"


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
