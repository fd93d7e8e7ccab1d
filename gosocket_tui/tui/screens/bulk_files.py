"""What the bulk screen reads and writes, in its workers: the exchange folder's names, the
file's first rows, pasted rows, the problems report. Every path goes through the session's
:class:`FilePlace`, so a remote session stays inside its exchange folder."""

from __future__ import annotations

from pathlib import Path

from gosocket_tui.config import Config
from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _, format_int
from gosocket_tui.services import bulk as bulk_import
from gosocket_tui.services.bulk import RawRow, SourceInfo, open_supplier_file
from gosocket_tui.services.exchange import FilePlace
from gosocket_tui.tui.files import write_file
from gosocket_tui.tui.screens.bulk_tables import PREVIEW_ROWS

EXCHANGE_SHOWN = 8  # names listed under the path field; → completes any of them

Preview = tuple[Path, SourceInfo, list[RawRow]]
PastePreview = tuple[bulk_import.PastedText, SourceInfo, list[RawRow]]


def exchange_names(files: FilePlace) -> list[str]:
    """The files in the exchange folder to choose from."""
    try:
        return files.names()
    except OSError as exc:
        raise GosocketError(
            _("Cannot read your exchange folder: {reason}", reason=exc.strerror or exc)
        ) from exc


def exchange_line(names: list[str]) -> str:
    """The exchange folder's files, the first :data:`EXCHANGE_SHOWN` by name."""
    if not names:
        return _("Your inbox is empty: put the file into inbox/ (sftp), then type its name.")
    shown = ", ".join(names[:EXCHANGE_SHOWN])
    if len(names) > EXCHANGE_SHOWN:
        shown += " " + _("and {count} more", count=format_int(len(names) - EXCHANGE_SHOWN))
    return _("Files in your inbox: {names}", names=shown)


def read_preview(files: FilePlace, raw: str, config: Config) -> Preview:
    """The file named ``raw``: its path, what was detected, and its first rows."""
    path = files.source(raw)
    with open_supplier_file(
        path, max_bytes=config.import_max_bytes, max_rows=config.import_max_rows
    ) as opened:
        return path, opened.info, opened.preview(PREVIEW_ROWS)


def read_pasted(files: FilePlace, text: str, config: Config) -> PastePreview:
    """Pasted rows kept for the check, what was found, and their first rows.

    Too many rows: the refusal also says how this session sends a file instead.
    """
    try:
        pasted = bulk_import.paste_rows(text, max_bytes=config.import_max_bytes)
    except bulk_import.PasteTooLong as exc:
        raise bulk_import.PasteTooLong(f"{exc.message}\n{send_file_hint(files)}") from None
    try:
        with open_supplier_file(pasted) as opened:
            return pasted, opened.info, opened.preview(PREVIEW_ROWS)
    except BaseException:
        pasted.discard()
        raise


def send_file_hint(files: FilePlace) -> str:
    """How the user brings a file to open: over SSH into the inbox, else from anywhere."""
    if not files.confined:
        return _("Type the file's path above, or press → to complete it.")
    command = files.send_hint()
    if not command:
        return _(
            "Over SSH, put the file into your inbox (inbox/, with sftp), then type its name above."
        )
    return _(
        "Over SSH, send the file with {command}, then put FILE inbox/, and type its name above.",
        command=command,
    )


def write_problems(
    files: FilePlace, raw: str, source: Path | None, report: bulk_import.ValidationReport
) -> Path:
    """Write the report's problems as CSV to the file named ``raw``; never over an existing
    file, never over ``source`` (the file being imported)."""
    return write_file(
        files,
        raw,
        lambda staging: bulk_import.write_issue_report(staging, report),
        inputs=[source] if source else [],
    )
