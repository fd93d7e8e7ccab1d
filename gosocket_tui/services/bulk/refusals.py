"""Why a supplier file is refused: the error every reading problem ends in, and its phrases."""

from __future__ import annotations

from pathlib import Path

from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _


class FileRefused(UserError):
    """The file cannot be read as a supplier file; the message says why and what to do.

    ``row`` is the spreadsheet row the problem was found at, when there is one.
    """

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


def shorten(text: str, limit: int = 40) -> str:
    """Keep messages on one line whatever a header cell contains."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cannot_read(path: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return _("Cannot read {name}: {reason}", name=path.name, reason=reason)


def too_large(path: Path, limit: int) -> str:
    return _(
        "{name} is larger than the {limit} allowed; split it into smaller files",
        name=path.name,
        limit=size_text(limit),
    )


def size_text(size: int) -> str:
    """Whole MB / KB / bytes: no decimal mark to localise, and small test limits stay exact."""
    if size >= 1_000_000:
        return f"{size // 1_000_000} MB"
    if size >= 1_000:
        return f"{size // 1_000} KB"
    return f"{size} bytes"
