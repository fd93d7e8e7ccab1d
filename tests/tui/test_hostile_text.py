"""Hostile text in every field, on every screen: shown literally, never markup, never control.

Each user-provided value (a supplier's fields, company names, usernames, audit rows, mail,
delivery replies, file cells) is written straight into the real database, Maildir or file
as an attacker could leave it: ``[@click=…]`` and ``[link=…]`` markup, ``ESC ] 0 ; … BEL``
(retitles a terminal), U+202E, U+009B, NUL. Every screen and dialog that shows it must show
the literal text with those characters as ``�``, carry no live action in what it paints, and
run none when clicked (no screenshot file written, the theme unchanged).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from gosocket_tui.db.models import (
    Company,
    SupplierLink,
    User,
)
from gosocket_tui.safe_text import plain
from gosocket_tui.services import auth, suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import SupplierInput
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.dialogs.invite import ChangeEmailScreen, ConfirmScreen
from gosocket_tui.tui.widgets.supplier_detail import SupplierDetailScreen
from gosocket_tui.tui.widgets.supplier_table import SupplierTable
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import settle
from tests.tui.test_suppliers_tab import wait_for

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


def screen_text(app: GosocketApp) -> str:
    """Every painted character of the current screen (toasts and dialogs included)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_safe(app: GosocketApp, *expected: str) -> str:
    """No control character painted, no live action in any painted cell, ``expected`` shown."""
    strips = app.screen._compositor.render_strips()
    for strip in strips:
        for segment in strip:
            assert not UNSAFE.search(segment.text), repr(segment.text)
            meta = segment.style.meta if segment.style is not None else {}
            assert not any(key.startswith("@") for key in meta), meta
    text = "\n".join(strip.text for strip in strips)
    for fragment in expected:
        assert fragment in text, (fragment, text)
    return text


async def click_everywhere(pilot: Pilot[Any], rows: range, *, step: int = 3) -> None:
    """Click across the given screen rows: nothing painted there may run an action."""
    width = pilot.app.size.width
    for y in rows:
        for x in range(1, width - 1, step):
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
        notices = list(app._notifications)
        assert [(n.message, n.title, n.markup) for n in notices] == [
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
