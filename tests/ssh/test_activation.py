"""``ssh activate@host``: any key opens the activation screen, and only it; on success that key
becomes the new user's login. A real server on loopback, a real pty, a real mailed code."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.clock import FixedClock, SystemClock
from gosocket_tui.db.models import AuditEvent, Company, User, UserKey
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import auth, invitations
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.ssh.server import Limits
from tests.conftest import PASSWORD
from tests.invitation_helpers import add_supplier, code_in, deliver
from tests.ssh.conftest import Served, read_until
from tests.terminal import open_terminal, ssh_argv
from tests.terminal import read_until as terminal_read_until

pytestmark = pytest.mark.slow

SCREEN = b"Activate with activation code"
NEW_PASSWORD = b"cafe con leche 2026"
ENTER, TAB, ESCAPE, CTRL_Q = b"\r", b"\t", b"\x1b", b"\x11"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


@pytest.fixture
def code(ctx: ServiceContext, buyers: object, clock: FixedClock, sink: MailSink) -> str:
    """Ana invited Cafés de Colombia; the code from the email. The session's child runs on
    the real clock, so the invitation is made on it too (else the code would have expired).
    Asked for before ``served``: the mail goes out before the server starts."""
    clock.set(SystemClock().now())
    admin = auth.authenticate(ctx, "ana", PASSWORD)
    link_id = add_supplier(ctx, admin)
    assert invitations.invite(ctx, admin, [link_id]).queued
    assert deliver(ctx, sink.port).sent == 1
    return code_in(sink.wait_for(1)[-1])


async def open_activation(
    served: Served, key: asyncssh.SSHKey, username: str = "activate"
) -> tuple[asyncssh.SSHClientConnection, asyncssh.SSHClientProcess[bytes], bytes]:
    conn = await served.connect(username, key)
    process = await conn.create_process(
        term_type="xterm-256color", term_size=(80, 24), encoding=None
    )
    painted = await read_until(process.stdout, SCREEN)
    return conn, process, painted


async def fill_form(process: asyncssh.SSHClientProcess[bytes], code: str) -> None:
    """Type the form as a supplier does: Enter opens a country list, letters find the country,
    Enter chooses it; Enter in a text field moves on and in the last one activates."""
    groups = [
        ENTER,
        b"Colombia",
        ENTER,
        TAB + b"860007386" + ENTER,
        ENTER,
        b"Chile",
        ENTER,
        TAB + b"76.086.428-5" + ENTER,
        code.encode() + ENTER + b"cafe.admin" + ENTER,
        NEW_PASSWORD + ENTER + NEW_PASSWORD + ENTER,
    ]
    for keys in groups:
        process.stdin.write(keys)
        await asyncio.sleep(0.4)


async def ended(process: asyncssh.SSHClientProcess[bytes]) -> int | None:
    await asyncio.wait_for(process.wait_closed(), 10)
    return process.exit_status


# ``Activate`` too, as usernames compare; Escape and Ctrl+Q both end the session.
@pytest.mark.parametrize(("username", "leave"), [("activate", ESCAPE), ("Activate", CTRL_Q)])
async def test_any_key_opens_only_the_activation_screen_and_escape_ends_it(
    served: Served, username: str, leave: bytes
) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    conn, process, painted = await open_activation(served, key, username)
    async with conn:
        assert b"Log in" not in painted and b"Network" not in painted  # no login, no shell
        process.stdin.write(leave)
        assert await ended(process) == 1  # left without activating
    fingerprint = key.get_fingerprint("sha256")
    assert served.lines(f"ssh accepted user='activate' key={fingerprint}")
    accepted = AuditEvent.get(
        (AuditEvent.action == "ssh.activate") & AuditEvent.detail.startswith("accepted")
    )
    assert accepted.outcome == "ok" and fingerprint in accepted.detail
    assert not UserKey.select().where(UserKey.fingerprint == fingerprint).exists()
    assert not served.lines("ssh closed before login")  # no failed login for the address


async def test_activating_registers_the_key_and_it_logs_the_new_user_in(
    code: str, served: Served
) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    conn, process, _ = await open_activation(served, key)
    async with conn:
        await fill_form(process, code)
        painted = await read_until(
            process.stdout, f"ssh -p {served.port} cafe.admin@127.0.0.1".encode()
        )
        # In the invitation's language from the accepted code on: the Colombian supplier's Spanish.
        assert "ya está registrado".encode() in painted
        process.stdin.write(ENTER)  # Close: the session ends
        assert await ended(process) == 0
    # The child's status told the server the supplier was registered.
    await asyncio.sleep(0.2)
    assert served.lines("not-activated") == [] and served.lines("activated")
    user = User.get(User.username == "cafe.admin")
    (row,) = UserKey.select().where(UserKey.user == user.id)
    assert row.fingerprint == key.get_fingerprint("sha256")
    assert Company.get_by_id(user.company_id).registered_at is not None

    async with await served.connect("cafe.admin", key) as conn:
        process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        await read_until(process.stdout, b"by SSH key")
        process.close()
    assert served.lines("ssh accepted user='cafe.admin'")


async def test_a_wrong_code_shows_the_error_and_registers_nothing(
    code: str, served: Served
) -> None:
    wrong = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
    key = asyncssh.generate_private_key("ssh-ed25519")
    conn, process, _ = await open_activation(served, key)
    async with conn:
        await fill_form(process, wrong)
        await read_until(process.stdout, b"Invalid or expired activation code.")
        process.close()
    assert not User.select().where(User.username == "cafe.admin").exists()
    assert not UserKey.select().where(UserKey.fingerprint == key.get_fingerprint("sha256")).exists()
    refused = AuditEvent.get(AuditEvent.action == "supplier.activate")
    assert refused.outcome == "failed"


async def test_a_key_that_already_logs_someone_in_is_told_so(served: Served) -> None:
    async with await served.connect("activate", served.ana_key) as conn:
        result = await conn.run(term_type="xterm", term_size=(80, 24), check=False)
    assert result.exit_status == 1
    assert "This key is already registered." in str(result.stdout)
    assert b"ana" not in str(result.stdout).encode()  # whose key it is stays unsaid


async def test_activate_gets_no_command_no_sftp_and_no_forwarding(served: Served) -> None:
    async with await served.connect(
        "activate", asyncssh.generate_private_key("ssh-ed25519")
    ) as conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.run("suppliers list", check=False)
        with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
            await conn.start_sftp_client()
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", served.port)
        with pytest.raises(asyncssh.ChannelListenError):
            await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 22)
    assert served.lines("ssh refused exec user='activate'")
    assert served.lines("ssh refused subsystem user='activate'")
    assert served.lines("ssh refused port-forwarding user='activate'")


@pytest.mark.parametrize(
    "limits",
    [Limits(activation_sessions_per_address=1, activations_per_window=2, key_check_seconds=0.5)],
)
async def test_activation_sessions_are_limited_per_address(served: Served) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    conn, process, _ = await open_activation(served, key)
    async with conn:
        # A second one at the same time from the same address: refused, with why.
        with pytest.raises(asyncssh.ChannelOpenError, match="at once"):
            await conn.create_process(term_type="xterm", term_size=(80, 24))
        process.stdin.write(ESCAPE)
        await ended(process)
        second = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        await read_until(second.stdout, SCREEN)
        second.stdin.write(ESCAPE)
        await ended(second)
        # The window's two are used: a third is refused until the window has passed.
        with pytest.raises(asyncssh.ChannelOpenError, match="try again later"):
            await conn.create_process(term_type="xterm", term_size=(80, 24))
    assert served.lines("ssh refused activation-busy user='activate'")
    assert served.lines("ssh refused activation-rate user='activate'")
    refusals = AuditEvent.select().where(
        (AuditEvent.action == "ssh.activate") & (AuditEvent.outcome == "refused")
    )
    for _ in range(40):  # the server audits in the background
        if refusals.count() == 2:
            break
        await asyncio.sleep(0.05)
    assert refusals.count() == 2


@pytest.mark.skipif(shutil.which("ssh") is None, reason="no OpenSSH client here")
async def test_the_openssh_client_activates_at_80x24_and_escape_ends_it(
    served: Served, tmp_path: Path
) -> None:
    """As a supplier does it: ``ssh -p PORT activate@host`` with a key just made."""
    key_file = tmp_path / "id_ed25519"
    key_file.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    key_file.chmod(0o600)
    controller, terminal = open_terminal(24, 80)
    client = subprocess.Popen(
        ssh_argv(served.port, key_file, "activate@127.0.0.1", "-tt"),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(terminal)
    try:
        await asyncio.to_thread(terminal_read_until, controller, SCREEN, 30)
        os.write(controller, ESCAPE)
        assert await asyncio.to_thread(_drain_until_exit, controller, client) == 1  # not activated
    finally:
        if client.poll() is None:
            client.send_signal(signal.SIGKILL)
            await asyncio.to_thread(client.wait, 10)
        os.close(controller)


def _drain_until_exit(controller: int, client: subprocess.Popen[bytes]) -> int | None:
    """Read what the client prints (a full pty would stop it) until it exits, 15 s at most."""
    deadline = time.monotonic() + 15
    while client.poll() is None and time.monotonic() < deadline:
        if select.select([controller], [], [], 0.2)[0]:
            with contextlib.suppress(OSError):
                os.read(controller, 65536)
    return client.poll()
