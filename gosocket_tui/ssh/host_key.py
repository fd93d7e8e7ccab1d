"""The server's host key: ed25519, made once in the data folder, readable by its owner only.

Clients remember the key on first connection; a new key makes every client warn of a
man-in-the-middle, so it is created once and never replaced behind the operator's back.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import asyncssh
import platformdirs

from gosocket_tui.config import APP_NAME
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _

HOST_KEY_NAME = "ssh_host_ed25519_key"


def default_host_key_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / HOST_KEY_NAME


def fingerprint(key: asyncssh.SSHKey) -> str:
    """``SHA256:…``, the form ``ssh`` shows when it asks whether to trust the host."""
    return str(key.get_fingerprint("sha256"))


def _create(path: Path) -> None:
    """Write a new key under a temporary name (0600 from the start), then link it in place.

    The link fails when another start made the key meanwhile: that key is kept. A kill
    halfway leaves only the temporary file, never a half-written key under the real name.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = asyncssh.generate_private_key("ssh-ed25519")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.export_private_key())
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another start made it: keep that one
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_host_key(path: Path | None = None, *, create: bool = True) -> asyncssh.SSHKey:
    """The host key at ``path`` (default: the data folder), created on first use.

    Refused when others may read it: a host key anyone can copy lets them pose as the server.
    """
    path = path or default_host_key_path()
    if not path.exists():
        if not create:
            raise UserError(_("No host key yet: start the server once to create it."))
        _create(path)
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise UserError(_("The host key {path} is not a regular file.", path=str(path)))
    if info.st_mode & 0o077:
        raise UserError(
            _(
                "The host key {path} can be read by other users; make it private with chmod 600.",
                path=str(path),
            )
        )
    try:
        return asyncssh.read_private_key(path)
    except (asyncssh.KeyImportError, ValueError):
        raise UserError(_("The host key {path} is damaged.", path=str(path))) from None
