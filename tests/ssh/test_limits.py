"""What one client may cost: failed logins per address, session caps, revoked keys, slow logins."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from gosocket_tui.services import auth, ssh_keys
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.ssh.limits import ActivationLimits, FailedLogins, SessionCaps
from gosocket_tui.ssh.server import Limits
from tests.ssh.conftest import Served, read_until


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_failed_logins_block_an_address_for_the_window_only() -> None:
    ticks = Ticks()
    failures = FailedLogins(limit=3, window_seconds=60, clock=ticks)
    for _ in range(3):
        assert not failures.blocked("192.0.2.1")
        failures.failed("192.0.2.1")
    assert failures.blocked("192.0.2.1")
    assert not failures.blocked("192.0.2.2")
    ticks.now = 61
    assert not failures.blocked("192.0.2.1")


def test_session_caps_in_all_and_per_user() -> None:
    caps = SessionCaps(total=3, per_user=2)
    assert caps.try_open("ana") and caps.try_open("ana")
    assert not caps.try_open("ana")
    assert caps.try_open("carlos")
    assert not caps.try_open("lucia")  # the total is reached
    caps.close("ana")
    assert caps.try_open("lucia")
    assert caps.open_count == 3


@pytest.mark.slow
@pytest.mark.parametrize("limits", [Limits(failed_logins=2, key_check_seconds=0.5)])
async def test_an_address_that_keeps_failing_is_turned_away(served: Served) -> None:
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    for _ in range(2):
        with pytest.raises(asyncssh.PermissionDenied):
            await served.connect("ana", stranger)
    # Now even the right key is turned away from this address, for the window.
    with pytest.raises((asyncssh.DisconnectError, asyncssh.PermissionDenied)):
        await served.connect("ana")
    assert served.lines("ssh refused too-many-failures")


@pytest.mark.slow
@pytest.mark.parametrize("limits", [Limits(max_sessions_per_user=1, key_check_seconds=0.5)])
async def test_a_user_over_the_session_cap_is_refused(served: Served) -> None:
    async with await served.connect() as first, await served.connect() as second:
        process = await first.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        await read_until(process.stdout, b"by SSH key")
        with pytest.raises(asyncssh.ChannelOpenError):
            await second.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        process.close()
    assert served.lines("ssh refused session-cap user='ana'")


@pytest.mark.slow
async def test_removing_the_key_ends_the_open_session(served: Served, ctx: ServiceContext) -> None:
    async with await served.connect() as conn:
        process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        await read_until(process.stdout, b"by SSH key")
        fingerprint = served.ana_key.get_fingerprint("sha256")
        await asyncio.to_thread(ssh_keys.remove_key, ctx, "ana", fingerprint)
        await asyncio.wait_for(conn.wait_closed(), 5.0)
    assert served.lines("ssh revoked user='ana'")


@pytest.mark.slow
async def test_disabling_the_user_ends_the_open_session(
    served: Served, ctx: ServiceContext
) -> None:
    async with await served.connect() as conn:
        process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        await read_until(process.stdout, b"by SSH key")
        await asyncio.to_thread(auth.set_user_active, ctx, "ana", False)
        await asyncio.wait_for(conn.wait_closed(), 5.0)


@pytest.mark.slow
@pytest.mark.parametrize("limits", [Limits(login_timeout_seconds=0.5)])
async def test_a_client_that_never_logs_in_is_dropped(served: Served) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(b"SSH-2.0-Slow\r\n")  # and then nothing
    await reader.readline()  # the server's banner
    data = await asyncio.wait_for(reader.read(), 5.0)  # read until the server closes
    assert data is not None
    writer.close()


def test_activation_sessions_per_address_at_once_and_in_a_window() -> None:
    ticks = Ticks()
    limits = ActivationLimits(concurrent=2, per_window=3, window_seconds=60, clock=ticks)
    assert limits.try_open("192.0.2.1") == "" and limits.try_open("192.0.2.1") == ""
    assert limits.try_open("192.0.2.1") == "busy"
    assert limits.try_open("192.0.2.2") == ""  # another address counts on its own
    limits.close("192.0.2.1")
    assert limits.try_open("192.0.2.1") == ""
    limits.close("192.0.2.1")
    assert limits.try_open("192.0.2.1") == "rate"  # three started in the window
    ticks.now = 61
    assert limits.try_open("192.0.2.1") == ""


def test_activation_sessions_in_all_leave_room_for_the_app() -> None:
    """Addresses are cheap to an attacker: activations together get only part of the
    server's sessions, so administrators still get in."""
    limits = ActivationLimits(concurrent=2, per_window=5, total=3)
    assert [limits.try_open(f"192.0.2.{n}") for n in range(1, 5)] == ["", "", "", "full"]
    limits.close("192.0.2.1")
    assert limits.try_open("192.0.2.4") == ""
