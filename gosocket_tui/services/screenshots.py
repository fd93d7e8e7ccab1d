"""The screenshots folder: where F12 (and ``demo --script``) keep SVG pictures of the screen.

A tester attaches these files to a report, so they hold whatever the screen showed (supplier
names, emails): the folder is private and nothing in it is ever replaced or reached through a
link. The rules (SECURITY.md, "Screenshots"):

* the folder is ``--screenshots DIR``, else ``screenshots`` in the user data folder; it is
  created ``0700``; one that is a symbolic link, not a folder, or not owned by the user running
  the app is refused;
* a file name is built by the app from its own identifiers only (the screen, the language,
  the size, the time: :func:`screenshot_name`), or given by a script as a plain name
  (:func:`check_shot_name`); never from data on the screen;
* a file is created ``0600`` with ``O_CREAT | O_EXCL | O_NOFOLLOW``: never over an existing
  file, never through a link; a taken name becomes ``name-2.svg``, ``name-3.svg``…
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs

from gosocket_tui.config import APP_NAME
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SUFFIX = ".svg"
MAX_TRIES = 999
_SHOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_PART = re.compile(r"[^a-z0-9]+")


class ScreenshotRefused(UserError):
    """The screenshots folder or a name is not usable; the message says why."""


def default_screenshots_dir() -> Path:
    """``screenshots`` in the user data folder (beside the demo database)."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "screenshots"


def check_shot_name(raw: str) -> str:
    """A script's picture name: letters, digits, ``-`` and ``_`` (at most 100), no folder,
    no dot; ``.svg`` is added when saved."""
    name = raw.removesuffix(SUFFIX)
    if not _SHOT_NAME.fullmatch(name):
        raise ScreenshotRefused(
            _(
                "{name!r} is not a screenshot name: use letters, digits, - and _ "
                "(at most 100, no folders).",
                name=raw[:80],
            )
        )
    return name


def _part(identifier: str) -> str:
    """One of the app's identifiers as a name part: lower case letters, digits and ``-``."""
    return _PART.sub("-", identifier.lower()).strip("-")[:40] or "screen"


def screenshot_name(screen: str, lang: str, size: tuple[int, int], when: datetime) -> str:
    """``suppliers-es-80x24-20261130T231500Z``: what, in which language, at which size, when
    (UTC). Every part comes from the app, none from the data on the screen."""
    width, height = size
    return (
        f"{_part(screen)}-{_part(lang)}-{int(width)}x{int(height)}-"
        f"{when.strftime('%Y%m%dT%H%M%SZ')}"
    )


@dataclass(frozen=True)
class ScreenshotFolder:
    """The folder pictures are saved in (see the module's rules)."""

    folder: Path

    def ensure(self) -> Path:
        """Create the folder ``0700`` if needed; refuse a link, a non-folder, another owner."""
        folder = self.folder.expanduser()
        if not folder.exists() and not folder.is_symlink():
            folder.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=FOLDER_MODE)
        try:
            info = os.lstat(folder)
        except OSError as exc:
            raise ScreenshotRefused(
                _(
                    "The screenshots folder {path} is not usable: {reason}.",
                    path=str(folder),
                    reason=exc.strerror or exc,
                )
            ) from None
        if stat.S_ISLNK(info.st_mode):
            raise ScreenshotRefused(
                _(
                    "The screenshots folder {path} is a symbolic link; name the real folder.",
                    path=str(folder),
                )
            )
        if not stat.S_ISDIR(info.st_mode):
            raise ScreenshotRefused(
                _("The screenshots folder {path} is not a folder.", path=str(folder))
            )
        if info.st_uid != os.getuid():
            raise ScreenshotRefused(
                _("The screenshots folder {path} belongs to another user.", path=str(folder))
            )
        if stat.S_IMODE(info.st_mode) != FOLDER_MODE:
            os.chmod(folder, FOLDER_MODE, follow_symlinks=False)
        return folder

    def save(self, svg: str, name: str) -> Path:
        """Write ``svg`` as ``name.svg`` (``name`` checked), or the first free ``name-N.svg``;
        returns the file written."""
        stem = check_shot_name(name)
        folder = self.ensure()
        data = svg.encode("utf-8")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        for number in range(1, MAX_TRIES + 1):
            path = folder / (f"{stem}{SUFFIX}" if number == 1 else f"{stem}-{number}{SUFFIX}")
            try:
                fd = os.open(path, flags, FILE_MODE)
            except FileExistsError:
                continue
            try:
                os.fchmod(fd, FILE_MODE)  # whatever the umask
                with os.fdopen(fd, "wb", closefd=False) as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
            except BaseException:
                with contextlib.suppress(OSError):
                    path.unlink()
                raise
            finally:
                os.close(fd)
            return path
        raise ScreenshotRefused(
            _(
                "{name} and its numbered variants are taken; empty the screenshots folder.",
                name=stem + SUFFIX,
            )
        )
