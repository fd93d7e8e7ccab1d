"""Everything but a shell on a pty, or an allowed command, by a registered key is refused,
and said so in the log.

A security test: :data:`REQUESTS` must classify every request asyncssh can hand the server.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.db.models import AuditEvent
from gosocket_tui.ssh.launcher import PtySession
from gosocket_tui.ssh.server import REQUESTS, AppServer
from tests.ssh.conftest import Served, read_until

pytestmark = pytest.mark.slow


def _public_methods(cls: type) -> set[str]:
    return {
        name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")
    }


def test_every_request_the_server_can_get_is_classified() -> None:
    asked = _public_methods(asyncssh.SSHServer) | _public_methods(asyncssh.SSHServerSession)
    assert asked - set(REQUESTS) == set(), "classify the new request in ssh/server.py REQUESTS"
    assert set(REQUESTS) - asked == set(), "REQUESTS names a request asyncssh no longer has"
    assert set(REQUESTS.values()) <= {"allowed", "refused", "event"}


def test_every_refused_request_is_answered_by_the_server_itself() -> None:
    """Refusals are the server's code, not asyncssh's default of the day."""
    ours = set(vars(AppServer)) | set(vars(PtySession))
    refused = {name for name, answer in REQUESTS.items() if answer == "refused"}
    assert refused - ours == set()


async def test_a_key_not_registered_is_refused(served: Served) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await served.connect("ana", asyncssh.generate_private_key("ssh-ed25519"))
    assert served.lines("ssh refused key user='ana'")


async def test_another_users_key_is_refused(served: Served) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await served.connect("ana", served.carlos_key)


async def test_an_unknown_user_is_refused(served: Served) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await served.connect("nadie", served.ana_key)
    assert served.lines("ssh refused key user='nadie'")


async def test_a_password_is_never_asked_for(served: Served) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect(
            "127.0.0.1",
            served.port,
            username="ana",
            password="correct horse battery",
            client_keys=None,
            known_hosts=None,
            agent_path=None,
        )


async def test_keyboard_interactive_is_never_offered(served: Served) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect(
            "127.0.0.1",
            served.port,
            username="ana",
            client_keys=None,
            known_hosts=None,
            agent_path=None,
            preferred_auth="keyboard-interactive",
            kbdint_auth=True,
        )


async def test_a_command_is_never_run(served: Served, tmp_path: Path) -> None:
    """Only the supplier commands run over SSH (tests/ssh/test_exec.py); a shell is refused."""
    pwned = tmp_path / "pwned"
    async with await served.connect() as conn:
        result = await conn.run(f"/bin/sh -c 'touch {pwned}'", check=False)
        assert result.exit_status == 1
        assert "Only these commands run over SSH" in str(result.stderr)
        assert not pwned.exists()
        # The connection still serves the app afterwards: one refusal, nothing else changed.
        process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        await read_until(process.stdout, b"by SSH key")
        process.close()
    assert served.lines("ssh refused exec user='ana'")
    assert (
        AuditEvent.select()
        .where((AuditEvent.action == "ssh.refused") & (AuditEvent.detail == "exec"))
        .exists()
    )


async def test_a_subsystem_is_refused(served: Served) -> None:
    """SFTP is served to administrators only (tests/ssh/test_sftp.py); no other subsystem."""
    async with await served.connect("carlos", served.carlos_key) as conn:
        with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
            await conn.start_sftp_client()
    async with await served.connect() as conn:
        with pytest.raises((asyncssh.ChannelOpenError, asyncssh.ProcessError, OSError)):
            process = await conn.create_process(subsystem="netconf", encoding=None)
            await process.wait(check=True, timeout=10)
    assert served.lines("ssh refused sftp user='carlos'")
    assert served.lines("ssh refused subsystem user='ana'")


async def test_a_session_without_a_terminal_gets_one_line_and_ends(served: Served) -> None:
    async with await served.connect() as conn:
        result = await conn.run(term_type=None, check=False)
    assert result.exit_status == 1
    assert "needs a terminal" in str(result.stdout)


async def test_port_forwarding_is_refused(served: Served) -> None:
    async with await served.connect() as conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", served.port)
        with pytest.raises(asyncssh.ChannelListenError):
            await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 22)
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_unix_connection(asyncssh.SSHUNIXSession, "/run/docker.sock")
    assert served.lines("ssh refused port-forwarding user='ana'")
    assert served.lines("ssh refused remote-forwarding user='ana'")
    assert served.lines("ssh refused unix-forwarding user='ana'")


async def test_knowing_a_public_key_logs_no_one_in(served: Served) -> None:
    """A key offered without a signature (anyone may hold ana's public key) is no login: the
    audit trail records one only after asyncssh verified the signature."""
    server = AppServer(served.endpoint)
    public_only = asyncssh.import_public_key(served.ana_key.export_public_key())
    assert await server.validate_public_key("ana", public_only)  # the key is hers …
    logins = AuditEvent.select().where(
        (AuditEvent.action == "auth.login") & (AuditEvent.outcome == "ok")
    )
    assert logins.count() == 0  # … but nobody logged in with it
    async with await served.connect() as conn:
        await conn.run(term_type=None, check=False)  # served once the login is made
    assert logins.count() == 1  # the real login, once
