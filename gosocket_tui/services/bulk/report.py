"""What a validation found and what an import wrote, the options they ran with, and the
counts sentence the CLI and the TUI both show."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final, Literal

from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _, format_int
from gosocket_tui.services.bulk.checks import Issue
from gosocket_tui.services.bulk.output import write_report_csv
from gosocket_tui.services.bulk.source import SourceInfo
from gosocket_tui.services.bulk.spool import Spool, fingerprint

Policy = Literal["skip", "update", "error"]
Phase = Literal["validate", "import"]
POLICIES: Final[tuple[Policy, ...]] = ("skip", "update", "error")
MAX_ISSUES: Final = 10_000


class ImportCancelled(UserError):
    """The user stopped the validation or the import; nothing was written."""


class ImportRefused(UserError):
    """All-or-nothing import of a file with problem rows: nothing was written.

    ``report`` lists the problems (the CLI writes it with ``--report``, the TUI shows it).
    """

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class ImportOptions:
    """How to read and judge the file.

    ``default_country`` is the country of rows without a Country value ("" = the acting
    company's country). ``valid_only`` imports the valid rows and skips the others instead of
    refusing the whole file.
    """

    default_country: str = ""
    on_existing: Policy = "skip"
    valid_only: bool = False
    max_issues: int = MAX_ISSUES


@dataclass(frozen=True)
class Progress:
    """Where a pass is: rows done, fraction of the file read, speed and time left."""

    phase: Phase
    rows: int
    fraction: float
    elapsed: float
    rows_per_second: float
    eta_seconds: float | None


ProgressCallback = Callable[[Progress], None]


@dataclass
class ValidationReport:
    """What a pass over the file found. Counts are exact; ``issues`` holds the first ones.

    ``rows`` data rows = ``valid`` + ``invalid``. Of the valid rows, ``new`` are not yet
    suppliers and ``existing`` already are (skipped or updated per the policy; under ``error``
    existing rows are counted as invalid instead). ``notify`` is how many invitations the
    import will queue.

    A validation's report holds its checked rows in a temporary spool until it is closed:
    use it as a context manager (``with validate(...) as report:``), or call ``discard()``
    when a screen keeps it across user actions.
    """

    file_name: str
    source: SourceInfo
    options: ImportOptions
    default_country: str
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    new: int = 0
    existing: int = 0
    notify: int = 0
    warnings: int = 0
    errors: int = 0
    issues: list[Issue] = field(default_factory=list)
    seconds: float = 0.0
    _spool: Spool | None = field(default=None, repr=False, compare=False)

    def reusable(self, path: str | os.PathLike[str], default_country: str, company_id: int) -> bool:
        """True when an import of ``path`` may replay this validation (file unchanged)."""
        spool = self._spool
        return spool is not None and spool.matches(fingerprint(path), default_country, company_id)

    def discard(self) -> None:
        """Drop the stored rows (the report itself stays usable)."""
        if self._spool is not None:
            self._spool.discard()
            self._spool = None

    def __enter__(self) -> ValidationReport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()

    @property
    def ok(self) -> bool:
        """True when every row can be imported as it is."""
        return self.invalid == 0

    @property
    def issues_total(self) -> int:
        return self.errors + self.warnings

    @property
    def truncated(self) -> int:
        """How many issues were counted but not kept in ``issues``."""
        return self.issues_total - len(self.issues)

    @property
    def policy(self) -> Policy:
        return self.options.on_existing

    def report_rows(self) -> Iterator[list[str]]:
        """The issue report as CSV rows (header first), for ``write_report_csv``."""
        yield [_("Row"), _("Column"), _("Value"), _("Problem"), _("Type")]
        for issue in self.issues:
            kind = _("Error") if issue.severity == "error" else _("Warning")
            yield [str(issue.row), issue.column, issue.value, issue.message, kind]
        if self.truncated:
            yield ["", "", "", _("… and {count} more not listed", count=self.truncated), ""]


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote. ``skipped`` counts existing suppliers left as they were and, with
    ``valid_only``, the ``invalid`` rows are not imported. How many companies were new to the
    network is deliberately not told: it would say which suppliers other buyers have."""

    file_name: str
    rows: int
    added: int
    updated: int
    skipped: int
    invalid: int
    invitations_queued: int
    seconds: float
    report: ValidationReport


def write_issue_report(
    path: str | os.PathLike[str],
    report: ValidationReport,
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Write the report's issues as CSV (UTF-8 with BOM, formula cells neutralised).

    ``inputs`` is the imported file: the report never replaces it (``output_files`` rules).
    """
    write_report_csv(path, report.report_rows(), force=force, inputs=inputs)


def counts_text(report: ValidationReport) -> str:
    """The one sentence saying what a check found, in the session's language and numbers
    (``1,234`` in English, ``1.234`` in Spanish); the CLI prints it and the TUI shows it."""
    return _(
        "{rows} rows: {valid} valid ({new} new, {existing} already your suppliers), "
        "{invalid} with problems; invitations to send: {notify}.",
        rows=format_int(report.rows),
        valid=format_int(report.valid),
        new=format_int(report.new),
        existing=format_int(report.existing),
        invalid=format_int(report.invalid),
        notify=format_int(report.notify),
    )
