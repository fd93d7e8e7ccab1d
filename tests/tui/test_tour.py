"""The trainer's guided tour (``demo --tour``), driven by keys at 80x24 on a fresh demo
database with the demo's own mail sink: each step ticks when its action is done, not before,
and not by waiting; back, skip, hide and restart; one picture per step."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from textual.binding import Binding
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import Static

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import SupplierLink
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.demo import DEMO_PASSWORD, demo_info, load_fixture, start_demo_sink
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.commands import palette_commands
from gosocket_tui.tui.dialogs.add_supplier import AddSupplierScreen
from gosocket_tui.tui.dialogs.invite import ConfirmScreen
from gosocket_tui.tui.screens.bulk_import import BulkImportScreen
from gosocket_tui.tui.screens.login import LoginScreen
from gosocket_tui.tui.screens.shell import ShellScreen
from gosocket_tui.tui.tour_panel import KEY_SOURCES, TARGET_CLASS, TourPanel
from gosocket_tui.tui.widgets.mail_list import find_code
from tests.cli_helpers import Cli
from tests.invitation_helpers import add_supplier
from tests.tui.conftest import AppFactory
from tests.tui.flows import NEW_TAX_ID, fill_activation, open_activation, search_tax_id
from tests.tui.helpers import SnapCompare, build_app, burst, settle, wait_for
from tests.tui.test_hostile_text import assert_safe

TourDemo = tuple[MailSink, ServiceContext]
BUYER = "ana.admin"
HOSTILE_NAME = "Sur [@click=app.quit] SpA"
SUPPLIER_USER = "sur.admin"
SUPPLIER_PASSWORD = "cafe con leche 2026"


def key(name: str) -> str:
    """The key a step names, from the bindings (the key map moves: never written here)."""
    owner, action = KEY_SOURCES[name]  # type: ignore[index]
    return _bound(owner, action)


def _bound(owner: type[DOMNode], action: str) -> str:
    for binding in owner.BINDINGS:
        if isinstance(binding, Binding) and binding.action == action:
            return binding.key.split(",")[0]
    raise LookupError(action)


async def type_login(pilot: Pilot[Any], username: str, password: str) -> None:
    """The login form typed in one go, as a quick typist's keys arrive."""
    await burst(pilot, [*username, "enter", *password, "enter"])


def tour_key(action: str) -> str:
    return _bound(GosocketApp, action)


@pytest.fixture
def tour_app(demo_ctx: ServiceContext, tmp_path: Path, clock: FixedClock) -> Iterator[TourDemo]:
    """The demo as ``demo --fresh --tour`` starts it: its sink, its accounts, the tour on."""
    sink, config = start_demo_sink(demo_ctx.config, maildir=tmp_path / "demo-mail", clock=clock.now)
    ctx = dataclasses.replace(demo_ctx, config=config)
    try:
        yield sink, ctx
    finally:
        sink.stop()


def app_for(tour_app: TourDemo, lang: str = "en") -> GosocketApp:
    sink, ctx = tour_app
    info = demo_info(load_fixture(), sink.maildir)
    return build_app(ctx, demo=info, deliver_mail=True, tour=True, lang=lang)


class Walk:
    """The tour as a trainer sees it: the current step, its highlight, a picture of it."""

    def __init__(self, pilot: Pilot[Any], snapshot: SnapshotAssertion) -> None:
        self.pilot = pilot
        assert isinstance(pilot.app, GosocketApp)
        self.app: GosocketApp = pilot.app
        self.snapshot = snapshot

    @property
    def step(self) -> str:
        tour = self.app.tour
        assert tour is not None
        return tour.current.id if tour.current is not None else "finished"

    async def at(self, step: str) -> None:
        """Everything the app was doing is done, and ``step`` is still the one to do: it was
        not ticked by what came before nor by waiting."""
        await settle(self.pilot)
        assert self.step == step

    async def picture(self, step: str) -> None:
        """``step`` is current, its widget highlighted and nothing else; one snapshot."""
        await self.at(step)
        tour = self.app.tour
        assert tour is not None and tour.current is not None
        marked = [w for s in self.app.screen_stack for w in s.query(f".{TARGET_CLASS}")]
        assert marked, step
        assert all(w.id == tour.current.target.removeprefix("#") for w in marked)
        self.app.clear_notifications()  # toasts time out: not part of the picture
        await settle(self.pilot)
        number = tour.index + 1
        assert self.snapshot(name=f"{number:02d}_{step}") == self.app.export_screenshot()

    async def ticked(self, step: str, then: str) -> None:
        await settle(self.pilot)
        tour = self.app.tour
        assert tour is not None
        assert tour.marks[[s.id for s in tour.steps].index(step)] == "done"
        assert self.step == then


@pytest.fixture
def svg(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    from pytest_textual_snapshot import SVGImageExtension

    return snapshot.use_extension(SVGImageExtension)


async def test_a_trainer_walks_the_article_with_the_tour(
    tour_app: TourDemo, svg: SnapshotAssertion
) -> None:
    sink, ctx = tour_app
    app = app_for(tour_app)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = Walk(pilot, svg)
        await walk.picture("login")
        await type_login(pilot, BUYER, "not the password")
        await walk.at("login")  # refused: not logged in
        await burst(pilot, [*DEMO_PASSWORD, "enter"])  # the password again
        await walk.ticked("login", then="network")
        assert isinstance(app.screen, ShellScreen)
        buyer = app.session
        assert buyer is not None

        await walk.picture("network")
        await pilot.press(key("mailbox"))  # another view
        await walk.at("network")
        await pilot.press(key("network"))
        await walk.ticked("network", then="search")

        await walk.picture("search")
        panel = app.screen.query_one("#suppliers-panel")
        not_invited, registered = (
            SupplierLink.select()
            .where((SupplierLink.buyer == buyer.company_id) & (SupplierLink.status == status))
            .order_by(SupplierLink.id)
            .first()
            for status in ("not_invited", "registered")
        )
        assert not_invited is not None and registered is not None
        await pilot.press(key("search"), "enter")  # a search with no Tax ID
        await walk.at("search")
        await search_tax_id(pilot, panel, not_invited.tax_id)  # type: ignore[arg-type]
        await walk.ticked("search", then="registered")

        await walk.picture("registered")
        await pilot.press(key("table"))  # the cursor on a supplier not registered
        await walk.at("registered")
        await search_tax_id(pilot, panel, registered.tax_id)  # type: ignore[arg-type]
        await walk.at("registered")  # found, but not looked at yet
        await pilot.press(key("table"))
        await walk.ticked("registered", then="add")

        await walk.picture("add")
        await search_tax_id(pilot, panel, NEW_TAX_ID)  # type: ignore[arg-type]
        await pilot.press(key("add_supplier"))
        await settle(pilot)
        assert isinstance(app.screen, AddSupplierScreen)
        await burst(pilot, [*HOSTILE_NAME, "enter", *"ventas@sur.example", "ctrl+s"])
        await walk.ticked("add", then="invite")

        await walk.picture("invite")
        says = str(app.screen.query_one("#tour-says", Static).render())
        assert HOSTILE_NAME in says
        assert_safe(app, HOSTILE_NAME[:20])  # shown as text, no live action in it
        await pilot.click("#tour-says")
        assert app.is_running and app.return_code is None
        await pilot.press(key("invite"))
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await walk.ticked("invite", then="mailbox")

        await walk.picture("mailbox")
        await wait_for(pilot, lambda: len(sink.messages()) == 1)
        await walk.at("mailbox")  # delivered, not read yet
        await pilot.press(key("mailbox"))
        await wait_for(pilot, lambda: walk.step != "mailbox")
        await walk.ticked("mailbox", then="logout")
        (mail,) = sink.messages()
        code = find_code(mail.text)
        assert code is not None

        await walk.picture("logout")
        await pilot.press(key("logout"))
        await walk.ticked("logout", then="activate")
        assert isinstance(app.screen, LoginScreen)

        await walk.picture("activate")
        await open_activation(pilot)
        for typed in ("AAAA-AAAA-AAAA", code):  # a wrong code first: no tick
            await fill_activation(
                pilot,
                country="CL",
                tax_id=NEW_TAX_ID,
                code=typed,
                username=SUPPLIER_USER,
                password=SUPPLIER_PASSWORD,
            )
            if typed != code:
                await walk.at("activate")
        await walk.ticked("activate", then="supplier_login")

        await walk.picture("supplier_login")
        await pilot.press("enter")  # Go to log in: the username is filled in
        await settle(pilot)
        await burst(pilot, [*SUPPLIER_PASSWORD, "enter"])
        await walk.ticked("supplier_login", then="buyer_sees")
        assert app.session is not None and app.session.username == SUPPLIER_USER

        await walk.picture("buyer_sees")
        await pilot.press(key("logout"))
        await type_login(pilot, BUYER, DEMO_PASSWORD)
        await walk.at("buyer_sees")
        panel = app.screen.query_one("#suppliers-panel")
        await search_tax_id(pilot, panel, NEW_TAX_ID)  # type: ignore[arg-type]
        await walk.at("buyer_sees")
        await pilot.press(key("table"))
        await walk.ticked("buyer_sees", then="bulk")
        assert app.session is not None
        (row,) = suppliers.list_suppliers(
            ctx, app.session, suppliers.SupplierFilter(tax_id=NEW_TAX_ID)
        ).rows
        assert row.registered

        await walk.picture("bulk")
        await pilot.press(key("bulk"))
        await walk.ticked("bulk", then="finished")
        assert isinstance(app.screen, BulkImportScreen)
        assert app.screen.query(TourPanel)  # the tour follows onto every full screen


async def test_back_skip_hide_and_restart_on_a_fresh_demo_database(tour_app: TourDemo) -> None:
    sink, ctx = tour_app
    seeded = SupplierLink.select().count()
    app = app_for(tour_app)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = Walk(pilot, None)  # type: ignore[arg-type]
        await walk.at("login")
        login_panel = app.screen.query_one("#login-panel")
        assert login_panel.has_class(TARGET_CLASS)
        await pilot.press(tour_key("tour_skip"))
        await walk.at("network")
        assert app.tour is not None and app.tour.marks[0] == "skipped"
        assert not login_panel.has_class(TARGET_CLASS)  # the step moved on
        await pilot.press(tour_key("tour_back"), tour_key("tour_back"))
        await walk.at("login")
        assert app.tour.marks[0] == "todo" and login_panel.has_class(TARGET_CLASS)

        panel = app.screen.query_one(TourPanel)
        keys = str(panel.query_one("#tour-keys", Static).render())
        assert keys == "F7 Back  F8 Skip  F9 Restart  F10 Hide"
        await pilot.press(tour_key("tour"))  # hide: the room goes back to the screen
        await settle(pilot)
        assert not panel.display and not login_panel.has_class(TARGET_CLASS)
        await pilot.press(tour_key("tour_skip"))  # the tour's keys rest while hidden
        await walk.at("login")
        await pilot.press(tour_key("tour"))
        await settle(pilot)
        assert panel.display and login_panel.has_class(TARGET_CLASS)

        await type_login(pilot, BUYER, DEMO_PASSWORD)
        await walk.at("network")
        session = app.session
        assert session is not None
        add_supplier(ctx, session, country="CL", tax_id=NEW_TAX_ID, name="Sur SpA")
        (sink.maildir / "new" / "old-invitation").write_text("Activation code: X")
        await pilot.press(tour_key("tour_restart"))
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # asked first: Cancel changes nothing
        await walk.at("network")
        assert isinstance(app.screen, ShellScreen) and app.session == session
        await pilot.press(tour_key("tour_restart"))
        await settle(pilot)
        await pilot.press("enter")  # the focus starts on Cancel: a hurried Enter keeps all
        await walk.at("network")
        assert SupplierLink.select().where(SupplierLink.name == "Sur SpA").exists()
        await pilot.press(tour_key("tour_restart"))
        await settle(pilot)
        await pilot.press("shift+tab", "enter")  # Restart, chosen
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        await walk.at("login")
        assert app.session is None
        assert app.tour.marks == ["todo"] * len(app.tour.steps)
        notice = str(app.screen.query_one("#login-message", Static).render())
        assert notice == "The demo database is fresh: the tour starts over."
        assert not SupplierLink.select().where(SupplierLink.name == "Sur SpA").exists()
        assert SupplierLink.select().count() == seeded
        assert list((sink.maildir / "new").iterdir()) == []
        await type_login(pilot, BUYER, DEMO_PASSWORD)  # the demo accounts are back
        await walk.at("network")


async def test_the_palette_opens_the_tour_in_the_demo_only_and_it_follows_the_language(
    make_demo: AppFactory,
) -> None:
    app = make_demo()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.tour is None and not app.screen.query(TourPanel)
        (entry,) = [c for c in palette_commands(app) if c.title == "Guided tour"]
        entry.callback()
        await settle(pilot)
        assert app.tour is not None and app.tour.current is not None
        panel = app.screen.query_one(TourPanel)
        assert panel.display
        await pilot.press(_bound(LoginScreen, "app.toggle_language"))  # to Spanish
        await settle(pilot)
        assert str(panel.query_one("#tour-keys", Static).render()).endswith("Ocultar")
        assert str(panel.border_title).startswith("Visita guiada 1/12")
    plain = build_app(app.ctx)  # the app on a real database: no tour
    async with plain.run_test(size=(80, 24)) as pilot:
        assert "Guided tour" not in [c.title for c in palette_commands(plain)]
        await pilot.press(tour_key("tour"))
        await settle(pilot)
        assert plain.tour is None and not plain.screen.query(TourPanel)


def test_demo_tour_starts_the_app_with_the_tour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def run(app: GosocketApp) -> None:  # instead of taking over the terminal
        seen["tour"] = app.tour

    monkeypatch.setattr(GosocketApp, "run", run)
    monkeypatch.setattr("gosocket_tui.cli.app.require_terminal", lambda: None)
    cli = Cli(tmp_path / "demo.db", capsys, monkeypatch)
    assert cli("demo", "--fresh", "--tour").code == 0
    assert seen["tour"] is not None
    assert cli("demo").code == 0
    assert seen["tour"] is None


def test_tour_in_spanish(snap_compare: SnapCompare, tour_app: TourDemo) -> None:
    """The first step on the login screen, in Spanish."""

    async def wait(pilot: Pilot[Any]) -> None:
        await settle(pilot)

    assert snap_compare(app_for(tour_app, lang="es"), terminal_size=(80, 24), run_before=wait)


def test_tour_in_spanish_in_the_shell(snap_compare: SnapCompare, tour_app: TourDemo) -> None:
    """A step in the shell, its keys in Spanish."""

    async def logged_in(pilot: Pilot[Any]) -> None:
        await type_login(pilot, BUYER, DEMO_PASSWORD)

    assert snap_compare(app_for(tour_app, lang="es"), terminal_size=(80, 24), run_before=logged_in)
