"""The shell after login: header, navigation, command palette, logout, session checks."""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import ContentSwitcher, Input, Label, OptionList, Static

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import AuditEvent
from gosocket_tui.services import auth
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.commands import palette_commands
from gosocket_tui.tui.dialogs.add_supplier import AddSupplierScreen
from gosocket_tui.tui.screens.login import LoginScreen
from gosocket_tui.tui.views.network import NetworkView
from gosocket_tui.tui.views.suppliers_panel import SuppliersPanel
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import log_in, settle

pytestmark = pytest.mark.usefixtures("buyers")


def current_view(app: GosocketApp) -> str | None:
    return app.screen.query_one("#content", ContentSwitcher).current


def login_message(app: GosocketApp) -> str:
    return str(app.screen.query_one("#login-message", Static).render())


async def test_header_shows_company_tax_id_and_user(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "lucia", PASSWORD)
        screen = app.screen
        assert str(screen.query_one("#header-company", Label).render()) == (
            "Distribuidora del Pacífico SAC"
        )
        assert "20100070970" in str(screen.query_one("#header-tax-id", Label).render())
        assert str(screen.query_one("#header-user", Label).render()) == "lucia"
        assert str(screen.query_one("#header-badge", Label).render()) == "administrator"


async def test_non_admin_has_no_badge_and_sees_the_read_only_notice(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "carlos", PASSWORD)
        assert not app.screen.query("#header-badge")
        assert current_view(app) == "network"
        assert "Only administrators manage suppliers. You can view the list." in (
            app.export_screenshot().replace("&#160;", " ")
        )


async def test_sidebar_and_function_keys_navigate(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        sidebar = app.screen.query_one("#sidebar", OptionList)
        sidebar.focus()
        await pilot.pause()
        assert current_view(app) == "network"  # where a login lands, Overview above it
        assert sidebar.highlighted == 1
        await pilot.press("down")
        assert current_view(app) == "mailbox"
        await pilot.press("down")
        assert current_view(app) == "activity"
        await pilot.press("f1")
        await pilot.pause()
        assert current_view(app) == "overview"
        assert sidebar.highlighted == 0
        await pilot.press("f2")
        await pilot.pause()
        assert current_view(app) == "network"
        assert sidebar.highlighted == 1
        await pilot.press("f3")
        await pilot.pause()
        assert current_view(app) == "mailbox"
        await pilot.press("f4")
        await pilot.pause()
        assert current_view(app) == "activity"


async def test_after_login_typing_goes_to_the_tax_id_filter(make: AppFactory) -> None:
    """The article's first step: type a Tax ID and press Enter; ctrl+n opens Add Supplier."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        tax_id = app.screen.query_one("#supplier-tax-id", Input)
        assert app.focused is tax_id
        await pilot.press(*"76.086.429-3", "enter")
        await settle(pilot)
        assert app.screen.query_one(SuppliersPanel).table.filter.tax_id == "76.086.429-3"
        tax_id.focus()
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, AddSupplierScreen)
        assert app.screen.query_one("#add-tax_id", Input).value == "76.086.429-3"


async def test_command_palette_offers_every_navigation_target(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        titles = [command.title for command in palette_commands(app)]
        for title in ("Network → Suppliers", "Network → Clients", "Mailbox", "Activity"):
            assert title in titles
        assert "Log out" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Clients")
        for _ in range(50):
            await pilot.pause(0.05)
            options = app.screen.query_one(CommandList)
            if options.option_count:
                break
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Network → Clients" in prompt for prompt in prompts), prompts
        await pilot.press("enter")
        await settle(pilot)
        assert current_view(app) == "network"
        assert app.screen.query_one(NetworkView).active_tab == "clients"


async def test_command_palette_when_logged_out_offers_activation(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        titles = [command.title for command in palette_commands(app)]
        assert "Activate with activation code" in titles
        assert "Log out" not in titles


async def test_logout_returns_to_an_empty_login_and_is_audited(
    make: AppFactory, ctx: ServiceContext
) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.session is None
        assert app.screen.query_one("#username", Input).value == ""
        assert app.screen.query_one("#password", Input).value == ""
        assert login_message(app) == "You have logged out."
    assert AuditEvent.select().where(AuditEvent.action == "auth.logout").count() == 1


async def test_idle_timeout_logs_out_with_a_notice(
    make: AppFactory, clock: FixedClock, ctx: ServiceContext
) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "ana", PASSWORD)
        clock.advance(minutes=14)
        worker = app.check_session()
        assert worker is not None
        await worker.wait()
        await settle(pilot)
        assert app.session is not None  # 14 minutes: still in
        clock.advance(minutes=2)
        app.check_session()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.session is None
        assert login_message(app) == "You were logged out after 15 minutes without activity."
        assert "-notice" in app.screen.query_one("#login-message").classes
    assert AuditEvent.select().where(AuditEvent.action == "auth.logout").count() == 1


async def test_key_presses_keep_the_session_alive(make: AppFactory, clock: FixedClock) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "ana", PASSWORD)
        for _ in range(3):
            clock.advance(minutes=10)
            await pilot.press("down")
            app.check_session()
            await settle(pilot)
        assert app.session is not None  # 30 minutes in all, never 15 idle
        assert app.session.last_seen_at == clock.now()


async def test_disabled_account_is_logged_out_at_the_next_check(
    make: AppFactory, ctx: ServiceContext
) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "carlos", PASSWORD)
        auth.set_user_active(ctx, "carlos", False)
        app.check_session()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert login_message(app) == "Your account is no longer active. Please log in again."


async def test_session_expiry_closes_the_command_palette_too(
    make: AppFactory, clock: FixedClock
) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        clock.advance(minutes=16)
        app.check_session()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert len(app.screen_stack) == 1  # only the login screen is left


async def test_no_check_runs_while_logged_out(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.check_session() is None


async def test_quitting_while_logged_in_is_audited_as_a_logout(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press("ctrl+q")
        await pilot.pause()
    events = list(AuditEvent.select().where(AuditEvent.action == "auth.logout"))
    assert [event.detail for event in events] == ["quit"]


@pytest.mark.parametrize(("row", "view"), [(1, "overview"), (3, "mailbox"), (4, "activity")])
async def test_a_click_on_a_view_not_built_yet_opens_it(
    make: AppFactory, row: int, view: str
) -> None:
    """A click highlights and selects in one go: the view is mounted by the highlight and its
    focus asked for by the selection before it had composed (NoMatches '#mailbox-tabs')."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        sidebar = app.screen.query_one("#sidebar", OptionList)
        await pilot.click(sidebar, offset=(2, row))
        await settle(pilot)
        assert current_view(app) == view
        assert app.return_code is None and app.is_running
