"""Bulk supplier registration ("Agregar Proveedores Masivo"): validate a file, then import it.

Two entry points share one streaming pass over the file (``reader.open_supplier_file``):

* :func:`validate` checks every row and writes nothing: Tax ID for its country, name, email,
  Notify, optional field lengths, groups, duplicates inside the file and suppliers the company
  already has. It returns a :class:`ValidationReport` (counts and the first ``max_issues``
  problems), which holds the checked rows until it is closed (use it in a ``with`` block).
* :func:`import_file` replays those rows inside ONE transaction and writes as it goes:
  companies new to the network, the supplier links, updates of existing links (policy
  ``update``), one audit row per written supplier and the invitations of ``Notify=1`` rows
  (queued through the outbox by the invitations service). All or nothing: a row with a problem
  rolls everything back unless ``valid_only`` asks to skip such rows. Ctrl+C or a killed
  process leaves the database as it was, because nothing is written outside that transaction.

Decisions (shown to the user, documented here once; the row checks have theirs in ``checks``):

* **Existing suppliers** (same country and compact Tax ID in the company's list):
  ``skip`` leaves them untouched; ``update`` writes the file's email, groups and the optional
  fields that are not empty in the file (an empty cell never erases data; the name is not
  changed) and queues an invitation for ``Notify=1`` when one may be sent; ``error`` reports
  them as rows with a problem.
* The file's name is the importing buyer's own name for an unregistered supplier (the
  network's company row carries no buyer's name; another buyer having the supplier changes
  nothing); a registered supplier shows its own profile name, is linked as ``registered``
  and never invited.

Memory stays flat for a million rows: rows are streamed, checked a chunk at a time (in a pool
of worker processes for a big file, see ``pool``), looked up 500 at a time and written 5,000
at a time, the duplicate check keeps one short string per row, and the issue list is capped
(counts stay exact).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

import peewee

from gosocket_tui.db import bulk as fast
from gosocket_tui.db.connection import describe_database_error, transaction
from gosocket_tui.errors import DatabaseError, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services import audit
from gosocket_tui.services.bulk.passes import Pass
from gosocket_tui.services.bulk.reader import open_supplier_file
from gosocket_tui.services.bulk.report import (
    POLICIES,
    ImportOptions,
    ImportRefused,
    ImportSummary,
    ProgressCallback,
    ValidationReport,
)
from gosocket_tui.services.bulk.source import SupplierFile
from gosocket_tui.services.bulk.spool import Spool, fingerprint
from gosocket_tui.services.bulk.writer import Writer
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_admin
from gosocket_tui.services.taxid import parse_tax_id


def _default_country(session: Session, options: ImportOptions) -> str:
    code = (options.default_country or session.company_country).strip().upper()
    # parse_tax_id names the problem with a bad code ("Unknown country XX; use one of …").
    try:
        parse_tax_id(code, "x")
    except ValidationError as exc:
        if exc.field == "country":
            raise
    return code


def _open(ctx: ServiceContext, path: str | os.PathLike[str]) -> SupplierFile:
    return open_supplier_file(
        path, max_bytes=ctx.config.import_max_bytes, max_rows=ctx.config.import_max_rows
    )


def _check_policy(options: ImportOptions) -> None:
    if options.on_existing not in POLICIES:
        raise ValidationError(
            _(
                "Unknown policy {policy}; use one of {choices}",
                policy=str(options.on_existing)[:20],
                choices=", ".join(POLICIES),
            ),
            field="on_existing",
        )


def _validate(
    ctx: ServiceContext,
    session: Session,
    path: str | os.PathLike[str],
    options: ImportOptions,
    country: str,
    progress: ProgressCallback | None,
) -> ValidationReport:
    spool = Spool(fingerprint(path), country, session.company_id)
    try:
        with _open(ctx, path) as opened:
            run = Pass(ctx, session, options, country, "validate", progress, None)
            report = run.run_file(opened, spool)
    except BaseException:
        spool.discard()
        raise
    report._spool = spool
    return report


def validate(
    ctx: ServiceContext,
    session: Session,
    path: str | os.PathLike[str],
    options: ImportOptions = ImportOptions(),
    progress: ProgressCallback | None = None,
) -> ValidationReport:
    """Check the whole file and say what an import would do; writes nothing.

    Raises ``FileRefused`` when the file cannot be read as a supplier file at all, and
    whatever ``progress`` raises (``ImportCancelled`` to stop). Pass the report to
    :func:`import_file` (``validated=``) to import without checking the file again. The
    report holds the checked rows on disk until it is closed: use it in a ``with`` block (or
    call ``report.discard()``).
    """
    session = require_admin(ctx, session, "supplier.import")
    _check_policy(options)
    country = _default_country(session, options)
    return _validate(ctx, session, path, options, country, progress)


def _refused(report: ValidationReport) -> ImportRefused:
    return ImportRefused(
        _(
            "Nothing was imported: {count} of {rows} rows have problems. Correct them, or "
            "import only the valid rows.",
            count=report.invalid,
            rows=report.rows,
        ),
        report,
    )


def _detail(report: ValidationReport, summary: dict[str, int] | None) -> str:
    parts = [
        f"rows={report.rows}",
        f"valid={report.valid}",
        f"invalid={report.invalid}",
        f"policy={report.policy}",
        f"valid_only={'yes' if report.options.valid_only else 'no'}",
        f"default_country={report.default_country}",
    ]
    if summary:
        parts += [f"{key}={value}" for key, value in summary.items()]
    return " ".join(parts)


class _Rollback(Exception):
    """Raised inside the import transaction to undo it (all-or-nothing refusal)."""


def import_file(
    ctx: ServiceContext,
    session: Session,
    path: str | os.PathLike[str],
    options: ImportOptions = ImportOptions(),
    progress: ProgressCallback | None = None,
    *,
    validated: ValidationReport | None = None,
) -> ImportSummary:
    """Import the file in one transaction (administrators only); return what was written.

    The file is validated first, without the write lock (or ``validated``, the report of an
    earlier :func:`validate` with the same options, is reused when the file is unchanged), so
    a file with problems is refused (``ImportRefused``) before anything is locked. The import
    pass then replays the checked rows, looks every Tax ID up again (another administrator
    may have added one meanwhile) and writes. Without ``valid_only`` a single problem row
    rolls everything back.
    """
    session = require_admin(ctx, session, "supplier.import")
    _check_policy(options)
    country = _default_country(session, options)
    started = time.monotonic()
    report: ValidationReport | None = None
    if validated is not None and validated.reusable(path, country, session.company_id):
        report = validated
    else:
        report = _validate(ctx, session, path, options, country, progress)
    try:
        if not report.ok and not options.valid_only:
            _audit_refused(ctx, session, report)
            raise _refused(report)
        spool = report._spool
        assert spool is not None
        summary = _commit(ctx, session, report, spool, options, country, progress)
    finally:
        if report is not validated:
            report.discard()
    return replace(summary, seconds=time.monotonic() - started)


def _commit(
    ctx: ServiceContext,
    session: Session,
    validated: ValidationReport,
    spool: Spool,
    options: ImportOptions,
    country: str,
    progress: ProgressCallback | None,
) -> ImportSummary:
    outcome: dict[str, Any] = {}

    def write() -> None:
        writer = Writer(ctx, session, validated.file_name)
        with fast.bulk_writes(ctx.db):
            run = Pass(ctx, session, options, country, "import", progress, writer)
            report = run.run_spool(spool, validated)
        outcome["report"] = report
        if not report.ok and not options.valid_only:
            raise _Rollback()
        counts = {
            "added": writer.added,
            "updated": writer.updated,
            "skipped": writer.skipped,
            "invitations": writer.invitations,
        }
        audit.record(
            ctx,
            session,
            "supplier.import",
            target=validated.file_name[:200],
            detail=_detail(report, counts),
        )
        outcome["writer"] = writer

    try:
        try:
            transaction(write)
        except peewee.IntegrityError:
            # Another session added one of these companies or links meanwhile (PostgreSQL
            # reads do not wait for SQLite's write lock): run again now that it is visible.
            outcome.clear()
            transaction(write)
    except _Rollback:
        report = outcome["report"]
        _audit_refused(ctx, session, report)
        raise _refused(report) from None
    except peewee.IntegrityError as exc:
        raise DatabaseError(describe_database_error(exc)) from exc
    report = outcome["report"]
    writer = outcome["writer"]
    return ImportSummary(
        file_name=validated.file_name,
        rows=report.rows,
        added=writer.added,
        updated=writer.updated,
        skipped=writer.skipped,
        invalid=report.invalid,
        invitations_queued=writer.invitations,
        seconds=0.0,
        report=report,
    )


def _audit_refused(ctx: ServiceContext, session: Session, report: ValidationReport) -> None:
    transaction(
        lambda: audit.record(
            ctx,
            session,
            "supplier.import",
            target=report.file_name[:200],
            outcome="refused",
            detail=_detail(report, None),
        )
    )
