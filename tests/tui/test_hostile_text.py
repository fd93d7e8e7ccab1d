"""Hostile text in every field, on every screen: shown literally, never markup, never control.

Each user-provided value (a supplier's fields, company names, usernames, audit rows, mail,
delivery replies, file cells) is written straight into the real database, Maildir or file
as an attacker could leave it: ``[@click=…]`` and ``[link=…]`` markup, ``ESC ] 0 ; … BEL``
(retitles a terminal), U+202E, U+009B, NUL. Every screen and dialog that shows it must show
the literal text with those characters as ``�``, carry no live action in what it paints, and
run none when clicked (no screenshot file written, the theme unchanged).
"""

from __future__ import annotations

import mailbox
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Input

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import (
    AuditEvent,
    Company,
    DeliveryAttempt,
    OutboxMessage,
    SupplierLink,
    User,
)
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.safe_text import plain
from gosocket_tui.services import auth, suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import SupplierInput
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.dialogs.invite import ChangeEmailScreen, ConfirmScreen
from gosocket_tui.tui.dialogs.supplier_detail import SupplierDetailScreen
from gosocket_tui.tui.screens.bulk_import import BulkImportScreen
from gosocket_tui.tui.views.mailbox import DELIVERIES, RECEIVED, MailboxView
from gosocket_tui.tui.widgets.activity_table import ActivityTable
from gosocket_tui.tui.widgets.mail_list import MailList
from gosocket_tui.tui.widgets.supplier_table import SupplierTable
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.flows import invite_and_deliver, show_tab
from tests.tui.helpers import build_app, log_in, settle, wait_for

CONTROLS = "\x1b]0;T\x07\u202e\x9b\x00"
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile(field: str) -> str:
    """A value for ``field``: a live action if parsed as markup, terminal control if raw."""
    return f"[@click=app.screenshot('{field}.svg','.')]{field}[/]{CONTROLS}"


# The name also carries the link markup that crashed the TUI (MarkupError) in a border title.
NAME = "[link=http://x]L[/link][@click=app.toggle_dark]N[/]" + CONTROLS
FIELDS = ("email", "address", "city", "province", "phone", "fax", "description")
# Groups are comma-separated and split with SQLite's json_each, which refuses C0 controls.
GROUPS = "[@click=app.toggle_dark]groups[/]\u202e\x9b"
USERNAME = hostile("user").lower()
COMPANY = hostile("company")


def shown(field: str) -> str:
    """What the screen must show for ``field`` (its first characters at least)."""
    return plain(hostile(field))[:30]


def painted(app: App[Any]) -> list[Strip]:
    """The current screen's painted lines, each cell with its style and meta (toasts and
    dialogs included). The one read of a Textual internal: Textual has no public way to get
    what was painted with the styles' meta, which is where a markup action would hide."""
    return list(app.screen._compositor.render_strips())


def screen_text(app: GosocketApp) -> str:
    """Every painted character of the current screen (toasts and dialogs included)."""
    return "\n".join(strip.text for strip in painted(app))


def assert_safe(app: GosocketApp, *expected: str) -> str:
    """No control character painted, no live action in any painted cell, ``expected`` shown."""
    strips = painted(app)
    for strip in strips:
        for segment in strip:
            assert not UNSAFE.search(segment.text), repr(segment.text)
            meta = segment.style.meta if segment.style is not None else {}
            assert "@click" not in meta, meta
    text = "\n".join(strip.text for strip in strips)
    for fragment in expected:
        assert fragment in text, (fragment, text)
    return text


def rows_showing(app: GosocketApp, fragment: str) -> list[int]:
    """The screen rows where ``fragment`` is painted."""
    strips = painted(app)
    return [y for y, strip in enumerate(strips) if fragment in strip.text]


async def click_everywhere(pilot: Pilot[Any], rows: range | list[int], *, step: int = 3) -> None:
    """Click on everything painted in the given screen rows: nothing there may run an action.

    A link covers its whole text, so one click on each painted word (and every ``step``
    columns of a long one) reaches every link without clicking the blank cells between.
    """
    strips = painted(pilot.app)
    for y in rows:
        for word in re.finditer(r"\S+", strips[y].text if y < len(strips) else ""):
            for x in range(word.start(), word.end(), max(step, 8)):
                await pilot.click(offset=(x, y))
    await pilot.pause()


def assert_nothing_fired(app: GosocketApp, workdir: Path, theme: str) -> None:
    assert app.theme == theme
    assert not list(workdir.glob("*.svg"))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, where a live ``screenshot`` link would write its file."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def hostile_db(ctx: ServiceContext, admin: Session) -> int:
    """A supplier whose every field, the buyer's name and the admin's username are hostile."""
    data = SupplierInput(country="CL", tax_id="96.790.240-3", name="x", email="x@example.com")
    link_id = suppliers.add_supplier(ctx, admin, data).id
    values: dict[str, Any] = {f: hostile(f) for f in FIELDS}
    SupplierLink.update(name=NAME, groups=GROUPS, **values).where(
        SupplierLink.id == link_id
    ).execute()
    Company.update(name=COMPANY).where(Company.id == admin.company_id).execute()
    User.update(username=USERNAME).where(User.username == "ana").execute()
    return link_id


async def enter(pilot: Pilot[Any], ctx: ServiceContext) -> None:
    """Log in as the hostile username (typed keys cannot carry its control characters)."""
    await pilot.pause()
    session = auth.authenticate(ctx, USERNAME, PASSWORD)
    pilot.app.start_session(session)
    await settle(pilot)


async def test_suppliers_tab_detail_panel_dialog_and_invite(
    make: AppFactory, ctx: ServiceContext, hostile_db: int, workdir: Path
) -> None:
    app = make()
    async with app.run_test(size=(160, 50)) as pilot:
        theme = app.theme
        await enter(pilot, ctx)
        await wait_for(pilot, lambda: "[link=http://x]" in screen_text(app))
        await pilot.pause(0.5)  # the detail panel reads the full detail after a short rest
        await settle(pilot)
        # Header (company, username), table row, detail panel (every field, two columns).
        text = assert_safe(app, plain(COMPANY)[:20], plain(NAME)[:20], shown("email"))
        for field in ("address", "phone", "description"):
            assert shown(field)[:12] in text, field
        for selector in ("#supplier-detail", "ShellHeader"):
            region = app.screen.query_one(selector).region
            await click_everywhere(pilot, range(region.y, region.bottom), step=2)
        assert_nothing_fired(app, workdir, theme)

        # The detail dialog: the name is its border title.
        app.screen.query_one(SupplierTable).focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, SupplierDetailScreen))
        await settle(pilot)
        text = assert_safe(app, plain(NAME)[:30], plain(GROUPS), *(shown(f) for f in FIELDS))
        dialog = app.screen.query_one("#detail-dialog").region
        await click_everywhere(pilot, range(dialog.y, dialog.y + 1), step=1)
        assert_nothing_fired(app, workdir, theme)
        await pilot.press("escape")
        await settle(pilot)
        app.screen.query_one(SupplierTable).focus()

        # The Invite confirmation names the supplier and its email.
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert_safe(app, plain(NAME)[:30], shown("email"))
        await pilot.press("escape")
        await settle(pilot)
        app.screen.query_one(SupplierTable).focus()

        # Change email shows the name in its text.
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangeEmailScreen))
        assert_safe(app, plain(NAME)[:30])
        await pilot.press("escape")
        await settle(pilot)
        assert_nothing_fired(app, workdir, theme)


async def test_notifications_are_plain_text(make: AppFactory, workdir: Path) -> None:
    """Every notice, whoever raises it and however, is literal text without control characters
    (the app forces it: ``GosocketApp.notify``)."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.notify(NAME, title=hostile("title"))
        app.screen.notify(NAME, markup=True)
        await pilot.pause()
        notes = list(app.notices)
        assert [(n.message, n.title, n.markup) for n in notes] == [
            (plain(NAME), plain(hostile("title")), False),
            (plain(NAME), "", False),
        ]


async def test_markup_actions_never_run(make: AppFactory, workdir: Path) -> None:
    """Should markup ever reach a widget, clicking its link still runs nothing."""
    from textual.widgets import Static

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        theme = app.theme
        await pilot.pause()
        static = Static(
            "[@click=app.toggle_dark]DARK DARK DARK[/] "
            "[@click=app.screenshot('x.svg','.')]SHOT SHOT[/]"
        )
        await app.screen.mount(static)
        await pilot.pause()
        await click_everywhere(pilot, range(static.region.y, static.region.bottom), step=1)
        assert_nothing_fired(app, workdir, theme)


async def test_clients_tab_and_activity(
    make: AppFactory,
    ctx: ServiceContext,
    hostile_db: int,
    other_admin: Session,
    clock: FixedClock,
    workdir: Path,
) -> None:
    # Another buyer with a hostile name lists ours among its suppliers: our Clients tab.
    data = SupplierInput(country="CL", tax_id="76.086.428-5", name="x", email="c@x.cl")
    suppliers.add_supplier(ctx, other_admin, data)
    Company.update(name=hostile("client")).where(Company.id == other_admin.company_id).execute()
    # The audit trail: user, action, target and detail as a database could hold them.
    company_id = Company.get(Company.name == COMPANY).id
    AuditEvent.create(
        at=clock.now(),
        actor_name=hostile("actor"),
        company_id=company_id,
        action=hostile("act")[:60],
        target=hostile("target"),
        outcome=hostile("out")[:16],
        detail=hostile("detail"),
    )
    app = make()
    async with app.run_test(size=(200, 50)) as pilot:
        theme = app.theme
        await enter(pilot, ctx)
        app.show_target("network", "clients")
        await wait_for(pilot, lambda: shown("client") in screen_text(app))
        assert_safe(app, shown("client"))
        app.show_target("activity")
        await wait_for(pilot, lambda: shown("target") in screen_text(app))
        await settle(pilot)
        activity = app.screen.query_one(ActivityTable)
        activity.focus()
        activity.move_cursor(row=1)  # the hostile row, below the login: its full detail shows
        await settle(pilot)
        assert_safe(app, shown("actor"), shown("target"), shown("detail"))
        detail = app.screen.query_one("#activity-detail").region
        await click_everywhere(pilot, range(detail.y, detail.bottom), step=2)
        assert_nothing_fired(app, workdir, theme)


async def test_mailbox_messages_and_delivery_log(
    ctx: ServiceContext, admin: Session, sink: MailSink, tmp_path: Path, workdir: Path
) -> None:
    link_id = invite_and_deliver(ctx, admin, sink, name="x", email="v@cafe.example")
    SupplierLink.update(name=NAME).where(SupplierLink.id == link_id).execute()
    DeliveryAttempt.update(reply=hostile("reply")).execute()
    OutboxMessage.update(server_reply=hostile("reply")).execute()
    # A message in the sink's Maildir whose sender, subject and body are hostile.
    mail = EmailMessage()
    mail["From"] = "x@example.com"
    mail["To"] = "v@cafe.example"
    mail["Subject"] = hostile("subject")
    mail.set_content(hostile("body") + "\n")
    mailbox.Maildir(tmp_path / "maildir").add(mail)
    app = build_app(ctx, maildir=tmp_path / "maildir")
    async with app.run_test(size=(200, 50)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press("f3")
        await settle(pilot)
        view = app.screen.query_one(MailboxView)
        await show_tab(pilot, view, RECEIVED)
        await wait_for(pilot, lambda: shown("subject") in screen_text(app))
        table = app.screen.query_one(MailList)
        table.focus()
        for _row in range(table.row_count):
            if shown("body") in screen_text(app):
                break
            await pilot.press("down")
            await settle(pilot)
        assert_safe(app, shown("subject"), shown("body"))
        await show_tab(pilot, view, DELIVERIES)
        await wait_for(pilot, lambda: shown("reply") in screen_text(app))
        assert_safe(app, shown("reply"), plain(NAME)[:20])


async def test_bulk_import_preview_and_problems(
    make: AppFactory, ctx: ServiceContext, workdir: Path
) -> None:
    # C0 controls make a CSV "binary" (refused); markup, bidi and C1 characters are read.
    cell = "[@click=app.toggle_dark]cell[/]\u202e\x9b"
    (workdir / "hostile.csv").write_text(
        "Tax ID*,Name*,Email*,Notify*\n"
        f"{cell},{cell},bad{cell}@x,yes\n"
        f"96.790.240-3,{cell},u@x.cl,{cell}\n",
        encoding="utf-8",
    )
    app = make()
    async with app.run_test(size=(160, 50)) as pilot:
        theme = app.theme
        await log_in(pilot, "ana", PASSWORD)
        assert app.session is not None
        screen = BulkImportScreen(app.ctx, app.session)
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
        await settle(pilot)
        await pilot.press(*"hostile.csv", "enter")
        await wait_for(pilot, lambda: screen.step in ("previewed", "choose"))
        await settle(pilot)
        assert_safe(app, plain(cell)[:20])
        screen.query_one("#bulk-process").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.step != "checking" and not screen.workers)
        await settle(pilot)
        assert_safe(app, plain(cell)[:20])
        # Where the file's text is painted (clicking every row would press the screen's own
        # buttons: Template, Close, …).
        rows = rows_showing(app, plain(cell)[:12])
        assert rows
        await click_everywhere(pilot, rows, step=2)
        assert app.screen is screen
        assert_nothing_fired(app, workdir, theme)


async def test_pasted_non_character_in_tax_id_filter(
    make: AppFactory, ctx: ServiceContext, hostile_db: int, workdir: Path
) -> None:
    """U+10FFFF pasted into the Tax ID filter is an empty result, not a crashed worker."""
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await enter(pilot, ctx)
        table = app.screen.query_one(SupplierTable)
        await wait_for(pilot, lambda: table.loaded and len(table.rows) == 1)
        field = app.screen.query_one("#supplier-tax-id", Input)
        for value in ("\U0010ffff", "96\U0010ffff", "\ud7ff"):
            field.value = value
            field.focus()
            await pilot.press("enter")
            await settle(pilot)
            await wait_for(pilot, lambda: table.loaded)
            assert table.rows == []
            assert_safe(app, "No supplier with Tax ID")
        assert app.is_running and not app.notices
