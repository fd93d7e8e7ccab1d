"""Output files a user names (templates, reports, exports): nothing overwritten by surprise.

The rules, shared by the command line and the TUI (SECURITY.md, "Files"):

* An existing target is refused unless ``force``; even then only a regular file (or a link to
  one, whose file is replaced) is replaced, never a device, FIFO, socket or folder.
* The target is never one of the command's input files, compared by device and inode, so a
  hard link or another spelling of the same file counts too, with or without ``force``.
* The folder must exist and be a folder; a name that is too long is refused in one line.
* The content goes to a private temporary file in the same folder, is flushed to disk, then
  moved into place: a failure (disk full, kill) leaves no half file and the old file intact.
  Without ``force`` the move is a hard link, which fails if the name appeared meanwhile.
* New files are ``0600`` whatever the umask: reports and exports hold suppliers' data.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _
from gosocket_tui.safe_text import plain

__all__ = ["OutputRefused", "check_output", "open_output", "staged_output"]

_TEMP_PREFIX = ".gosocket-"
_TEMP_SUFFIX = ".part"
# Filesystems without hard links (FAT, some network shares): fall back to exists-then-rename.
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}


class OutputRefused(UserError):
    """The output file cannot or may not be written; the message says why, in one line."""


def _shown(path: Path) -> str:
    """The path as typed, control characters shown as ``�``, cut short when huge."""
    text = plain(path)
    return text if len(text) <= 120 else text[:60] + "…" + text[-40:]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("a folder")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device")
    if stat.S_ISFIFO(mode):
        return _("a pipe (FIFO)")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("a special file")


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return _("the name is too long")
    return exc.strerror or exc.__class__.__name__


def _exists(path: Path, force_hint: bool) -> OutputRefused:
    """The refusal of an existing target; ``--force`` is named only where there is one."""
    if force_hint:
        return OutputRefused(
            _(
                "{path} already exists; choose another name or add --force to replace it",
                path=_shown(path),
            )
        )
    return OutputRefused(_("{path} already exists; choose another name", path=_shown(path)))


def _refuse_os_error(path: Path, exc: OSError) -> OutputRefused:
    return OutputRefused(_("Cannot write {path}: {reason}", path=_shown(path), reason=_reason(exc)))


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def check_output(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    force_hint: bool = True,
) -> Path:
    """Check that ``path`` may be written now; return where the file will really go.

    Call it before any long work (an import's check pass) so a refusal comes first; the write
    itself checks again. Raises ``OutputRefused`` with one translated line.
    """
    target = Path(path)
    if not target.name or target.name in (".", ".."):
        raise OutputRefused(_("{path} is not a file name", path=_shown(target)))
    try:
        info: os.stat_result | None = target.lstat()
    except (FileNotFoundError, NotADirectoryError):
        info = None  # the folder checks below say what is wrong
    except OSError as exc:
        raise _refuse_os_error(target, exc) from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        try:
            final = target.stat()
        except OSError:
            raise OutputRefused(
                _("{path} is a link to nothing; choose another name", path=_shown(target))
            ) from None
        if not stat.S_ISREG(final.st_mode):
            raise OutputRefused(
                _(
                    "{path} is {kind}, not a file it may replace; choose another name",
                    path=_shown(target),
                    kind=_kind(final.st_mode),
                )
            )
        target, info = Path(os.path.realpath(target)), final
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputRefused(_("{path} is a folder: add a file name.", path=_shown(target)))
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputRefused(
            _(
                "{path} is {kind}, not a file it may replace; choose another name",
                path=_shown(target),
                kind=_kind(info.st_mode),
            )
        )
    if info is not None:
        for source in inputs:
            with contextlib.suppress(OSError):
                if _same_file(info, os.stat(source)):
                    raise OutputRefused(
                        _(
                            "{path} is the input file; write the output to another file",
                            path=_shown(Path(path)),
                        )
                    )
        if not force:
            raise _exists(Path(path), force_hint)
    parent = target.parent
    try:
        parent_info = parent.stat()
    except FileNotFoundError:
        raise OutputRefused(
            _(
                "Cannot write {path}: the folder {folder} does not exist",
                path=_shown(target),
                folder=_shown(parent),
            )
        ) from None
    except NotADirectoryError:
        raise OutputRefused(
            _("Cannot write {path}: a part of it is a file, not a folder", path=_shown(target))
        ) from None
    except OSError as exc:
        raise _refuse_os_error(target, exc) from None
    if not stat.S_ISDIR(parent_info.st_mode):
        raise OutputRefused(
            _(
                "Cannot write {path}: {folder} is a file, not a folder",
                path=_shown(target),
                folder=_shown(parent),
            )
        )
    return target


@overload
def open_output(
    path: str | os.PathLike[str],
    mode: Literal["w"] = "w",
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    encoding: str = "utf-8",
    newline: str | None = None,
) -> contextlib.AbstractContextManager[IO[str]]: ...


@overload
def open_output(
    path: str | os.PathLike[str],
    mode: Literal["wb"],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    encoding: str = "utf-8",
    newline: str | None = None,
) -> contextlib.AbstractContextManager[IO[bytes]]: ...


def open_output(
    path: str | os.PathLike[str],
    mode: Literal["w", "wb"] = "w",
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    encoding: str = "utf-8",
    newline: str | None = None,
) -> contextlib.AbstractContextManager[IO[Any]]:
    """A handle on a private temporary file that becomes ``path`` when the block ends well.

    An exception inside the block removes the temporary file and leaves ``path`` as it was.
    Every refusal and OS error (disk full, permission) is an ``OutputRefused``.
    """
    return _output(Path(path), mode, force, tuple(inputs), encoding, newline)


@contextlib.contextmanager
def _output(
    path: Path,
    mode: Literal["w", "wb"],
    force: bool,
    inputs: tuple[str | os.PathLike[str], ...],
    encoding: str,
    newline: str | None,
) -> Iterator[IO[Any]]:
    target = check_output(path, force=force, inputs=inputs)
    try:
        fd, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise _refuse_os_error(path, exc) from None
    temp = Path(name)
    try:
        try:
            handle: IO[Any] = (
                os.fdopen(fd, "wb")
                if mode == "wb"
                else os.fdopen(fd, "w", encoding=encoding, newline=newline)
            )
        except BaseException:
            os.close(fd)
            raise
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _move_into_place(temp, path, force, inputs)
    except OSError as exc:
        raise _refuse_os_error(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


@contextlib.contextmanager
def staged_output(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[Path]:
    """A free hidden name beside ``path`` for a writer that makes the file itself (openpyxl,
    a service that opens its own output); it becomes ``path`` by the same rules as
    :func:`open_output` when the block ends well, and goes away otherwise. Used by the TUI,
    which has no ``--force``: its refusals do not name one."""
    target = Path(path)
    sources = tuple(inputs)
    check_output(target, force=force, inputs=sources, force_hint=False)
    temp = target.parent / f"{_TEMP_PREFIX}{secrets.token_hex(8)}{_TEMP_SUFFIX}"
    try:
        yield temp
        os.chmod(temp, 0o600, follow_symlinks=False)
        _move_into_place(temp, target, force, sources, force_hint=False)
    except OSError as exc:
        raise _refuse_os_error(target, exc) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def _move_into_place(
    temp: Path,
    path: Path,
    force: bool,
    inputs: tuple[str | os.PathLike[str], ...],
    force_hint: bool = True,
) -> None:
    """The last step, checked again: the target may have appeared or changed meanwhile."""
    target = check_output(path, force=force, inputs=inputs, force_hint=force_hint)
    if force:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)
    except FileExistsError:
        raise _exists(path, force_hint) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if os.path.lexists(target):
            raise _exists(path, force_hint) from None
        os.rename(temp, target)
