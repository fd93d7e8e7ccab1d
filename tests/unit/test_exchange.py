"""The exchange folder (services/exchange.py): a remote session's only files."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.exchange import (
    ExchangeFolder,
    ExchangeRefused,
    FilePlace,
    check_name,
    fetch_command,
    files_for,
    is_remote_environment,
)
from gosocket_tui.services.session import Session

HOSTILE_NAMES = [
    "",
    "   ",
    "../x.csv",
    "..",
    ".",
    "/etc/passwd",
    "sub/x.csv",
    "..\\x.csv",
    ".hidden.csv",
    ".ssh",
    "x\x1b]0;pwned\x07.csv",
    "x\u202ecsv.exe",
    "x\u009b.csv",
    "x\x00.csv",
    "a" * 121,
    "ñ" * 121,
    "\ud800.csv",
]


def place(ctx: ServiceContext, session: Session) -> ExchangeFolder:
    files = files_for(ctx.config, session.company_id, remote=True)
    assert isinstance(files, ExchangeFolder)
    return files


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_only_plain_file_names_are_accepted(name: str) -> None:
    with pytest.raises(ExchangeRefused):
        check_name(name)


def test_each_company_has_its_own_private_folder(
    ctx: ServiceContext, admin: Session, other_admin: Session, tmp_path: Path
) -> None:
    mine, theirs = place(ctx, admin), place(ctx, other_admin)
    assert mine.folder != theirs.folder
    assert mine.folder.parent == theirs.folder.parent == tmp_path / "exchange"
    mine.ensure()
    (mine.inbox / "report.csv").write_text("mine\n")
    assert stat.S_IMODE(os.stat(mine.folder).st_mode) == 0o700
    assert mine.names() == ["report.csv"]
    assert theirs.names() == []
    with pytest.raises(ExchangeRefused):  # not in B's folder, and no way to name A's
        theirs.source("report.csv")
    with pytest.raises(ExchangeRefused):
        theirs.source(f"../../{mine.folder.name}/inbox/report.csv")


def test_a_write_never_replaces_an_existing_file(ctx: ServiceContext, admin: Session) -> None:
    files = place(ctx, admin)
    with files.output("trail.csv") as out:
        out.path.write_text("first\n")
    with files.output("trail.csv") as again:
        again.path.write_text("second\n")
    assert again.final.name == "trail-2.csv"
    # A file that appears while the export runs is not replaced either.
    with files.output("late.csv") as late:
        late.path.write_text("ours\n")
        (files.outbox / "late.csv").write_text("theirs\n")
    assert late.final.name == "late-2.csv"
    assert (files.outbox / "trail.csv").read_text() == "first\n"
    assert (files.outbox / "late.csv").read_text() == "theirs\n"
    assert sorted(os.listdir(files.outbox)) == [  # no staging left
        "late-2.csv",
        "late.csv",
        "trail-2.csv",
        "trail.csv",
    ]


def test_links_are_never_followed(ctx: ServiceContext, admin: Session, tmp_path: Path) -> None:
    files = place(ctx, admin)
    files.ensure()
    outside = tmp_path / "config.toml"
    outside.write_text("db = 'x'\n")
    (files.inbox / "config.csv").symlink_to(outside)
    with pytest.raises(ExchangeRefused, match="not a regular file"):
        files.source("config.csv")
    assert outside.read_text() == "db = 'x'\n"
    assert files.names() == []  # a link is not offered either


def test_a_folder_that_is_a_link_is_refused(
    ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    files = place(ctx, admin)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    files.folder.parent.mkdir(parents=True)
    files.folder.symlink_to(elsewhere)
    with pytest.raises(ExchangeRefused), files.output("x.csv") as out:
        out.path.write_text("x")
    assert list(elsewhere.iterdir()) == []


def test_locally_the_users_own_paths_stay_allowed(
    ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    files = files_for(ctx.config, admin.company_id, remote=False)
    assert type(files) is FilePlace and not files.confined
    target = tmp_path / "mine" / "trail.csv"
    target.parent.mkdir()
    with files.output(str(target)) as out:
        out.path.write_text("x\n")
    assert target.read_text() == "x\n"
    assert files.source(str(target)) == target


def test_remote_is_detected_from_ssh_connection() -> None:
    assert is_remote_environment({"SSH_CONNECTION": "192.0.2.1 5000 192.0.2.2 22"})
    assert not is_remote_environment({})


def test_names_nobody_could_type_back_are_not_offered(ctx: ServiceContext, admin: Session) -> None:
    """A file brought in with an ESC, a bidi override or bytes that are not UTF-8 in its name
    (SFTP takes any name) is never listed: it could not be opened by name, and its name
    would reach the screen."""
    files = place(ctx, admin)
    folder = files.ensure() / "inbox"
    for raw in (b"esc\x1b]0;x\x07.csv", "rtl\u202egpj.csv".encode(), b"latin\xf1.csv", b"ok.csv"):
        with open(os.path.join(os.fsencode(folder), raw), "wb") as fh:
            fh.write(b"x\n")
    assert files.names() == ["ok.csv"]


def test_the_folder_has_an_inbox_and_an_outbox(ctx: ServiceContext, admin: Session) -> None:
    """Files come in through ``inbox/`` (the bulk import lists and reads only there) and go
    out through ``outbox/`` (every export); both private to the service."""
    files = place(ctx, admin)
    files.ensure()
    for sub in ("inbox", "outbox"):
        assert stat.S_IMODE(os.lstat(files.folder / sub).st_mode) == 0o700
    (files.folder / "inbox" / "suppliers.csv").write_text("x\n")
    (files.folder / "outbox" / "old-export.csv").write_text("x\n")
    assert files.names() == ["suppliers.csv"]
    assert files.source("suppliers.csv") == files.folder / "inbox" / "suppliers.csv"
    with pytest.raises(ExchangeRefused):
        files.source("old-export.csv")
    with files.output("trail.csv") as out:
        out.path.write_text("t\n")
    assert out.final == files.folder / "outbox" / "trail.csv"
    assert stat.S_IMODE(os.stat(out.final).st_mode) == 0o600


def test_a_taken_name_gets_a_free_one_instead_of_a_refusal(
    ctx: ServiceContext, admin: Session
) -> None:
    """The user never retypes a name: ``trail.csv`` taken becomes ``trail-2.csv``, then
    ``trail-3.csv`` (a suffix without spaces, so the ``sftp`` line needs no quoting)."""
    files = place(ctx, admin)
    finals = []
    for content in ("one\n", "two\n", "three\n"):
        with files.output("trail.csv") as out:
            out.path.write_text(content)
        finals.append(out.final.name)
    assert finals == ["trail.csv", "trail-2.csv", "trail-3.csv"]
    assert (files.outbox / "trail.csv").read_text() == "one\n"
    assert sorted(os.listdir(files.outbox)) == ["trail-2.csv", "trail-3.csv", "trail.csv"]


def test_a_link_in_the_outbox_is_never_written_through(
    ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    files = place(ctx, admin)
    files.ensure()
    outside = tmp_path / "config.toml"
    outside.write_text("db = 'x'\n")
    (files.outbox / "config.csv").symlink_to(outside)
    with files.output("config.csv") as out:
        out.path.write_text("ours\n")
    assert out.final.name == "config-2.csv"
    assert outside.read_text() == "db = 'x'\n"
    assert os.path.islink(files.outbox / "config.csv")


def test_usage_counts_every_file_of_the_company(ctx: ServiceContext, admin: Session) -> None:
    files = place(ctx, admin)
    files.ensure()
    (files.inbox / "a.csv").write_bytes(b"x" * 10)
    (files.outbox / "b.csv").write_bytes(b"y" * 5)
    assert files.usage() == (15, 2)


def test_the_fetch_line_names_the_outbox_file() -> None:
    assert (
        fetch_command("ana", "gosocket.example.com", 2222, "trail-2.csv")
        == "sftp -P 2222 ana@gosocket.example.com:outbox/trail-2.csv ."
    )
    assert fetch_command("ana", "::1", 22, "t.csv") == "sftp -P 22 'ana@[::1]:outbox/t.csv' ."
    line = fetch_command("ana", "h", 2222, "my report; rm.csv")
    assert line == "sftp -P 2222 'ana@h:outbox/my\\ report;\\ rm.csv' ."


def test_parts_left_by_a_kill_halfway_are_swept_after_a_day(
    ctx: ServiceContext, admin: Session
) -> None:
    """A hidden staging file whose writer was killed counts against the quotas and no client
    can name it: after a day untouched (a live upload writes on), the folder sweeps it."""
    files = place(ctx, admin)
    files.ensure()
    old = files.inbox / ".0123456789abcdef.part"
    old.write_bytes(b"x" * 100)
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    fresh = files.outbox / ".fedcba9876543210.part"
    fresh.write_bytes(b"y" * 10)
    assert files.usage() == (110, 2)
    files.sweep()
    assert not old.exists() and fresh.exists()
    assert files.usage() == (10, 1)
