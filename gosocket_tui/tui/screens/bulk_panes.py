"""The sentences of the bulk screen's progress, counts and summary panes."""

from __future__ import annotations

from gosocket_tui.i18n import _, format_int
from gosocket_tui.services import bulk as bulk_import


def duration(seconds: float | None) -> str:
    """``m:ss``; ``…`` while the time left is not known yet."""
    if seconds is None:
        return "…"
    total = int(seconds + 0.5)
    return f"{total // 60}:{total % 60:02d}"


def progress_line(progress: bulk_import.Progress) -> str:
    """A pass's rows, speed and time left."""
    label = _("Checking") if progress.phase == "validate" else _("Importing")
    return _(
        "{phase}: {rows} rows · {speed} rows/s · {eta} left · Esc to stop",
        phase=label,
        rows=format_int(progress.rows),
        speed=format_int(int(progress.rows_per_second)),
        eta=duration(progress.eta_seconds),
    )


def counts_lines(report: bulk_import.ValidationReport, valid_only: bool) -> tuple[str, str]:
    """The check's counts and what Import would do, with their kind (``ok`` or ``error``)."""
    lines = [bulk_import.counts_text(report)]
    kind = "ok"
    if report.valid == 0:
        lines.append(_("No row can be imported."))
        kind = "error"
    elif report.ok:
        lines.append(_("Ready: press Import to save them."))
    elif valid_only:
        lines.append(
            _(
                "Import will save the {valid} valid rows and skip the {invalid} with problems.",
                valid=format_int(report.valid),
                invalid=format_int(report.invalid),
            )
        )
    else:
        lines.append(
            _(
                "Correct the rows with problems and process the file again, or tick "
                '"Import only the valid rows".'
            )
        )
        kind = "error"
    return "\n".join(lines), kind


def issues_note(report: bulk_import.ValidationReport, shown: int) -> str:
    """Said when the table lists only the first ``shown`` problems; else empty."""
    if report.issues_total <= shown:
        return ""
    return _(
        "The table shows the first {shown} of {total} problems; export the report for the others.",
        shown=format_int(shown),
        total=format_int(report.issues_total),
    )


def summary_text(summary: bulk_import.ImportSummary) -> str:
    """What an import wrote: added, updated, skipped, not imported, invitations queued."""
    lines = [
        _("Import finished: {name}", name=summary.file_name),
        _(
            "Added: {added} · Updated: {updated} · Skipped: {skipped} · "
            "Not imported (problems): {invalid}",
            added=format_int(summary.added),
            updated=format_int(summary.updated),
            skipped=format_int(summary.skipped),
            invalid=format_int(summary.invalid),
        ),
        _(
            "Invitations queued: {count} (they leave with the next mail delivery).",
            count=format_int(summary.invitations_queued),
        ),
    ]
    return "\n".join(lines)
