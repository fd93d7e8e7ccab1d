"""How a screen writes a file in its session's place (``AppHost.files_for``, see
``services/exchange.py``): an export, a bulk report or template."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from textual.app import App

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _
from gosocket_tui.services.exchange import FilePlace
from gosocket_tui.tui.safe import plain

T = TypeVar("T")
EXPORT_NOTICE_SECONDS = 20  # long enough to copy the sftp line of an export


def describe_write_error(path: Path, error: OSError) -> str:
    """A sentence for a file that could not be written (never a traceback)."""
    shown = plain(path)
    if isinstance(error, IsADirectoryError) or path.is_dir():
        return _("{path} is a folder: add a file name.", path=shown)
    if isinstance(error, FileNotFoundError):
        return _("The folder {folder} does not exist.", folder=plain(path.parent))
    if isinstance(error, PermissionError):
        return _("You may not write to {path}.", path=shown)
    return _("Could not write {path}: {reason}.", path=shown, reason=plain(error.strerror or error))


def with_fetch_hint(app: App[Any], files: FilePlace, message: str, shown: str) -> str:
    """``message`` about the written file ``shown``, and the line that fetches it, if any.

    The line also goes to the user's clipboard (OSC 52, where the terminal allows it): a
    notice wraps it at 80 columns, and a wrapped line cannot be copied from the screen whole.
    """
    hint = files.fetch_hint(shown)
    if not hint:
        return message
    app.copy_to_clipboard(hint)
    return message + "\n" + _("Fetch it with (copied to your clipboard): {command}", command=hint)


def write_export(files: FilePlace, raw: str, write: Callable[[Path], T]) -> tuple[T, str]:
    """Run ``write`` on a staging file that becomes the file named ``raw`` at the end (never
    half a file; in an exchange folder a free name when ``raw`` is taken); return what it
    returned and the path written as the user is shown it.

    Runs in a worker: a file that cannot be written becomes a :class:`GosocketError` whose
    message says why (:func:`describe_write_error`).
    """
    path = Path(raw)
    try:
        path = files.target(raw)
        with files.output(raw) as staged:
            result = write(staged.path)
    except OSError as exc:
        raise GosocketError(describe_write_error(path, exc)) from exc
    return result, files.shown(staged.final)


def write_file(
    files: FilePlace, raw: str, write: Callable[[Path], None], *, inputs: Iterable[Path] = ()
) -> Path:
    """Run ``write`` on a staging file that becomes the file named ``raw`` (the bulk files:
    the problems report, the template); never over an existing file or one of ``inputs``.
    Returns the file written (in an exchange folder, a free name when ``raw`` is taken).

    Runs in a worker: a folder, or a file that cannot be written, becomes a
    :class:`GosocketError` naming the path as typed.
    """
    try:
        path = files.target(raw)
        if path.is_dir():
            raise GosocketError(_("{path} is a folder", path=str(path)))
        with files.output(raw, inputs=inputs) as staged:
            write(staged.path)
    except OSError as exc:
        raise GosocketError(
            _("Could not write {path}: {reason}.", path=raw, reason=exc.strerror or exc)
        ) from exc
    return staged.final
