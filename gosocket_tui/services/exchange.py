"""Where a session's files may come from and go to: the user's own paths, or the company's
exchange folder.

Locally (a trainer's laptop) the person at the keyboard owns the machine: any path they type
is theirs. Over SSH the app runs as the service account for administrators of many companies,
so a free-form path would let one company read another's files or overwrite the service's own
(its ``config.toml``, the database, ``~/.ssh/authorized_keys``). A remote session therefore
reads and writes only inside its company's exchange folder:

* one folder per company, ``<exchange root>/company-<id>`` (the database id never changes and
  never repeats, so two companies cannot share a folder), created ``0700``;
* a bare file name only: no ``/`` or ``\\``, no ``..``, no leading dot, no control or format
  characters, at most :data:`MAX_NAME_LENGTH` characters;
* no symbolic link is followed: the folder itself, and any file in it, that is a link is
  refused (files are opened with ``O_NOFOLLOW``);
* a file written there is ``0600`` and never replaces an existing one: it is written under a
  hidden temporary name and linked to its name only if that name is free.

The TUI asks :func:`files_for` which :class:`FilePlace` a session has; the CLI runs as the
server's operator and keeps its own paths.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from gosocket_tui.config import APP_NAME, Config
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _
from gosocket_tui.services.output_files import staged_output

MAX_NAME_LENGTH = 120
FOLDER_MODE = 0o700
FILE_MODE = 0o600
MAX_LISTED = 500  # a folder is shown, not crawled: the newest names first


class ExchangeRefused(UserError):
    """A name or file the exchange folder will not read or write; the message says why."""


def default_exchange_root() -> Path:
    """``<user data folder>/exchange``: beside the SQLite database, owned by the service."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "exchange"


def exchange_root(config: Config) -> Path:
    """The configured root of every company's exchange folder (``exchange_dir``)."""
    configured = config.exchange_dir
    return Path(configured).expanduser() if configured else default_exchange_root()


def company_folder_name(company_id: int) -> str:
    """The folder of one company: from its database id, which no other company ever gets."""
    return f"company-{int(company_id)}"


def check_name(raw: str) -> str:
    """``raw`` if it is a plain file name for the exchange folder, else ``ExchangeRefused``."""
    name = raw.strip()
    if not name:
        raise ExchangeRefused(_("Enter the name of a file in your exchange folder."))
    if "/" in name or "\\" in name or name in (".", ".."):
        raise ExchangeRefused(
            _("Use a file name only (no folders): files stay in your exchange folder.")
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        raise ExchangeRefused(_("The file name contains characters that are not allowed."))
    if name.startswith("."):
        raise ExchangeRefused(_("A file name may not start with a dot."))
    if len(name) > MAX_NAME_LENGTH or len(name.encode("utf-8", "surrogatepass")) > 240:
        raise ExchangeRefused(
            _("The file name is too long (at most {count} characters).", count=MAX_NAME_LENGTH)
        )
    return name


@dataclass(frozen=True)
class FilePlace:
    """The user's own paths: any path they type (a local session)."""

    @property
    def confined(self) -> bool:
        return False

    def source(self, raw: str) -> Path:
        """The file to read for what the user typed."""
        return Path(raw.strip()).expanduser()

    def target(self, raw: str) -> Path:
        """The file a write for what the user typed ends in (shown in messages)."""
        return Path(raw.strip()).expanduser()

    def shown(self, path: Path) -> str:
        """How a path is named on screen."""
        return str(path)

    def names(self) -> list[str]:
        """Files to choose from (only a confined place has a list)."""
        return []

    @contextlib.contextmanager
    def output(self, raw: str, *, inputs: Iterable[Path] = ()) -> Iterator[Path]:
        """Yield a staging path to write; on success it becomes the target, else it goes.

        Locally the rules of ``services/output_files`` hold: never over an existing file or
        one of ``inputs``, never a device or folder, never half a file.
        """
        with staged_output(self.target(raw), inputs=inputs) as staging:
            yield staging


@dataclass(frozen=True)
class ExchangeFolder(FilePlace):
    """One company's exchange folder: the only files a remote session reads or writes."""

    folder: Path

    @property
    def confined(self) -> bool:
        return True

    def ensure(self) -> Path:
        """Create the folder (``0700``) if needed; refuse a link or anything not a folder."""
        self.folder.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            self.folder.mkdir(mode=FOLDER_MODE)
        info = os.lstat(self.folder)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise ExchangeRefused(_("The exchange folder is not usable; ask the operator."))
        if stat.S_IMODE(info.st_mode) != FOLDER_MODE:
            os.chmod(self.folder, FOLDER_MODE, follow_symlinks=False)
        return self.folder

    def source(self, raw: str) -> Path:
        """The regular file ``raw`` names in the folder; a link or a missing file is refused."""
        name = check_name(raw)
        path = self.ensure() / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise ExchangeRefused(_("{name} is not in your exchange folder.", name=name)) from None
        if not stat.S_ISREG(info.st_mode):
            raise ExchangeRefused(_("{name} is not a regular file.", name=name))
        return path

    def target(self, raw: str) -> Path:
        return self.folder / check_name(raw)

    def shown(self, path: Path) -> str:
        return path.name

    def names(self) -> list[str]:
        """The regular, visible files of the folder, newest first."""
        found: list[tuple[float, str]] = []
        with os.scandir(self.ensure()) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    check_name(entry.name)
                except ExchangeRefused:
                    continue  # a name nobody could type back (controls, too long): not offered
                try:
                    found.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
                except OSError:
                    continue
        found.sort(key=lambda item: (-item[0], item[1]))
        return [name for _mtime, name in found[:MAX_LISTED]]

    @contextlib.contextmanager
    def output(self, raw: str, *, inputs: Iterable[Path] = ()) -> Iterator[Path]:
        """Yield a hidden staging path; on success it is linked to the name, never replacing
        (so ``inputs``, files already there, can never be overwritten either).

        The name is checked first, and an existing file of that name refuses the write before
        anything is produced. At the end the staging file is opened without following links,
        made ``0600`` and hard-linked to the name (``link`` fails when the name is taken, so a
        file written meanwhile is not replaced either).
        """
        name = check_name(raw)
        folder = self.ensure()
        final = folder / name
        if os.path.lexists(final):
            raise ExchangeRefused(
                _("{name} already exists in your exchange folder; choose another name.", name=name)
            )
        staging = folder / f".{secrets.token_hex(8)}.part"
        try:
            yield staging
            fd = os.open(staging, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise ExchangeRefused(_("{name} is not a regular file.", name=name))
                os.fchmod(fd, FILE_MODE)
            finally:
                os.close(fd)
            try:
                os.link(staging, final, follow_symlinks=False)
            except FileExistsError:
                raise ExchangeRefused(
                    _(
                        "{name} already exists in your exchange folder; choose another name.",
                        name=name,
                    )
                ) from None
        finally:
            with contextlib.suppress(OSError):
                staging.unlink(missing_ok=True)


def files_for(config: Config, company_id: int, *, remote: bool) -> FilePlace:
    """The place a session of ``company_id`` keeps its files: that company's exchange folder
    when remote. A pure mapping (no database): the caller passes its own session's company."""
    if not remote:
        return FilePlace()
    return ExchangeFolder(exchange_root(config) / company_folder_name(company_id))


def is_remote_environment(env: dict[str, str] | None = None) -> bool:
    """True inside an OpenSSH session (``SSH_CONNECTION`` is set): the default of the app."""
    values = os.environ if env is None else env
    return bool(values.get("SSH_CONNECTION"))
