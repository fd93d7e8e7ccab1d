"""``gosocket-tui suppliers import`` and ``suppliers template``: bulk registration from a file.

``import`` acts as the system actor for ``--company`` (over SSH, as the key's user, on a file of
her company's exchange folder or on standard input, ``-``): it checks the whole file first
(nothing is locked or written), prints what it found, then imports in one transaction. Exit codes:
0 everything imported (or a dry run without problems), 1 the file was refused or has problem
rows (nothing imported unless ``--valid-only``), 2 bad usage, 130 stopped with Ctrl+C (nothing
written; 128 + SIGINT, what shells report for a command Ctrl+C stopped, so a script tells it
from a refused file). A progress line is drawn on stderr when it is a terminal; output stays
quiet and plain otherwise (scripts, CI).
"""

from __future__ import annotations

import contextlib
import io
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO, TextIO

import click

from gosocket_tui.cli.base import COMPANY_HELP, CliState, pass_state
from gosocket_tui.cli.suppliers_group import suppliers
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _, get_language
from gosocket_tui.services import bulk
from gosocket_tui.services.bulk.refusals import FileRefused, too_large
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.exchange import FilePlace
from gosocket_tui.services.output_files import check_output
from gosocket_tui.services.session import Session, require_admin
from gosocket_tui.services.taxid import COUNTRY_CODES

SHOWN_ISSUES = 20
POLICY_HELP = {
    "skip": "Existing suppliers: left as they are (skip)",
    "update": "Existing suppliers: contact data updated from the file (update)",
    "error": "Existing suppliers: reported as problems (error)",
}


class ProgressLine:
    """One self-overwriting line on a terminal: phase, percent, rows, speed, time left."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = 0

    def __call__(self, progress: bulk.Progress) -> None:
        label = _("Checking") if progress.phase == "validate" else _("Importing")
        eta = (
            _("{seconds} s left", seconds=int(progress.eta_seconds))
            if progress.eta_seconds is not None
            else ""
        )
        text = (
            f"{label} {progress.fraction:4.0%}  "
            + _("{rows} rows", rows=f"{progress.rows:,}")
            + f"  {progress.rows_per_second:,.0f}/s  {eta}"
        ).rstrip()
        pad = max(0, self.width - len(text))
        self.width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


class CtrlC:
    """Ctrl+C during the check or the import: the first press asks the pass to stop at its
    next progress report (``ImportCancelled``), so the transaction rolls back and the
    temporary files go before the one line is printed; a second press interrupts at once.

    Only the main thread can take signals; elsewhere (a command run by another thread)
    nothing changes.
    """

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None
        self._installed = False

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._press)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def _press(self, signum: int, frame: FrameType | None) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def watch(self, line: ProgressLine | None) -> bulk.ProgressCallback:
        """The progress callback: stop when Ctrl+C was pressed, else draw ``line``."""

        def report(progress: bulk.Progress) -> None:
            if self.pressed:
                raise bulk.ImportCancelled(_("Cancelled: nothing was written."))
            if line is not None:
                line(progress)

        return report


def _number(value: int) -> str:
    return f"{value:,}"


def _echo_report(report: bulk.ValidationReport) -> None:
    click.echo(bulk.counts_text(report))
    for issue in report.issues[:SHOWN_ISSUES]:
        where = _("Row {row}", row=issue.row) + (f", {issue.column}" if issue.column else "")
        value = f' "{issue.value}"' if issue.value else ""
        kind = "" if issue.severity == "error" else _("warning") + ": "
        click.echo(f"  {where}{value}: {kind}{issue.message}", err=True)
    hidden = report.issues_total - min(len(report.issues), SHOWN_ISSUES)
    if hidden > 0:
        click.echo(
            "  " + _("… and {count} more (write them all with --report FILE)", count=hidden),
            err=True,
        )


def _country_option(value: str) -> str:
    code = value.strip().upper()
    if code and code not in COUNTRY_CODES:
        raise click.BadParameter(
            _(
                "Unknown country {code}; use one of {codes}",
                code=code[:10],
                codes=", ".join(sorted(COUNTRY_CODES)),
            ),
            param_hint="--default-country",
        )
    return code


STDIN = "-"
SPOOL_CHUNK = 1024 * 1024


@contextlib.contextmanager
def _source(state: CliState, file: Path) -> Iterator[Path]:
    """The file to import: ``-`` is standard input (copied to a private temporary file, at
    most the import size limit); over SSH any other name is a file of the exchange folder."""
    if str(file) != STDIN:
        files = state.files()
        yield files.source(str(file)) if files.confined else file
        return
    limit = state.config().import_max_bytes
    stream: BinaryIO = getattr(sys.stdin, "buffer", None) or io.BytesIO(sys.stdin.read().encode())
    with tempfile.TemporaryDirectory(prefix="gosocket-import-") as folder:
        first = stream.read(SPOOL_CHUNK)
        kind = "xlsx" if first.startswith(b"PK\x03\x04") else "csv"  # a zip: a workbook
        path = Path(folder) / f"stdin.{kind}"
        size = 0
        with path.open("xb") as out:
            chunk = first
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise FileRefused(too_large(path, limit))
                out.write(chunk)
                chunk = stream.read(SPOOL_CHUNK)
        yield path


def _write_report(
    files: FilePlace, report_path: Path, report: bulk.ValidationReport, force: bool, source: Path
) -> str:
    """Write the problems report; over SSH into the exchange folder, never over a file."""
    if not files.confined:
        bulk.write_issue_report(report_path, report, force=force, inputs=(source,))
        return str(report_path)
    with files.output(str(report_path), inputs=(source,)) as staged:
        bulk.write_issue_report(staged.path, report)
    return files.shown(staged.final)


@suppliers.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--company", "company_ref", metavar="COUNTRY:TAXID", help=COMPANY_HELP)
@click.option("--dry-run", is_flag=True, help="Check the file and report; import nothing.")
@click.option("--valid-only", is_flag=True, help="Import the valid rows, skip the others.")
@click.option(
    "--on-existing",
    type=click.Choice(bulk.POLICIES),
    default="skip",
    show_default=True,
    help="What to do with rows that are already your suppliers.",
)
@click.option(
    "--default-country",
    default="",
    metavar="CC",
    help="Country of rows without a Country value (default: the company's).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    help="Write every problem found to this CSV file (a new file, unless --force).",
)
@click.option("--force", is_flag=True, help="Let --report replace an existing file.")
@pass_state
def import_command(
    state: CliState,
    file: Path,
    company_ref: str | None,
    dry_run: bool,
    valid_only: bool,
    on_existing: str,
    default_country: str,
    report_path: Path | None,
    force: bool,
) -> None:
    """Register suppliers in bulk from a CSV or Excel (.xlsx) file (Agregar Proveedores Masivo).

    The file has the template's columns (see `suppliers template`): Tax ID*, Name*, Email*,
    Notify* (1 = send the invitation now, 0 = not yet) and the optional ones. Nothing is
    imported when a row has a problem, unless --valid-only. FILE - reads standard input.
    """
    country = _country_option(default_country)
    files = state.files()
    if report_path is not None:  # refused before the long check pass, not after it
        if files.confined:
            files.target(str(report_path))  # a bare name; it must still be free at the end
        else:
            check_output(report_path, force=force, inputs=(file,))
    policy: bulk.Policy = "update" if on_existing == "update" else "skip"
    if on_existing == "error":
        policy = "error"
    session = state.acting(company_ref)
    ctx = state.services()
    options = bulk.ImportOptions(default_country=country, on_existing=policy, valid_only=valid_only)
    try:
        with CtrlC() as ctrl_c, _source(state, file) as source:
            _import(ctx, session, source, options, report_path, force, dry_run, files, ctrl_c)
    except bulk.ImportCancelled as exc:
        click.echo(exc.message, err=True)
        sys.exit(130)


def _import(
    ctx: ServiceContext,
    session: Session,
    file: Path,
    options: bulk.ImportOptions,
    report_path: Path | None,
    force: bool,
    dry_run: bool,
    files: FilePlace,
    ctrl_c: CtrlC,
) -> None:
    policy, valid_only = options.on_existing, options.valid_only
    line = ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    started = time.monotonic()
    try:
        report = bulk.validate(ctx, session, file, options, progress=ctrl_c.watch(line))
    finally:
        if line is not None:
            line.clear()
    with report:
        click.echo(_("File: {name} ({format})", name=file.name, format=report.source.describe()))
        for warning in report.source.warnings:
            click.echo("  " + warning, err=True)
        click.echo(
            _(POLICY_HELP[policy])
            + "; "
            + _("default country {country}", country=report.default_country)
        )
        _echo_report(report)
        if report_path is not None:
            shown = _write_report(files, report_path, report, force, file)
            click.echo(_("Problems written to {path}", path=shown), err=True)
        if dry_run:
            if not report.ok:
                raise UserError(_("Dry run: the file has rows with problems."))
            click.echo(_("Dry run: nothing was imported."))
            return
        if not report.ok and not valid_only:
            raise UserError(
                _(
                    "Nothing was imported: {count} of {rows} rows have problems. Correct "
                    "them, or use --valid-only to import only the valid rows.",
                    count=_number(report.invalid),
                    rows=_number(report.rows),
                )
            )
        line = ProgressLine(sys.stderr) if sys.stderr.isatty() else None
        try:
            summary = bulk.import_file(
                ctx, session, file, options, progress=ctrl_c.watch(line), validated=report
            )
        except bulk.ImportRefused as exc:
            # The suppliers changed between the check and the import (policy "error").
            _echo_report(exc.report)
            raise
        finally:
            if line is not None:
                line.clear()
    if ctrl_c.pressed:  # after the last progress report: the import was committed
        click.echo(_("The import had already finished when it was stopped."), err=True)
    click.echo(
        _(
            "Imported in {seconds} s: {added} added, {updated} updated, {skipped} skipped, "
            "{invalid} rows with problems not imported; invitations queued: {invitations}.",
            seconds=f"{time.monotonic() - started:.1f}",
            added=_number(summary.added),
            updated=_number(summary.updated),
            skipped=_number(summary.skipped),
            invalid=_number(summary.invalid),
            invitations=_number(summary.invitations_queued),
        )
    )


@suppliers.command("template")
@click.argument("path", required=False, type=click.Path(path_type=Path), metavar="[FILE]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="CSV (UTF-8, opens in Excel) or an Excel workbook (default: from FILE's extension, "
    "else csv).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Same as FILE.",
)
@click.option("--force", is_flag=True, help="Replace FILE if it already exists.")
@click.option(
    "--lang",
    type=click.Choice(["en", "es"]),
    help="Language of the column headers (default: the interface's).",
)
@pass_state
def template_command(
    state: CliState,
    path: Path | None,
    fmt: str | None,
    output: Path | None,
    force: bool,
    lang: str | None,
) -> None:
    """Write the bulk registration template (Descargar plantilla): headers and an example row.

    FILE defaults to suppliers_template.csv (.xlsx) in the current folder; an existing file
    is replaced only with --force.
    """
    if path is not None and output is not None and path != output:
        raise click.UsageError(_("Give the file once: as FILE or with -o, not both."))
    state.config()  # sets the interface language
    language = lang or get_language()
    target = path or output
    suffix = target.suffix.lower().lstrip(".") if target is not None else ""
    kind = fmt or (suffix if suffix in ("csv", "xlsx") else "csv")
    if target is None:
        default_name = "plantilla_proveedores" if language == "es" else "suppliers_template"
        target = Path(f"{default_name}.{kind}")
    template_kind: bulk.FileKind = "xlsx" if kind == "xlsx" else "csv"
    files = state.files()
    if state.remote is not None:  # as in the app, whose bulk screen is the administrators'
        require_admin(state.services(), state.remote, "supplier.template")
    if files.confined:  # over SSH: into the exchange folder, never over a file (no --force)
        with files.output(str(target)) as staged:
            bulk.write_template(staged.path, template_kind, language)
        shown = files.shown(staged.final)
    else:
        bulk.write_template(target, template_kind, language, force=force)
        shown = str(target)
    click.echo(_("Template written to {path}", path=shown))
