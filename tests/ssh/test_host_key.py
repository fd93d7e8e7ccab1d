"""The host key: made once, private to its owner, refused when others could read it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.errors import UserError
from gosocket_tui.ssh.host_key import fingerprint, load_host_key


def test_the_key_is_made_on_first_use_as_a_private_ed25519_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ssh_host_ed25519_key"
    key = load_host_key(path)
    assert key.algorithm == b"ssh-ed25519"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert fingerprint(key).startswith("SHA256:")
    assert fingerprint(load_host_key(path)) == fingerprint(key)  # kept, never replaced
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_no_key_yet_is_said_without_making_one(tmp_path: Path) -> None:
    path = tmp_path / "ssh_host_ed25519_key"
    with pytest.raises(UserError, match="No host key yet"):
        load_host_key(path, create=False)
    assert not path.exists()


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ssh_host_ed25519_key"
    load_host_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(UserError, match="chmod 600"):
        load_host_key(path)


def test_a_damaged_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ssh_host_ed25519_key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"-----BEGIN OPENSSH PRIVATE KEY-----\nhalf")
    os.close(fd)
    with pytest.raises(UserError, match="damaged"):
        load_host_key(path)


def test_a_symlink_in_place_of_the_key_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    real.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    real.chmod(0o600)
    path = tmp_path / "ssh_host_ed25519_key"
    path.symlink_to(real)
    with pytest.raises(UserError, match="not a regular file"):
        load_host_key(path)
