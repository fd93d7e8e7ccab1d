"""File exchange over SFTP: an administrator's SFTP session is their company's exchange
folder, nothing else (``ssh/sftp.py``).

A real asyncssh server and client on loopback (``served``), real files in ``tmp_path``.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import stat
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.config import Config, load_config, with_overrides
from gosocket_tui.db.models import AuditEvent, User
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.exchange import (
    ExchangeFolder,
    company_folder_name,
    fetch_command,
    files_for,
)
from gosocket_tui.services.session import Session
from gosocket_tui.ssh.host_key import fingerprint
from gosocket_tui.ssh.server import REQUESTS
from gosocket_tui.ssh.sftp import SFTP_REQUESTS, ExchangeSFTP, SessionChannel
from tests.ssh.conftest import Served, read_until
from tests.terminal import ssh_argv

pytestmark = pytest.mark.slow

QUOTA_BYTES = 64 * 1024
QUOTA_FILES = 4
CSV = b"tax_id,name,email,notify\n76.086.428-5,Comercial Andes,a@example.com,0\n"


@pytest.fixture
def config(config: Config) -> Config:
    """Small quotas, so that a test can reach them."""
    return with_overrides(config, exchange_max_bytes=QUOTA_BYTES, exchange_max_files=QUOTA_FILES)


@pytest.fixture
def folder(ctx: ServiceContext, admin: Session) -> ExchangeFolder:
    files = files_for(ctx.config, admin.company_id, remote=True)
    assert isinstance(files, ExchangeFolder)
    files.ensure()
    return files


@pytest.fixture
async def sftp(served: Served) -> AsyncIterator[asyncssh.SFTPClient]:
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        yield client


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.action == action))


async def wait_for_events(served: Served, action: str, count: int = 1) -> list[AuditEvent]:
    """Audit events are written on the server's services thread: wait for them."""
    await served.endpoint.call(lambda: None)
    found = events(action)
    assert len(found) >= count, f"{action}: {[(e.target, e.detail) for e in found]}"
    return found


# ---------------------------------------------------------------- classification


def test_every_sftp_request_is_classified() -> None:
    """A new SFTPServer method in asyncssh fails here until it is classified (and, when it
    is not a helper, answered by :class:`ExchangeSFTP` itself)."""
    asked = {
        name
        for name, _ in inspect.getmembers(asyncssh.SFTPServer, inspect.isfunction)
        if not name.startswith("_")
    }
    assert asked - set(SFTP_REQUESTS) == set(), "classify it in ssh/sftp.py SFTP_REQUESTS"
    assert set(SFTP_REQUESTS) - asked == set(), "SFTP_REQUESTS names a method asyncssh dropped"
    assert set(SFTP_REQUESTS.values()) <= {"allowed", "refused", "event", "helper"}
    answered = {name for name, answer in SFTP_REQUESTS.items() if answer != "helper"}
    assert answered - set(vars(ExchangeSFTP)) == set()


def test_the_session_channel_answers_every_session_request() -> None:
    session_requests = {
        name
        for name, _ in inspect.getmembers(asyncssh.SSHServerSession, inspect.isfunction)
        if not name.startswith("_")
    }
    assert session_requests <= set(REQUESTS)
    assert session_requests - set(vars(SessionChannel)) == set()


# ---------------------------------------------------------------- in and out


async def test_an_admin_puts_a_csv_into_the_inbox_and_the_bulk_import_lists_it(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    local = tmp_path / "suppliers.csv"
    local.write_bytes(CSV)
    local.chmod(0o644)
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        assert sorted(await client.listdir("/")) == ["inbox", "outbox"]
        await client.put(str(local), "inbox/suppliers.csv")
        assert await client.listdir("inbox") == ["suppliers.csv"]
    written = folder.inbox / "suppliers.csv"
    assert written.read_bytes() == CSV
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert folder.names() == ["suppliers.csv"]
    assert [n for n in os.listdir(folder.inbox) if n.startswith(".")] == []  # no staging left
    put = await wait_for_events(served, "sftp.put")
    assert (put[0].target, put[0].outcome) == ("suppliers.csv", "ok")
    assert fingerprint(served.ana_key) in put[0].detail
    assert served.lines("ssh sftp put user='ana'")


async def test_an_export_is_fetched_from_the_outbox_and_removed(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    with folder.output("trail.csv") as out:
        out.path.write_text("time_utc,action\n")
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        assert await client.listdir("outbox") == ["trail.csv"]
        await client.get("outbox/trail.csv", str(tmp_path / "trail.csv"))
        with pytest.raises(asyncssh.SFTPError):  # the outbox is the app's: read and remove
            await client.put(str(tmp_path / "trail.csv"), "outbox/mine.csv")
        await client.remove("outbox/trail.csv")
    assert (tmp_path / "trail.csv").read_text() == "time_utc,action\n"
    assert os.listdir(folder.outbox) == []
    await wait_for_events(served, "sftp.get")
    await wait_for_events(served, "sftp.remove")
    assert served.lines("ssh sftp get user='ana'")


async def test_an_upload_never_replaces_a_file(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    (folder.inbox / "suppliers.csv").write_bytes(b"theirs\n")
    local = tmp_path / "suppliers.csv"
    local.write_bytes(CSV)
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        with pytest.raises(asyncssh.SFTPError):
            await client.put(str(local), "inbox/suppliers.csv")
    assert (folder.inbox / "suppliers.csv").read_bytes() == b"theirs\n"


# ---------------------------------------------------------------- confinement


async def test_paths_out_of_the_folder_are_refused(
    served: Served, folder: ExchangeFolder, other_admin: Session, tmp_path: Path
) -> None:
    theirs = folder.folder.parent / company_folder_name(other_admin.company_id) / "inbox"
    theirs.mkdir(parents=True)
    (theirs / "secret.csv").write_bytes(b"theirs\n")
    outside = tmp_path / "config.toml"
    outside.write_text("db = 'keep me'\n")
    local = tmp_path / "x.csv"
    local.write_bytes(CSV)
    hostile = [
        "../x.csv",
        "inbox/../../x.csv",
        "/etc/passwd",
        str(outside),
        str(theirs / "secret.csv"),
        f"../{theirs.parent.name}/inbox/secret.csv",
        f"/../{theirs.parent.name}/inbox/secret.csv",
        "inbox/.hidden.csv",
        "inbox/sub/x.csv",
        "elsewhere/x.csv",
        "inbox/esc\x1b]0;x\x07.csv",
        "inbox/ padded.csv",
        "inbox/rtl\u202egpj.csv",
    ]
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        for path in hostile:
            with pytest.raises((asyncssh.SFTPError, OSError)):
                await client.get(path, str(tmp_path / "got"))
            with pytest.raises((asyncssh.SFTPError, OSError)):
                await client.put(str(local), path)
            with pytest.raises(asyncssh.SFTPError):
                await client.listdir(path)
            with pytest.raises(asyncssh.SFTPError):
                await client.remove(path)
        assert await client.realpath("..") == "/"  # the root is the company's folder
        with pytest.raises(asyncssh.SFTPError):
            await client.mkdir("inbox/sub")
        with pytest.raises(asyncssh.SFTPError):
            await client.rename("outbox", "inbox/x")
    assert not (tmp_path / "got").exists()
    assert (theirs / "secret.csv").read_bytes() == b"theirs\n"
    assert outside.read_text() == "db = 'keep me'\n"
    assert os.listdir(folder.inbox) == [] and os.listdir(folder.outbox) == []


async def test_links_are_neither_made_nor_followed(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    outside = tmp_path / "config.toml"
    outside.write_text("db = 'keep me'\n")
    (folder.outbox / "config.csv").symlink_to(outside)  # placed on the server, not by SFTP
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        for target in (str(outside), "/inbox", "../x", "outbox/config.csv"):
            with pytest.raises(asyncssh.SFTPError):
                await client.symlink(target, "inbox/link.csv")
            with pytest.raises(asyncssh.SFTPError):
                await client.link("outbox/config.csv", "inbox/hard.csv")
        assert await client.listdir("outbox") == []  # a link is not listed
        with pytest.raises(asyncssh.SFTPError):
            await client.get("outbox/config.csv", str(tmp_path / "got"))
        with pytest.raises(asyncssh.SFTPError):
            await client.readlink("outbox/config.csv")
        with pytest.raises(asyncssh.SFTPError):
            await client.stat("outbox/config.csv")
    assert not (tmp_path / "got").exists()
    assert sorted(os.listdir(folder.inbox)) == []


async def test_modes_other_than_0600_are_refused(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    local = tmp_path / "suppliers.csv"
    local.write_bytes(CSV)
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        await client.put(str(local), "inbox/suppliers.csv")
        for mode in (0o644, 0o666, 0o4755, 0o700):
            with pytest.raises(asyncssh.SFTPError):
                await client.chmod("inbox/suppliers.csv", mode)
        with pytest.raises(asyncssh.SFTPError):
            await client.chmod("inbox", 0o777)
        with pytest.raises(asyncssh.SFTPError):
            await client.truncate("inbox/suppliers.csv", 10**9)
        await client.chmod("inbox/suppliers.csv", 0o600)
    assert stat.S_IMODE((folder.inbox / "suppliers.csv").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.inbox.stat().st_mode) == 0o700
    assert (folder.inbox / "suppliers.csv").stat().st_size == len(CSV)


# ---------------------------------------------------------------- quotas


async def test_the_size_quota_stops_a_write_halfway_and_removes_it(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    (folder.outbox / "export.csv").write_bytes(b"x" * (QUOTA_BYTES // 2))
    big = tmp_path / "big.csv"
    big.write_bytes(b"y" * QUOTA_BYTES)
    small = tmp_path / "small.csv"
    small.write_bytes(b"z" * (QUOTA_BYTES // 4))
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        with pytest.raises(asyncssh.SFTPError, match="Quota exceeded"):
            await client.put(str(big), "inbox/big.csv", block_size=4096)
        assert await client.listdir("inbox") == []
        await client.put(str(small), "inbox/small.csv")  # what fits still goes in
    assert sorted(os.listdir(folder.inbox)) == ["small.csv"]  # no partial file, no staging
    refused = await wait_for_events(served, "sftp.put")
    assert any(e.target == "big.csv" and e.outcome == "refused" for e in refused)


async def test_the_file_count_quota_refuses_one_more_file(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    for number in range(QUOTA_FILES - 1):
        (folder.outbox / f"export-{number}.csv").write_bytes(b"x")
    local = tmp_path / "s.csv"
    local.write_bytes(CSV)
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        await client.put(str(local), "inbox/last.csv")
        with pytest.raises(asyncssh.SFTPError, match="Quota exceeded"):
            await client.put(str(local), "inbox/one-more.csv")
        await client.remove("outbox/export-0.csv")  # room again
        await client.put(str(local), "inbox/one-more.csv")
    assert sorted(os.listdir(folder.inbox)) == ["last.csv", "one-more.csv"]


async def test_a_connection_lost_halfway_leaves_no_file(
    served: Served, folder: ExchangeFolder
) -> None:
    conn = await served.connect()
    client = await conn.start_sftp_client()
    remote = await client.open("inbox/half.csv", "wb")
    await remote.write(b"tax_id,name\n" * 100)
    conn.abort()
    for _ in range(100):
        await served.endpoint.call(lambda: None)
        if not os.listdir(folder.inbox):
            break
        await asyncio.sleep(0.05)
    assert os.listdir(folder.inbox) == []
    await wait_for_events(served, "sftp.put")


# ---------------------------------------------------------------- who


async def test_a_non_administrator_gets_no_sftp(served: Served) -> None:
    async with await served.connect("carlos", served.carlos_key) as conn:
        with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
            await conn.start_sftp_client()
    assert served.lines("ssh refused sftp user='carlos'")
    refused = await wait_for_events(served, "ssh.refused")
    assert any(e.detail == "sftp" for e in refused)


async def test_other_subsystems_and_the_app_still_behave(served: Served) -> None:
    async with await served.connect() as conn:
        with pytest.raises((asyncssh.ChannelOpenError, asyncssh.ProcessError, OSError)):
            process = await conn.create_process(subsystem="netconf", encoding=None)
            await process.wait(check=True, timeout=10)
        process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
        await read_until(process.stdout, b"by SSH key")
        process.close()
    assert served.lines("ssh refused subsystem user='ana'")


async def test_a_session_is_handed_the_address_its_client_reached(
    served: Served, admin: Session, tmp_path: Path
) -> None:
    """The session's child learns where its client reached the server (configured
    ``sftp_host``/``sftp_port`` first): its exports show a ``sftp`` line that works."""
    async with await served.connect():
        (conn,) = served.endpoint.connections
        flags = conn.get_owner()._sftp_address()  # type: ignore[attr-defined]
    assert flags == {"sftp_host": "127.0.0.1", "sftp_port": served.port}
    child = load_config(flags, env={}, config_path=tmp_path / "none.toml")
    files = files_for(child, admin.company_id, remote=True, username="ana")
    assert files.fetch_hint("trail.csv") == (
        f"sftp -P {served.port} ana@127.0.0.1:outbox/trail.csv ."
    )


@pytest.mark.skipif(shutil.which("sftp") is None, reason="no OpenSSH sftp client here")
@pytest.mark.parametrize("name", ["trail-2.csv", "my report (2); $(id).csv"])
async def test_the_fetch_line_works_in_a_shell_with_openssh_sftp(
    served: Served, folder: ExchangeFolder, tmp_path: Path, name: str
) -> None:
    """The line an export's notice shows, pasted into a shell, fetches that very file."""
    (folder.outbox / name).write_text("time_utc,action\n")
    key = tmp_path / "id_ed25519"
    key.write_bytes(served.ana_key.export_private_key())
    key.chmod(0o600)
    line = fetch_command("ana", "127.0.0.1", served.port, name)
    options = f"-i {key} -F /dev/null -o StrictHostKeyChecking=no -o BatchMode=yes"
    options += " -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
    down = tmp_path / "down"
    down.mkdir()
    done = await asyncio.to_thread(
        subprocess.run,
        ["/bin/sh", "-c", line.replace("sftp ", f"sftp {options} ", 1)],
        cwd=down,
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert os.listdir(down) == [name]
    assert (down / name).read_text() == "time_utc,action\n"


async def test_a_demoted_administrator_exchanges_no_more_files(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    local = tmp_path / "s.csv"
    local.write_bytes(CSV)
    async with await served.connect() as conn, conn.start_sftp_client() as client:
        await client.put(str(local), "inbox/before.csv")
        User.update(is_admin=False).where(User.username == "ana").execute()
        with pytest.raises(asyncssh.SFTPError, match="Only administrators"):
            await client.put(str(local), "inbox/after.csv")
        with pytest.raises(asyncssh.SFTPError, match="Only administrators"):
            await client.listdir("inbox")
        with pytest.raises(asyncssh.SFTPError, match="Only administrators"):
            await client.remove("inbox/before.csv")
    assert os.listdir(folder.inbox) == ["before.csv"]


@pytest.mark.skipif(shutil.which("sftp") is None, reason="no OpenSSH sftp client here")
async def test_openssh_sftp_puts_lists_gets_and_removes(
    served: Served, folder: ExchangeFolder, tmp_path: Path
) -> None:
    """An administrator's session with OpenSSH's ``sftp``, as the README shows it."""
    key = tmp_path / "id_ed25519"
    key.write_bytes(served.ana_key.export_private_key())
    key.chmod(0o600)
    (tmp_path / "suppliers.csv").write_bytes(CSV)
    (folder.outbox / "trail.csv").write_text("time_utc,action\n")
    steps = {
        "put suppliers.csv inbox/": True,
        "ls -l inbox": True,
        "get outbox/trail.csv fetched.csv": True,
        "rm outbox/trail.csv": True,
        "cd ..": True,
        "pwd": True,
        "put -p suppliers.csv inbox/kept.csv": True,  # -p's mode 0644 is refused, the file kept
        "put suppliers.csv outbox/": False,
        "mkdir inbox/sub": False,
        "ln -s /etc/passwd inbox/passwd": False,
        "chmod 644 inbox/suppliers.csv": False,
        "get /etc/passwd": False,
        "df": False,
    }
    results = {}
    for command in steps:
        batch = tmp_path / "batch"
        batch.write_text(command + "\n")
        argv = ssh_argv(served.port, key, "ana@127.0.0.1")
        argv[0:3] = ["sftp", "-P", str(served.port), "-b", str(batch)]
        done = await asyncio.to_thread(
            subprocess.run, argv, cwd=tmp_path, capture_output=True, timeout=30
        )
        results[command] = done.returncode == 0
    assert results == {command: True for command in steps if steps[command]} | {
        command: False for command in steps if not steps[command]
    }
    assert sorted(os.listdir(folder.inbox)) == ["kept.csv", "suppliers.csv"]
    assert os.listdir(folder.outbox) == []
    assert (tmp_path / "fetched.csv").read_text() == "time_utc,action\n"
    for name in os.listdir(folder.inbox):
        assert stat.S_IMODE((folder.inbox / name).stat().st_mode) == 0o600


async def test_a_folder_that_is_a_link_refuses_the_session(
    served: Served, admin: Session, ctx: ServiceContext, tmp_path: Path
) -> None:
    """The company's folder replaced by a link (on the server) is never served: the SFTP
    request is refused in one piece and the connection still serves the app."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = Path(ctx.config.exchange_dir)
    root.mkdir(parents=True, exist_ok=True)
    (root / company_folder_name(admin.company_id)).symlink_to(elsewhere)
    async with await served.connect() as conn:
        with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
            await asyncio.wait_for(conn.start_sftp_client(), 20)
    assert list(elsewhere.iterdir()) == []
    assert served.lines("ssh refused sftp-folder user='ana'")
