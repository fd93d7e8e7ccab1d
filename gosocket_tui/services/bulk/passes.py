"""One pass over the checked rows: look them up, decide add/update/skip, count, and write."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, Literal

from gosocket_tui.db import bulk as fast
from gosocket_tui.i18n import _
from gosocket_tui.services.bulk.checks import (
    COMPACT,
    COUNTRY,
    KEY,
    NOTIFY,
    ROW,
    SEVERITY,
    Candidate,
    Fields,
    FileChecker,
    Issue,
    RowChecker,
    Stored,
    issue_fields,
)
from gosocket_tui.services.bulk.headers import ColumnMapping
from gosocket_tui.services.bulk.pool import CheckedRows
from gosocket_tui.services.bulk.refusals import FileRefused
from gosocket_tui.services.bulk.report import (
    ImportOptions,
    Phase,
    Progress,
    ProgressCallback,
    ValidationReport,
)
from gosocket_tui.services.bulk.source import SourceInfo, SupplierFile
from gosocket_tui.services.bulk.spool import Spool
from gosocket_tui.services.bulk.writer import Action, Known, NetworkCompany, Writer
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.taxid import format_tax_id

LOOKUP_ROWS: Final = 500  # rows per lookup (one query each) and per spooled batch
PROGRESS_EVERY_ROWS: Final = 1_000
PROGRESS_EVERY_SECONDS: Final = 0.1
Kind = Literal["add", "update", "skip"]
INVITABLE: Final = frozenset({"not_invited", "expired", "delivery_failed", "cancelled"})


class Pass:
    """One pass over the rows: look them up a chunk at a time, count, optionally write.

    The rows come from the file (checked here, and stored in a spool when asked) or from the
    spool of an earlier validation.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        session: Session,
        options: ImportOptions,
        default_country: str,
        phase: Phase,
        progress: ProgressCallback | None,
        writer: Writer | None,
    ) -> None:
        self.ctx = ctx
        self.session = session
        self.options = options
        self.default_country = default_country
        self.phase = phase
        self.progress = progress
        self.writer = writer
        self.now = ctx.clock.now()
        self.started = time.monotonic()
        self.last_tick = self.started
        self.fraction: Callable[[], float] = lambda: 0.0
        self.rows_seen = 0
        self.tax_column: ColumnMapping | None = None
        self.report: ValidationReport

    def _new_report(self, file_name: str, source: SourceInfo) -> None:
        self.report = ValidationReport(
            file_name=file_name,
            source=source,
            options=self.options,
            default_country=self.default_country,
        )
        self.tax_column = next((c for c in source.columns if c.field == "tax_id"), None)

    def run_file(self, opened: SupplierFile, spool: Spool | None) -> ValidationReport:
        """Read and check every row of ``opened`` (field checks in a pool for a big file)."""
        self._new_report(opened.path.name, opened.info)
        self.fraction = opened.progress
        rows = RowChecker.for_file(opened.info, self.default_country)
        file_checks = FileChecker(self.session, rows)
        self._tick(force=True)
        with CheckedRows(rows) as checked:
            for chunk in checked.chunks(opened.rows()):
                # A worker's chunk is settled, spooled and looked up in slices of
                # LOOKUP_ROWS rows, each while it is still in the CPU's cache.
                for start in range(0, len(chunk), LOOKUP_ROWS):
                    batch = file_checks.settle(chunk[start : start + LOOKUP_ROWS])
                    if spool is not None:
                        spool.write(batch)
                    self._resolve(batch)
        if spool is not None:
            spool.finish()
        if self.report.rows == 0:
            raise FileRefused(
                _("{name} has no supplier rows below the headers", name=opened.path.name)
            )
        return self._done()

    def run_spool(self, spool: Spool, validated: ValidationReport) -> ValidationReport:
        """Replay the rows a validation stored (the file is unchanged since)."""
        self._new_report(validated.file_name, validated.source)
        fraction = [0.0]
        self.fraction = lambda: fraction[0]
        self._tick(force=True)
        for batch, done in spool.batches():
            fraction[0] = done
            self._resolve(batch)
        return self._done()

    def _done(self) -> ValidationReport:
        if self.writer is not None:
            self.writer.flush()
        self._tick(force=True, done=True)
        self.report.seconds = time.monotonic() - self.started
        return self.report

    def _tick(self, *, force: bool = False, done: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last_tick < PROGRESS_EVERY_SECONDS:
            return
        self.last_tick = now
        rows = self.report.rows
        elapsed = now - self.started
        fraction = 1.0 if done else self.fraction()
        speed = rows / elapsed if elapsed > 0 else 0.0
        eta: float | None = elapsed * (1 - fraction) / fraction if 0 < fraction < 1 else None
        if done:
            eta = 0.0
        self.progress(Progress(self.phase, rows, fraction, elapsed, speed, eta))

    def _lookup(
        self, candidates: list[Fields]
    ) -> tuple[dict[str, Known], dict[str, NetworkCompany]]:
        """The acting company's links and the network's companies for these Tax IDs."""
        db = self.ctx.db
        known: dict[str, Known] = {}
        compacts = sorted({c[COMPACT] for c in candidates})
        wanted = {c[KEY] for c in candidates}
        for row in fast.select_in(
            db,
            "SELECT l.id, l.supplier_id, l.country, l.tax_id, l.name, l.status, l.expires_at, "
            "c.registered_at, l.language FROM supplier_link AS l "
            "JOIN company AS c ON c.id = l.supplier_id "
            "WHERE l.buyer_id = ? AND l.tax_id IN ({in})",
            [self.session.company_id],
            compacts,
            batch=LOOKUP_ROWS,
        ):
            link_id, supplier_id, country, tax_id, name, status, expires_at, registered, lang = row
            key = f"{country}:{tax_id}"
            if key in wanted:
                known[key] = Known(
                    int(link_id),
                    int(supplier_id),
                    str(name),
                    str(status),
                    as_datetime(expires_at),
                    registered is not None or status == "registered",
                    str(lang),
                )
        companies: dict[str, NetworkCompany] = {}
        by_country: dict[str, list[str]] = {}
        for c in candidates:
            if c[KEY] not in known:
                by_country.setdefault(c[COUNTRY], []).append(c[COMPACT])
        for country, values in by_country.items():
            for cid, tax_id, name, registered_at in fast.select_in(
                db,
                "SELECT id, tax_id, name, registered_at FROM company "
                "WHERE country = ? AND tax_id IN ({in})",
                [country],
                values,
                batch=LOOKUP_ROWS,
            ):
                companies[f"{country}:{tax_id}"] = NetworkCompany(
                    int(cid), str(name), as_datetime(registered_at)
                )
        return known, companies

    def _resolve(self, batch: list[Stored]) -> None:
        """Decide each row of ``batch`` (add, update, skip or problem), count it, write it.

        Rows stay plain tuples (as checked and spooled); a ``Candidate`` is built only for a
        row handed to the writer.
        """
        if not batch:
            return
        candidates = [fields for fields, _issues in batch if fields is not None]
        known, companies = self._lookup(candidates) if candidates else ({}, {})
        report = self.report
        policy = self.options.on_existing
        keep = self.options.max_issues
        for fields, issues in batch:
            report.rows += 1
            kind: Kind | None = None
            invite = False
            link: Known | None = None
            company: NetworkCompany | None = None
            if fields is not None:
                link = known.get(fields[KEY])
                if link is None:
                    company = companies.get(fields[KEY])
                    registered = company is not None and company.registered_at is not None
                    kind, invite = "add", fields[NOTIFY] and not registered
                    report.new += 1
                else:
                    report.existing += 1
                    if policy == "error":
                        issues = [*issues, issue_fields(self._existing_issue(fields, link))]
                    elif policy == "update":
                        kind, invite = "update", fields[NOTIFY] and self._may_invite(link)
                    else:
                        kind = "skip"
            if fields is None or kind is None:
                report.invalid += 1
                if self.writer is not None and not self.options.valid_only:
                    # All or nothing and a problem row: stop writing (the caller rolls
                    # back) but keep going so the report lists every problem.
                    self.writer = None
            else:
                report.valid += 1
                if invite:
                    report.notify += 1
                if self.writer is not None:
                    self.writer.add(
                        Action(Candidate(*fields), kind, invite, company=company, link=link)
                    )
            for issue in issues:
                if issue[SEVERITY] == "error":
                    report.errors += 1
                else:
                    report.warnings += 1
                if len(report.issues) < keep:
                    report.issues.append(Issue(*issue))
        self._tick()

    def _existing_issue(self, fields: Fields, link: Known) -> Issue:
        formatted = format_tax_id(fields[COUNTRY], fields[COMPACT])
        column = self.tax_column
        return Issue(
            fields[ROW],
            column.letter if column else "",
            column.header if column else "",
            formatted,
            _(
                "{name} ({tax_id}) is already one of your suppliers.",
                name=link.name,
                tax_id=formatted,
            ),
        )

    def _may_invite(self, link: Known) -> bool:
        """An existing supplier may get a new invitation (same rule as Invite/Resend)."""
        if link.registered:
            return False
        if link.status in INVITABLE:
            return True
        return link.status == "invited" and (
            link.expires_at is not None and link.expires_at <= self.now
        )


def as_datetime(value: Any) -> datetime | None:
    """A datetime read through a raw cursor (SQLite gives text, PostgreSQL datetimes)."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
