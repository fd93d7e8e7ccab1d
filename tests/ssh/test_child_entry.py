"""The session's child entry re-checks what the server handed it; without a hand-over it
does nothing."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.config import Config
from gosocket_tui.services import auth, ssh_keys
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.ssh.handoff import Handoff, encode_handoff
from tests.terminal import open_terminal, read_until

CHILD = [sys.executable, "-m", "gosocket_tui.cli.ssh_session"]


def _run_child(handoff: bytes | None, tmp_path: Path) -> tuple[int, bytes]:
    """The child on a real pty, fed ``handoff`` on a pipe; its exit status and what it said."""
    controller, terminal = open_terminal()
    args = list(CHILD)
    fds: tuple[int, ...] = ()
    write_end = -1
    if handoff is not None:
        read_end, write_end = os.pipe()
        args.append(str(read_end))
        fds = (read_end,)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    process = subprocess.Popen(
        args,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        pass_fds=fds,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    for fd in fds:
        os.close(fd)
    if write_end >= 0:  # written as the server does, after the start (it may exceed the pipe)
        writer = threading.Thread(target=_write_all, args=(write_end, handoff or b""))
        writer.start()
    try:
        said = read_until(controller, b"\n", 60)
        return process.wait(timeout=60), said
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
        if write_end >= 0:
            writer.join(timeout=10)


def _write_all(fd: int, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError), os.fdopen(fd, "wb") as pipe:
        pipe.write(data)


def _handoff(config: Config, session: Session, key: str, tmp_path: Path) -> bytes:
    flags = {"db": config.db, "lang": "en"}
    return encode_handoff(Handoff(session, key, flags, tmp_path / "missing.toml"))


NO_SESSION = b'{"session": null, "key_fingerprint": "SHA256:x", "mode": "app"}'


@pytest.mark.parametrize(
    "handoff", [None, b"", b"{not json", b'{"session": {}}', b"x" * 70_000, NO_SESSION]
)
def test_without_a_hand_over_nothing_starts(handoff: bytes | None, tmp_path: Path) -> None:
    code, said = _run_child(handoff, tmp_path)
    assert code == 2
    assert said.strip() == b"This program is started by gosocket-tui serve."


@pytest.mark.slow
def test_a_hand_over_with_a_key_that_is_not_the_users_is_refused(
    config: Config, admin: Session, tmp_path: Path
) -> None:
    stranger = asyncssh.generate_private_key("ssh-ed25519").get_fingerprint("sha256")
    code, said = _run_child(_handoff(config, admin, stranger, tmp_path), tmp_path)
    assert code == 1
    assert b"Your key is no longer valid." in said


@pytest.mark.slow
def test_a_hand_over_for_a_disabled_user_is_refused(
    config: Config, ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    ssh_keys.add_key(ctx, "ana", key.export_public_key().decode())
    auth.set_user_active(ctx, "ana", False)
    code, said = _run_child(
        _handoff(config, admin, key.get_fingerprint("sha256"), tmp_path), tmp_path
    )
    assert code == 1
    assert b"no longer active" in said


@pytest.mark.slow
def test_a_command_hand_over_for_a_disabled_user_is_refused_in_one_plain_line(
    config: Config, ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    """A command on pipes (``ssh host suppliers list``): re-checked like the app, and its one
    line ends as a script expects, without a carriage return."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    ssh_keys.add_key(ctx, "ana", key.export_public_key().decode())
    auth.set_user_active(ctx, "ana", False)
    flags = {"db": config.db, "lang": "en"}
    handoff = Handoff(
        admin,
        key.get_fingerprint("sha256"),
        flags,
        tmp_path / "missing.toml",
        "exec",
        ["suppliers", "list"],
    )
    read_end, write_end = os.pipe()
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [*CHILD, str(read_end)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(read_end,),
        env=env,
        start_new_session=True,
    )
    os.close(read_end)
    _write_all(write_end, encode_handoff(handoff))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert out == b""
    assert err.endswith(b"Please log in again.\n") and b"\r" not in err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("public_key", "said"),
    [
        ("", b"Give one SSH public key line"),
        ("ssh-ed25519 AAAA\x1b[31m", b"control characters"),
        (None, b"This key is already registered."),
    ],
)
def test_an_activation_hand_over_checks_its_key_first(
    config: Config,
    ctx: ServiceContext,
    buyers: object,
    tmp_path: Path,
    public_key: str | None,
    said: bytes,
) -> None:
    """An activation has nobody logged in: the child checks the key it was handed, as
    ``user key add`` would, and a key that already logs someone in is told so at once."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    line = key.export_public_key().decode().strip()
    if public_key is None:
        ssh_keys.add_key(ctx, "ana", line)
    handoff = Handoff(
        None,
        key.get_fingerprint("sha256"),
        {"db": config.db, "lang": "en"},
        tmp_path / "missing.toml",
        mode="activate",
        public_key=line if public_key is None else public_key,
    )
    code, output = _run_child(encode_handoff(handoff), tmp_path)
    assert code == 1
    assert said in output
    assert b"ana" not in output
