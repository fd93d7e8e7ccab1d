"""Remote sessions read and write only inside their company's exchange folder.

The app is built with ``remote=True`` (what ``SSH_CONNECTION`` sets by default); every path
field of the TUI is tried with the worst values: a parent folder, an absolute server path, a
link inside the folder pointing out, another company's folder.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from gosocket_tui.clock import FixedClock
from gosocket_tui.config import with_overrides
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.exchange import company_folder_name
from gosocket_tui.services.session import Session
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.dialogs.bulk_template import TemplateDialog
from gosocket_tui.tui.screens.bulk_import import BulkImportScreen
from tests.tui.flows import (
    CORPUS,
    invite_and_deliver,
    open_activity,
    open_bulk,
    open_mailbox,
    process,
    rendered,
    shown,
    type_into,
)
from tests.tui.helpers import build_app, notices, settle, wait_for

HOSTILE = ["../x.csv", "/etc/passwd", "outside.csv", "{other}/x.csv", "../{other}/x.csv"]


@pytest.fixture
def remote_app(ctx: ServiceContext, buyers: object) -> GosocketApp:
    return build_app(ctx, remote=True)


@pytest.fixture
def folders(ctx: ServiceContext, admin: Session, other_admin: Session) -> tuple[Path, Path]:
    """Ana's company's inbox (with a link pointing out) and Lucia's; their outboxes are
    beside them."""
    root = Path(ctx.config.exchange_dir)
    mine = root / company_folder_name(admin.company_id) / "inbox"
    theirs = root / company_folder_name(other_admin.company_id) / "inbox"
    mine.mkdir(parents=True, mode=0o700)
    theirs.mkdir(parents=True, mode=0o700)
    target = root.parent / "config.toml"
    target.write_text("db = 'keep me'\n")
    (mine / "outside.csv").symlink_to(target)
    return mine, theirs


def outbox(inbox: Path) -> Path:
    return inbox.parent / "outbox"


def hostile(folders: tuple[Path, Path], *, writing: bool = False) -> list[str]:
    """The worst names; a write never refuses ``outside.csv`` (a link in the inbox): it goes
    to the outbox, where a taken name gets a free one."""
    other = f"../../{folders[1].parent.name}/inbox"
    return [v.format(other=other) for v in HOSTILE if not (writing and v == "outside.csv")]


def untouched(folders: tuple[Path, Path]) -> None:
    mine, theirs = folders
    assert (mine.parents[2] / "config.toml").read_text() == "db = 'keep me'\n"
    assert sorted(os.listdir(mine)) == ["outside.csv"]
    assert os.listdir(theirs) == []
    assert not outbox(mine).exists() or os.listdir(outbox(mine)) == []
    assert not outbox(theirs).exists()


async def test_the_activity_export_stays_in_the_exchange_folder(
    remote_app: GosocketApp, folders: tuple[Path, Path]
) -> None:
    mine, _theirs = folders
    async with remote_app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        path = remote_app.screen.query_one("#activity-path", Input)
        assert path.value == "gosocket-activity-20260302.csv"  # a bare name, no server path
        for value in hostile(folders, writing=True):
            await type_into(pilot, "#activity-path", value)
            assert shown(remote_app, "#activity-export-message"), value
            untouched(folders)
        await type_into(pilot, "#activity-path", "trail.csv")
        assert shown(remote_app, "#activity-export-message") == ""
        written = outbox(mine) / "trail.csv"
        assert written.read_text(encoding="utf-8-sig").startswith("time_utc,")
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        messages = notices(remote_app)
        assert any(m.startswith("Exported") and m.endswith(" to trail.csv.") for m in messages)
        await type_into(pilot, "#activity-path", "trail.csv")  # never replaced: a free name
        await wait_for(pilot, lambda: any("trail-2.csv" in m for m in notices(remote_app)))
        assert shown(remote_app, "#activity-export-message") == ""
        assert written.read_text(encoding="utf-8-sig").startswith("time_utc,")
        assert sorted(os.listdir(outbox(mine))) == ["trail-2.csv", "trail.csv"]


async def open_bulk_remote(pilot: Pilot[None]) -> BulkImportScreen:
    screen = await open_bulk(pilot)
    await settle(pilot)
    return screen


async def test_the_bulk_import_reads_and_writes_only_the_exchange_folder(
    remote_app: GosocketApp, folders: tuple[Path, Path]
) -> None:
    mine, _theirs = folders
    async with remote_app.run_test(size=(80, 24)) as pilot:
        screen = await open_bulk_remote(pilot)
        assert shown(remote_app, "#bulk-exchange").startswith("Your inbox is empty")
        placeholder = screen.query_one("#bulk-path", Input).placeholder
        assert placeholder == "name of a file in your inbox (→ completes)"
        for value in hostile(folders):
            await type_into(pilot, "#bulk-path", value)
            await wait_for(pilot, lambda: screen.step == "choose")
            assert screen.path is None, value
            assert shown(remote_app, "#bulk-file-message"), value
        shutil.copy(CORPUS / "bad_notify.csv", mine / "suppliers.csv")
        shutil.copy(CORPUS / "bad_notify.csv", outbox(mine) / "export-not-offered.csv")
        screen._list_exchange()
        await settle(pilot)
        assert shown(remote_app, "#bulk-exchange") == "Files in your inbox: suppliers.csv"
        await type_into(pilot, "#bulk-path", "suppliers.csv")
        await wait_for(pilot, lambda: screen.step == "previewed")
        assert screen.path == mine / "suppliers.csv"
        report = remote_app.screen.query_one("#bulk-report-path", Input)
        assert report.value == "suppliers_problems.csv"
        untouched_names = sorted(os.listdir(mine))
        assert untouched_names == ["outside.csv", "suppliers.csv"]


async def test_no_screenshot_reaches_a_server_path_remotely(
    remote_app: GosocketApp, tmp_path: Path
) -> None:
    target = tmp_path / "shots"
    target.mkdir()
    async with remote_app.run_test(size=(80, 24)) as pilot:
        await remote_app.run_action(f"screenshot('victim.svg', '{target}')")
        await settle(pilot)
    assert list(target.iterdir()) == []


async def test_the_delivery_log_export_stays_in_the_exchange_folder(
    ctx: ServiceContext,
    admin: Session,
    folders: tuple[Path, Path],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    mine, _theirs = folders
    with MailSink(maildir=tmp_path / "maildir", clock=clock.now) as sink:
        invite_and_deliver(ctx, admin, sink)
        app = build_app(ctx, maildir=sink.maildir)
        app.remote = True
        async with app.run_test(size=(80, 24)) as pilot:
            view = await open_mailbox(pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            field = view.query_one("#delivery-path", Input)
            assert field.value == "gosocket-delivery-8600073861.txt"
            for value in hostile(folders, writing=True):
                field.value = value
                await pilot.press("enter")
                await settle(pilot)
                assert rendered(view, "delivery-export-message"), value
                untouched(folders)
            field.value = "evidence.txt"
            await pilot.press("enter")
            await settle(pilot)
    written = outbox(mine) / "evidence.txt"
    assert "ventas@cafe.example" in written.read_text(encoding="utf-8")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


async def test_the_problem_report_and_the_template_stay_in_the_exchange_folder(
    remote_app: GosocketApp, folders: tuple[Path, Path]
) -> None:
    mine, _theirs = folders
    shutil.copy(CORPUS / "bad_notify.csv", mine / "suppliers.csv")
    async with remote_app.run_test(size=(80, 24)) as pilot:
        screen = await open_bulk_remote(pilot)
        await type_into(pilot, "#bulk-path", "suppliers.csv")
        await wait_for(pilot, lambda: screen.step == "previewed")
        screen = await process(pilot)
        for value in hostile(folders, writing=True):
            await type_into(pilot, "#bulk-report-path", value)
            await wait_for(pilot, lambda: screen.query_one("#bulk-summary").has_class("-error"))
            untouched_report = sorted(os.listdir(mine))
            assert untouched_report == ["outside.csv", "suppliers.csv"], value
        await type_into(pilot, "#bulk-report-path", "problems.csv")
        await wait_for(pilot, lambda: "Report written to problems.csv" in bulk_shown(screen))
        assert stat.S_IMODE((outbox(mine) / "problems.csv").stat().st_mode) == 0o600
        # A link in the outbox is never written through: the report takes a free name.
        (outbox(mine) / "outside.csv").symlink_to(mine.parents[2] / "config.toml")
        await type_into(pilot, "#bulk-report-path", "outside.csv")
        await wait_for(pilot, lambda: "Report written to outside-2.csv" in bulk_shown(screen))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(remote_app.screen, TemplateDialog))
        await settle(pilot)
        dialog = remote_app.screen
        assert dialog.query_one("#template-path", Input).value == "suppliers_template.csv"
        for value in ("/etc/cron.d/x", "../x"):
            await type_into(pilot, "#template-path", value)
            assert remote_app.screen is dialog
            assert "-error" in dialog.query_one("#template-note").classes, value
        await type_into(pilot, "#template-path", "template.csv")
        await wait_for(pilot, lambda: remote_app.screen is screen)
    assert stat.S_IMODE((outbox(mine) / "template.csv").stat().st_mode) == 0o600
    assert sorted(os.listdir(mine)) == ["outside.csv", "suppliers.csv"]
    assert sorted(os.listdir(outbox(mine))) == [
        "outside-2.csv",
        "outside.csv",
        "problems.csv",
        "template.csv",
    ]
    assert (mine.parents[2] / "config.toml").read_text() == "db = 'keep me'\n"


def bulk_shown(screen: BulkImportScreen) -> str:
    return str(screen.query_one("#bulk-summary", Static).render())


async def test_an_export_says_how_to_fetch_it_over_sftp(
    ctx: ServiceContext, buyers: object, folders: tuple[Path, Path]
) -> None:
    """Under ``serve`` the session knows where its client reached the server: the notice of
    an export carries the ``sftp`` line that fetches it, with the name actually written, and
    the line is put on the user's clipboard."""
    mine, _theirs = folders
    (outbox(mine)).mkdir(mode=0o700)
    (outbox(mine) / "trail.csv").write_text("an earlier export\n")
    served = dataclasses.replace(
        ctx, config=with_overrides(ctx.config, sftp_host="gosocket.example.com", sftp_port=2222)
    )
    app = build_app(served, remote=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        await type_into(pilot, "#activity-path", "trail.csv")
        await wait_for(pilot, lambda: any("trail-2.csv" in m for m in notices(app)))
        line = "sftp -P 2222 ana@gosocket.example.com:outbox/trail-2.csv ."
        assert any(line in m for m in notices(app))
        # A toast wraps the line at 80 columns: it also goes to the user's clipboard (OSC 52).
        assert app.clipboard == line
