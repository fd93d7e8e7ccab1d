"""Where a session's files may come from and go to: the user's own paths, or the company's
exchange folder.

Locally (a trainer's laptop) the person at the keyboard owns the machine: any path they type
is theirs. Over SSH the app runs as the service account for administrators of many companies,
so a free-form path would let one company read another's files or overwrite the service's own
(its ``config.toml``, the database, ``~/.ssh/authorized_keys``). A remote session therefore
reads and writes only inside its company's exchange folder:

* one folder per company, ``<exchange root>/company-<id>`` (the database id never changes and
  never repeats, so two companies cannot share a folder), with ``inbox/`` (files brought in
  over SFTP: the bulk import lists and reads only these) and ``outbox/`` (every export), all
  ``0700``;
* a bare file name only: no ``/`` or ``\\``, no ``..``, no leading dot, no control or format
  characters, at most :data:`MAX_NAME_LENGTH` characters;
* no symbolic link is followed: a folder, and any file in it, that is a link is refused
  (files are opened with ``O_NOFOLLOW``);
* a file written there is ``0600`` and never replaces an existing one: it is written under a
  hidden temporary name and linked to its name only if that name is free; when it is taken,
  the next free ``name-2.csv``, ``name-3.csv``… is chosen (the user never retypes a name).

The TUI asks :func:`files_for` which :class:`FilePlace` a session has; the CLI runs as the
server's operator and keeps its own paths. ``ssh/sftp.py`` serves the same folder over SFTP.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import stat
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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
INBOX, OUTBOX = "inbox", "outbox"
MAX_FREE_NAME_TRIES = 999  # name-2 … name-999; after that the name is refused
PART_SUFFIX = ".part"  # hidden staging files: ``.<random>.part``
STALE_PART_SECONDS = 24 * 3600  # a staging file untouched this long lost its writer


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


@dataclass
class Staged:
    """A file being written: ``path`` is where the writer writes; ``final`` is the file it
    became (known once the block ended well: in an exchange folder it may be a free name
    other than the one asked for)."""

    path: Path
    final: Path = field(default_factory=Path)


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

    def named(self, raw: str) -> Path:
        """The file to read that ``raw`` names, unchecked (to compare with one read before)."""
        return Path(raw.strip()).expanduser()

    def fetch_hint(self, name: str) -> str:
        """How the user fetches a written file (only an exchange folder served over SFTP)."""
        return ""

    def send_hint(self) -> str:
        """The ``sftp`` line that reaches the inbox (only an exchange folder served over SFTP)."""
        return ""

    def shown(self, path: Path) -> str:
        """How a path is named on screen."""
        return str(path)

    def names(self) -> list[str]:
        """Files to choose from (only a confined place has a list)."""
        return []

    @contextlib.contextmanager
    def output(self, raw: str, *, inputs: Iterable[Path] = ()) -> Iterator[Staged]:
        """Yield a staging path to write; on success it becomes the target, else it goes.

        Locally the rules of ``services/output_files`` hold: never over an existing file or
        one of ``inputs``, never a device or folder, never half a file.
        """
        target = self.target(raw)
        with staged_output(target, inputs=inputs) as staging:
            yield Staged(staging, target)


@dataclass(frozen=True)
class ExchangeFolder(FilePlace):
    """One company's exchange folder: the only files a remote session reads or writes."""

    folder: Path
    fetch: tuple[str, str, int] | None = None  # (user, host, port) of the sftp line

    @property
    def confined(self) -> bool:
        return True

    def named(self, raw: str) -> Path:
        return self.inbox / check_name(raw)

    def fetch_hint(self, name: str) -> str:
        if self.fetch is None:
            return ""
        user, host, port = self.fetch
        return fetch_command(user, host, port, name)

    def send_hint(self) -> str:
        if self.fetch is None:
            return ""
        user, host, port = self.fetch
        return send_command(user, host, port)

    @property
    def inbox(self) -> Path:
        return self.folder / INBOX

    @property
    def outbox(self) -> Path:
        return self.folder / OUTBOX

    def ensure(self) -> Path:
        """Create the folder and its ``inbox/`` and ``outbox/`` (``0700``) if needed; refuse
        a link or anything not a folder."""
        self.folder.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        for folder in (self.folder, self.inbox, self.outbox):
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=FOLDER_MODE)
            info = os.lstat(folder)
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
                raise ExchangeRefused(_("The exchange folder is not usable; ask the operator."))
            if stat.S_IMODE(info.st_mode) != FOLDER_MODE:
                os.chmod(folder, FOLDER_MODE, follow_symlinks=False)
        return self.folder

    def source(self, raw: str) -> Path:
        """The regular file ``raw`` names in ``inbox/``; a link or a missing file is refused."""
        name = check_name(raw)
        self.ensure()
        path = self.inbox / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise ExchangeRefused(
                _("{name} is not in your inbox (inbox/ of your exchange folder).", name=name)
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise ExchangeRefused(_("{name} is not a regular file.", name=name))
        return path

    def target(self, raw: str) -> Path:
        return self.outbox / check_name(raw)

    def shown(self, path: Path) -> str:
        return path.name

    def names(self) -> list[str]:
        """The regular, visible files of ``inbox/``, newest first."""
        self.ensure()
        found: list[tuple[float, str]] = []
        with os.scandir(self.inbox) as entries:
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

    def usage(self) -> tuple[int, int]:
        """Bytes and files the company's folder holds now (both sub-folders, hidden files
        too: an upload in progress counts), for the quotas of ``ssh/sftp.py``."""
        self.ensure()
        total = count = 0
        for folder in (self.inbox, self.outbox):
            with os.scandir(folder) as entries:
                for entry in entries:
                    with contextlib.suppress(OSError):
                        if entry.is_file(follow_symlinks=False):
                            total += entry.stat(follow_symlinks=False).st_size
                            count += 1
        return total, count

    def sweep(self) -> None:
        """Remove the staging files a killed writer left (an export or upload killed halfway):
        nobody can name them, yet they count against the quotas. A live writer keeps its file's
        time fresh; one untouched for :data:`STALE_PART_SECONDS` is gone."""
        self.ensure()
        oldest = time.time() - STALE_PART_SECONDS
        for folder in (self.inbox, self.outbox):
            with os.scandir(folder) as entries:
                for entry in entries:
                    if not (entry.name.startswith(".") and entry.name.endswith(PART_SUFFIX)):
                        continue
                    with contextlib.suppress(OSError):
                        if (
                            entry.is_file(follow_symlinks=False)
                            and entry.stat(follow_symlinks=False).st_mtime < oldest
                        ):
                            os.unlink(entry.path)

    @contextlib.contextmanager
    def output(self, raw: str, *, inputs: Iterable[Path] = ()) -> Iterator[Staged]:
        """Yield a hidden staging path in ``outbox/``; on success it is linked to the name,
        or to the first free ``stem-N.ext`` when the name is taken, never replacing anything
        (so ``inputs``, in ``inbox/``, are never touched either).

        At the end the staging file is opened without following links, made ``0600`` and
        hard-linked to a free name (``link`` fails when the name is taken, so a file written
        meanwhile is not replaced: the next name is tried).
        """
        name = check_name(raw)
        self.sweep()
        staging = self.outbox / f".{secrets.token_hex(8)}{PART_SUFFIX}"
        try:
            staged = Staged(staging)
            yield staged
            fd = os.open(staging, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise ExchangeRefused(_("{name} is not a regular file.", name=name))
                os.fchmod(fd, FILE_MODE)
            finally:
                os.close(fd)
            staged.final = _link_free_name(staging, self.outbox, name)
        finally:
            with contextlib.suppress(OSError):
                staging.unlink(missing_ok=True)


def free_names(name: str) -> Iterator[str]:
    """``name``, then ``stem-2.ext``, ``stem-3.ext``…, each a valid name (a long stem is cut)."""
    yield name
    stem, dot, ext = name.rpartition(".")
    if not stem:
        stem, dot, ext = name, "", ""
    for number in range(2, MAX_FREE_NAME_TRIES + 1):
        suffix = f"-{number}{dot}{ext}"
        candidate = stem[: MAX_NAME_LENGTH - len(suffix)] + suffix
        with contextlib.suppress(ExchangeRefused):
            yield check_name(candidate)


def _link_free_name(staging: Path, folder: Path, name: str) -> Path:
    for candidate in free_names(name):
        final = folder / candidate
        try:
            os.link(staging, final, follow_symlinks=False)
        except FileExistsError:
            continue
        return final
    raise ExchangeRefused(
        _("{name} and its numbered variants are taken; choose another name.", name=name)
    )


def fetch_command(username: str, host: str, port: int, name: str) -> str:
    """The ``sftp`` line that fetches ``outbox/name`` into the current folder, ready to paste
    in a shell. ``sftp`` splits its ``host:path`` argument at spaces itself (it turns it into a
    ``get`` command), so spaces are escaped for it, then the argument is quoted for the shell
    if it needs it."""
    shown_host = f"[{host}]" if ":" in host else host
    path = name.replace(" ", "\\ ")  # a checked name holds no backslash
    argument = f"{username}@{shown_host}:{OUTBOX}/{path}"
    return f"sftp -P {int(port)} {shlex.quote(argument)} ."


def send_command(username: str, host: str, port: int) -> str:
    """The ``sftp`` line that opens the exchange folder, where ``put FILE inbox/`` sends a
    file (the README shows the same)."""
    shown_host = f"[{host}]" if ":" in host else host
    return f"sftp -P {int(port)} {shlex.quote(f'{username}@{shown_host}')}"


def files_for(config: Config, company_id: int, *, remote: bool, username: str = "") -> FilePlace:
    """The place a session of ``company_id`` keeps its files: that company's exchange folder
    when remote. A pure mapping (no database): the caller passes its own session's company.

    Under ``gosocket-tui serve`` the session knows where its client reached the server
    (``sftp_host``, ``sftp_port``): the folder then says how ``username`` fetches an export.
    """
    if not remote:
        return FilePlace()
    fetch = None
    if config.sftp_port and config.sftp_host and username:
        fetch = (username, config.sftp_host, config.sftp_port)
    return ExchangeFolder(exchange_root(config) / company_folder_name(company_id), fetch)


def is_remote_environment(env: dict[str, str] | None = None) -> bool:
    """True inside an OpenSSH session (``SSH_CONNECTION`` is set): the default of the app."""
    values = os.environ if env is None else env
    return bool(values.get("SSH_CONNECTION"))
