"""The exchange folder (services/exchange.py): a remote session's only files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.exchange import (
    ExchangeFolder,
    ExchangeRefused,
    FilePlace,
    check_name,
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
    with mine.output("report.csv") as staging:
        staging.write_text("mine\n")
    assert stat.S_IMODE(os.stat(mine.folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(mine.folder / "report.csv").st_mode) == 0o600
    assert mine.names() == ["report.csv"]
    assert theirs.names() == []
    with pytest.raises(ExchangeRefused):  # not in B's folder, and no way to name A's
        theirs.source("report.csv")
    with pytest.raises(ExchangeRefused):
        theirs.source(f"../{mine.folder.name}/report.csv")


def test_a_write_never_replaces_an_existing_file(ctx: ServiceContext, admin: Session) -> None:
    files = place(ctx, admin)
    with files.output("trail.csv") as staging:
        staging.write_text("first\n")
    with pytest.raises(ExchangeRefused, match="already exists"), files.output("trail.csv"):
        pytest.fail("nothing may be written over an existing file")
    # A file that appears while the export runs is not replaced either.
    with (
        pytest.raises(ExchangeRefused, match="already exists"),
        files.output("late.csv") as staging,
    ):
        staging.write_text("ours\n")
        (files.folder / "late.csv").write_text("theirs\n")
    assert (files.folder / "trail.csv").read_text() == "first\n"
    assert (files.folder / "late.csv").read_text() == "theirs\n"
    assert sorted(os.listdir(files.folder)) == ["late.csv", "trail.csv"]  # no staging left


def test_links_are_never_followed(ctx: ServiceContext, admin: Session, tmp_path: Path) -> None:
    files = place(ctx, admin)
    files.ensure()
    outside = tmp_path / "config.toml"
    outside.write_text("db = 'x'\n")
    (files.folder / "config.csv").symlink_to(outside)
    with pytest.raises(ExchangeRefused, match="not a regular file"):
        files.source("config.csv")
    with pytest.raises(ExchangeRefused, match="already exists"), files.output("config.csv"):
        pytest.fail("a link is never written through")
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
    with pytest.raises(ExchangeRefused), files.output("x.csv") as staging:
        staging.write_text("x")
    assert list(elsewhere.iterdir()) == []


def test_locally_the_users_own_paths_stay_allowed(
    ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    files = files_for(ctx.config, admin.company_id, remote=False)
    assert type(files) is FilePlace and not files.confined
    target = tmp_path / "mine" / "trail.csv"
    target.parent.mkdir()
    with files.output(str(target)) as staging:
        staging.write_text("x\n")
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
    folder = files.ensure()
    for raw in (b"esc\x1b]0;x\x07.csv", "rtl\u202egpj.csv".encode(), b"latin\xf1.csv", b"ok.csv"):
        with open(os.path.join(os.fsencode(folder), raw), "wb") as fh:
            fh.write(b"x\n")
    assert files.names() == ["ok.csv"]
