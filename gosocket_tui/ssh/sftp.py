"""File exchange over SFTP: an administrator's SFTP session is their company's exchange
folder (``services/exchange.py``), and nothing else.

The client sees ``/`` = ``company-<id>/`` with two folders: ``inbox/`` (it may put new files
there: bulk files for the app to import) and ``outbox/`` (the app's exports: get and remove
only). Every path is resolved here, never by the file system: a path is at most
``inbox|outbox/NAME`` with NAME a name ``check_name`` accepts, so ``..``, absolute server
paths, another company's folder, hidden files and sub-folders do not exist for the client.
No link is made (symlink, hardlink) or followed (files are opened ``O_NOFOLLOW`` and only
regular files are shown). An upload is written under a hidden name and linked to its name when
the client closes it, never over an existing file; it is ``0600``, and ``setstat`` may set no
other mode. The company's quotas (``exchange_max_bytes``, ``exchange_max_files``) are checked
on every write: the write that would pass one fails with an SFTP error and its partial file is
removed, as is an upload the connection dropped halfway.

:data:`SFTP_REQUESTS` classifies every method asyncssh's :class:`asyncssh.SFTPServer` has; a
test fails when a new one appears unclassified. :class:`SessionChannel` is the session channel
of ``ssh/server.py``: the app on a pty, or SFTP for an administrator who asks for it.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import secrets
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncssh
from asyncssh.channel import SSHChannel
from asyncssh.stream import SSHServerStreamSession

from gosocket_tui.i18n import _
from gosocket_tui.services.exchange import (
    FILE_MODE,
    INBOX,
    OUTBOX,
    PART_SUFFIX,
    ExchangeFolder,
    ExchangeRefused,
    check_name,
)
from gosocket_tui.ssh.launcher import PtySession

# Every method of asyncssh's SFTPServer and the answer. "allowed": served (within the rules
# above); "refused": always an SFTP error; "event": a notification; "helper": formatting that
# asyncssh calls on results this class produced (no client input reaches a path through it).
SFTP_REQUESTS: dict[str, str] = {
    "open": "allowed",  # read: inbox/ and outbox/; write: a new file in inbox/ only
    "open56": "refused",  # SFTP v5+: the server speaks v3
    "close": "allowed",
    "read": "allowed",
    "write": "allowed",  # the quotas
    "fsync": "allowed",
    "lstat": "allowed",
    "fstat": "allowed",
    "stat": "allowed",  # as lstat: a link is never followed
    "setstat": "allowed",  # times, and mode 0600 only
    "lsetstat": "allowed",
    "fsetstat": "allowed",
    "scandir": "allowed",
    "realpath": "allowed",
    "remove": "allowed",  # a regular file of inbox/ or outbox/
    "mkdir": "refused",
    "rmdir": "refused",
    "rename": "refused",
    "posix_rename": "refused",
    "readlink": "refused",
    "symlink": "refused",
    "link": "refused",
    "lock": "refused",
    "unlock": "refused",
    "statvfs": "refused",  # the server's file system is none of the client's business
    "fstatvfs": "refused",
    "exit": "event",
    "map_path": "helper",
    "reverse_map_path": "helper",
    "convert_attrs": "helper",
    "format_user": "helper",
    "format_group": "helper",
    "format_longname": "helper",
}

SFTP_VERSION = 3
QUOTA_RECHECK_BYTES = 4 * 1024 * 1024  # an upload looks at its company's usage again this often
FOLDERS = (INBOX, OUTBOX)

# report(action, name, outcome, detail): the server logs and audits it (``ssh/server.py``).
Report = Callable[[str, str, str, str], None]
# Whether the user is still an active administrator (read from the database, off the loop).
StillAdmin = Callable[[], Awaitable[bool]]


@dataclass
class Quota:
    max_bytes: int
    max_files: int


class _Opened:
    fd: int

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """asyncssh asks where the data of a sparse file is (``SEEK_DATA``, ``SEEK_HOLE``)."""
        return os.lseek(self.fd, offset, whence)


@dataclass(eq=False)
class _Download(_Opened):
    fd: int
    name: str
    sent: int = 0


@dataclass(eq=False)
class _Upload(_Opened):
    fd: int
    part: Path
    final: Path
    size: int = 0
    others: int = 0  # bytes of the company's other files, as last looked at
    checked_at: int = 0
    failed: str = ""  # why the upload was stopped (every later write says it again)


_Open = _Download | _Upload


def _denied(reason: str) -> asyncssh.SFTPError:
    return asyncssh.SFTPPermissionDenied(reason)


class ExchangeSFTP(asyncssh.SFTPServer):
    """One SFTP session of an administrator, confined to their company's exchange folder."""

    def __init__(
        self,
        chan: asyncssh.SSHServerChannel[bytes],
        place: ExchangeFolder,
        quota: Quota,
        report: Report,
        still_admin: StillAdmin,
    ) -> None:
        place.sweep()
        super().__init__(chan, chroot=os.fsencode(place.folder))
        self._place = place
        self._quota = quota
        self._report = report
        self._still_admin = still_admin
        self._uploads: set[_Upload] = set()
        self.ended = False  # the channel ended: an upload still open is incomplete
        report("sftp.session", "", "ok", "start")

    # ------------------------------------------------------------------ paths

    def _parts(self, path: bytes) -> tuple[str, ...]:
        """The client's path as ``()``, ``(folder,)`` or ``(folder, name)``; anything else
        is refused. Relative and absolute paths both start at the company's folder."""
        try:
            text = path.decode("utf-8")
        except UnicodeDecodeError:
            raise _denied(_("Not a valid file name.")) from None
        parts = tuple(p for p in text.split("/") if p not in ("", "."))
        if ".." in parts:
            raise _denied(_("No parent folders: your exchange folder is all there is."))
        if not parts:
            return ()
        if parts[0] not in FOLDERS or len(parts) > 2:
            raise _denied(_("Only inbox/ and outbox/ are here."))
        if len(parts) == 2:
            try:
                checked = check_name(parts[1])
            except ExchangeRefused as exc:
                raise _denied(exc.message) from None
            if checked != parts[1]:
                raise _denied(_("A file name may not start or end with a space."))
        return parts

    def _local(self, parts: tuple[str, ...]) -> Path:
        return self._place.folder.joinpath(*parts)

    def _file(self, path: bytes) -> tuple[tuple[str, ...], Path]:
        """A file (``folder/name``) the client named; a folder is refused."""
        parts = self._parts(path)
        if len(parts) != 2:
            raise asyncssh.SFTPFileIsADirectory(_("Name a file in inbox/ or outbox/."))
        return parts, self._local(parts)

    async def _require_admin(self, what: str) -> None:
        """A user demoted or disabled since the login opens, lists and removes nothing more."""
        if not await self._still_admin():
            self._report("sftp.refused", what, "refused", "not an administrator")
            raise _denied(_("Only administrators exchange files."))

    def _lstat(self, parts: tuple[str, ...]) -> os.stat_result:
        """The folder or the regular file; a link, a device, a missing file do not exist."""
        info = os.lstat(self._local(parts))
        wanted = stat.S_ISREG if len(parts) == 2 else stat.S_ISDIR
        if not wanted(info.st_mode):
            raise asyncssh.SFTPNoSuchFile(_("No such file."))
        return info

    def map_path(self, path: bytes) -> bytes:
        return os.fsencode(self._local(self._parts(path)))

    def realpath(self, path: bytes) -> bytes:
        """The client's current folder is ``/``; ``..`` of ``/`` is ``/`` (as ``cd ..`` in a
        chroot). Only the answer is normalized: a path to open never holds ``..``."""
        parts = self._parts(posixpath.normpath(b"/" + path))
        return b"/" + "/".join(parts).encode("utf-8")

    def format_user(self, uid: int | None) -> str:
        return ""  # the service account's name is none of the client's business

    def format_group(self, gid: int | None) -> str:
        return ""

    # ------------------------------------------------------------------ reading

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        parts = self._parts(path)
        await self._require_admin("/".join(parts))
        if len(parts) == 2:
            raise asyncssh.SFTPNotADirectory(_("Not a folder."))
        if not parts:
            for folder in FOLDERS:
                attrs = asyncssh.SFTPAttrs.from_local(self._lstat((folder,)))
                yield asyncssh.SFTPName(folder.encode(), attrs=attrs)
            return
        self._lstat(parts)
        with os.scandir(self._local(parts)) as entries:
            found = sorted(entries, key=lambda entry: entry.name)
        for entry in found:
            with contextlib.suppress(OSError, ExchangeRefused):
                if entry.is_file(follow_symlinks=False):
                    check_name(entry.name)
                    attrs = asyncssh.SFTPAttrs.from_local(entry.stat(follow_symlinks=False))
                    yield asyncssh.SFTPName(entry.name.encode(), attrs=attrs)

    def lstat(self, path: bytes) -> os.stat_result:
        return self._lstat(self._parts(path))

    def stat(self, path: bytes) -> os.stat_result:
        return self._lstat(self._parts(path))

    def fstat(self, file_obj: object) -> os.stat_result:
        return os.fstat(self._open_file(file_obj).fd)

    async def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        parts, local = self._file(path)
        await self._require_admin("/".join(parts))
        if pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT):
            return self._upload(parts, local)
        self._lstat(parts)
        fd = os.open(local, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise asyncssh.SFTPNoSuchFile(_("No such file."))
        return _Download(fd, parts[1])

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        opened = self._open_file(file_obj)
        data = os.pread(opened.fd, size, offset)
        if isinstance(opened, _Download):
            opened.sent += len(data)
        return data

    # ------------------------------------------------------------------ writing

    def _upload(self, parts: tuple[str, ...], final: Path) -> _Upload:
        folder, name = parts
        if folder != INBOX:
            self._report("sftp.refused", name, "refused", f"write to {folder}/")
            raise _denied(
                _("outbox/ holds the app's exports: get or remove them; put into inbox/.")
            )
        self._place.ensure()
        if os.path.lexists(final):
            raise asyncssh.SFTPFailure(
                _("{name} already exists: nothing is ever replaced.", name=name)
            )
        used, count = self._place.usage()
        if count >= self._quota.max_files:
            self._report("sftp.put", name, "refused", "file count quota")
            raise asyncssh.SFTPQuotaExceeded(
                _(
                    "Quota exceeded: your exchange folder holds {count} files, the most it may.",
                    count=count,
                )
            )
        part = self._place.inbox / f".{secrets.token_hex(8)}{PART_SUFFIX}"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        upload = _Upload(os.open(part, flags, FILE_MODE), part, final, others=used)
        self._uploads.add(upload)
        return upload

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        upload = self._open_file(file_obj)
        if not isinstance(upload, _Upload):
            raise _denied(_("This file was opened for reading."))
        if upload.failed:
            raise asyncssh.SFTPQuotaExceeded(upload.failed)
        size = max(upload.size, offset + len(data))
        if size - upload.checked_at >= QUOTA_RECHECK_BYTES or (
            upload.others + size > self._quota.max_bytes
        ):
            upload.others = self._place.usage()[0] - os.fstat(upload.fd).st_size
            upload.checked_at = size
        if upload.others + size > self._quota.max_bytes:
            self._fail(upload, "size quota")
            raise asyncssh.SFTPQuotaExceeded(upload.failed)
        written = os.pwrite(upload.fd, data, offset)
        upload.size = max(upload.size, offset + written)
        return written

    def fsync(self, file_obj: object) -> None:
        os.fsync(self._open_file(file_obj).fd)

    def _fail(self, upload: _Upload, why: str) -> None:
        upload.failed = (
            _(
                "Quota exceeded: your exchange folder may hold {count} bytes; the file was "
                "removed.",
                count=self._quota.max_bytes,
            )
            if why == "size quota"
            else _("The upload was stopped: {reason}.", reason=why)
        )
        with contextlib.suppress(OSError):
            os.unlink(upload.part)
        self._report("sftp.put", upload.final.name, "refused", why)

    def close(self, file_obj: object) -> None:
        opened = self._open_file(file_obj)
        try:
            if isinstance(opened, _Download):
                self._report("sftp.get", opened.name, "ok", f"{opened.sent} bytes")
            elif not opened.failed:
                self._finish(opened)
        finally:
            os.close(opened.fd)
            if isinstance(opened, _Upload):
                self._uploads.discard(opened)
                with contextlib.suppress(OSError):
                    os.unlink(opened.part)

    def _finish(self, upload: _Upload) -> None:
        """The client closed the file: it takes its name, if the name is still free."""
        if self.ended:
            self._report("sftp.put", upload.final.name, "refused", "connection ended halfway")
            return
        os.fchmod(upload.fd, FILE_MODE)
        try:
            os.link(upload.part, upload.final, follow_symlinks=False)
        except FileExistsError:
            self._report("sftp.put", upload.final.name, "refused", "name taken meanwhile")
            raise asyncssh.SFTPFailure(
                _("{name} already exists: nothing is ever replaced.", name=upload.final.name)
            ) from None
        self._report("sftp.put", upload.final.name, "ok", f"{upload.size} bytes")

    def _open_file(self, file_obj: object) -> _Open:
        if not isinstance(file_obj, _Download | _Upload):
            raise asyncssh.SFTPInvalidHandle(_("Not an open file."))
        return file_obj

    # ------------------------------------------------------------------ attributes

    def _check_attrs(self, parts: tuple[str, ...], attrs: asyncssh.SFTPAttrs) -> None:
        """Times of a file may change; a mode only to ``0600``; nothing else."""
        changes_mode = attrs.permissions is not None
        if changes_mode and (len(parts) != 2 or stat.S_IMODE(attrs.permissions or 0) != FILE_MODE):
            self._report("sftp.refused", "/".join(parts), "refused", "setstat mode")
            raise _denied(_("Files here are 0600: no other mode may be set."))
        others = (attrs.size, attrs.uid, attrs.gid, attrs.owner, attrs.group, attrs.acl)
        if any(value is not None for value in others):
            raise _denied(_("Only the times of a file may be set."))
        if (attrs.atime is not None or attrs.mtime is not None) and len(parts) != 2:
            raise _denied(_("Only the times of a file may be set."))

    def _set_times(self, target: int | Path, attrs: asyncssh.SFTPAttrs) -> None:
        if attrs.atime is None and attrs.mtime is None:
            return
        info = os.stat(target) if isinstance(target, int) else os.lstat(target)
        times = (
            info.st_atime if attrs.atime is None else attrs.atime,
            info.st_mtime if attrs.mtime is None else attrs.mtime,
        )
        if isinstance(target, int):
            os.utime(target, times)
        else:
            os.utime(target, times, follow_symlinks=False)

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        parts = self._parts(path)
        self._check_attrs(parts, attrs)
        self._lstat(parts)
        self._set_times(self._local(parts), attrs)

    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self.setstat(path, attrs)

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        opened = self._open_file(file_obj)
        self._check_attrs((INBOX, "file"), attrs)
        self._set_times(opened.fd, attrs)

    # ------------------------------------------------------------------ removing

    async def remove(self, path: bytes) -> None:
        parts, local = self._file(path)
        await self._require_admin("/".join(parts))
        self._lstat(parts)
        os.unlink(local)
        self._report("sftp.remove", parts[1], "ok", parts[0])

    # ------------------------------------------------------------------ never

    def _never(self, what: str, path: bytes = b"") -> asyncssh.SFTPError:
        shown = path.decode("utf-8", "replace")[:120]
        self._report("sftp.refused", shown, "refused", what)
        return _denied(_("{what} is not offered: only files in inbox/ and outbox/.", what=what))

    def open56(
        self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs
    ) -> object:
        raise self._never("open (SFTP v5)", path)

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        raise self._never("mkdir", path)

    def rmdir(self, path: bytes) -> None:
        raise self._never("rmdir", path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        raise self._never("rename", oldpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        raise self._never("rename", oldpath)

    def readlink(self, path: bytes) -> bytes:
        raise self._never("readlink", path)

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise self._never("symlink", newpath)

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise self._never("link", newpath)

    def lock(self, file_obj: object, offset: int, length: int, flags: int) -> None:
        raise self._never("lock")

    def unlock(self, file_obj: object, offset: int, length: int) -> None:
        raise self._never("unlock")

    def statvfs(self, path: bytes) -> os.statvfs_result:
        raise self._never("statvfs", path)

    def fstatvfs(self, file_obj: object) -> os.statvfs_result:
        raise self._never("statvfs")

    def exit(self) -> None:
        """The session ended: uploads left open were not finished, and go."""
        for upload in list(self._uploads):
            self._fail(upload, "connection ended halfway")
            with contextlib.suppress(OSError):
                os.close(upload.fd)
        self._uploads.clear()
        self._report("sftp.session", "", "ok", "end")


SftpFactory = Callable[[asyncssh.SSHServerChannel[bytes]], ExchangeSFTP]


class SessionChannel(asyncssh.SSHServerSession[bytes]):
    """A session channel: the app on a pty (:class:`PtySession`), or, when an administrator
    asks for the ``sftp`` subsystem, asyncssh's SFTP server over :class:`ExchangeSFTP`.

    asyncssh's own ``sftp_factory`` would take every session channel away from
    ``session_requested``; this keeps the one channel, the pty app's refusals (exec, every
    other subsystem) and the session cap, and switches only for ``sftp``. ``sftp`` is None for
    a user who gets no SFTP: ``on_refused("sftp")`` then logs and audits the refusal.
    """

    def __init__(
        self, pty: PtySession, sftp: SftpFactory | None, on_refused: Callable[[str], None]
    ) -> None:
        self._pty = pty
        self._sftp_factory = sftp
        self._on_refused = on_refused
        self._chan: asyncssh.SSHServerChannel[bytes] | None = None
        self._stream: SSHServerStreamSession[bytes] | None = None
        self._server: ExchangeSFTP | None = None

    @property
    def _active(self) -> asyncssh.SSHServerSession[bytes]:
        return self._stream if self._stream is not None else self._pty

    def _made_server(self, chan: SSHChannel[bytes]) -> asyncssh.SFTPServer:
        assert self._server is not None
        return self._server

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:  # type: ignore[override]
        self._chan = chan
        self._pty.connection_made(chan)

    def subsystem_requested(self, subsystem: str) -> bool:
        if subsystem != "sftp" or self._stream is not None:
            return self._pty.subsystem_requested(subsystem)
        if self._sftp_factory is None:
            self._on_refused("sftp")
            return False
        assert self._chan is not None
        try:
            self._server = self._sftp_factory(self._chan)
        except (ExchangeRefused, OSError):  # the folder is a link, or cannot be made
            self._on_refused("sftp-folder")
            return False
        self._stream = SSHServerStreamSession(None, self._made_server, SFTP_VERSION)
        self._stream.connection_made(self._chan)  # type: ignore[arg-type]
        return self._stream.subsystem_requested(subsystem)

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Mapping[int, int]
    ) -> bool:
        return self._active.pty_requested(term_type, term_size, term_modes)

    def shell_requested(self) -> bool:
        return self._active.shell_requested()

    def exec_requested(self, command: str) -> bool:
        return self._pty.exec_requested(command)  # refused, whatever the channel became

    def session_started(self) -> None:
        self._active.session_started()

    def data_received(self, data: bytes, datatype: int | None) -> None:
        self._active.data_received(data, datatype)

    def eof_received(self) -> bool:
        if self._server is not None:
            self._server.ended = True
        return bool(self._active.eof_received())

    def soft_eof_received(self) -> None:
        self._active.soft_eof_received()

    def break_received(self, msec: int) -> bool:
        return self._pty.break_received(msec)

    def signal_received(self, signal: str) -> None:
        self._pty.signal_received(signal)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self._active.terminal_size_changed(width, height, pixwidth, pixheight)

    def pause_writing(self) -> None:
        self._active.pause_writing()

    def resume_writing(self) -> None:
        self._active.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._server is not None:
            self._server.ended = True
        if self._stream is not None:
            self._stream.connection_lost(exc)
        self._pty.connection_lost(exc)  # ends the session's place in the caps
