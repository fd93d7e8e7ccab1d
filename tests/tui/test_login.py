"""Login screen flows with a real database: success, failures, lockout, language, activation."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input, Label, Static

from gosocket_tui.services.demo import DEMO_PASSWORD
from gosocket_tui.tui.screens.activation import ActivationScreen
from gosocket_tui.tui.screens.login import LoginScreen
from gosocket_tui.tui.screens.shell import ShellScreen
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import burst, log_in, settle

GENERIC = "Invalid username or password."


def message_text(app: object) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    return str(screen.query_one("#login-message", Static).render())


async def test_starts_on_login_with_focus_on_username(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert app.focused is app.screen.query_one("#username", Input)
        assert app.screen.query_one("#password", Input).password is True
        assert app.session is None


async def test_login_success_shows_the_company(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "ana", PASSWORD)
        assert isinstance(app.screen, ShellScreen)
        assert app.session is not None and app.session.username == "ana"
        header = app.screen.query_one("#header-company", Label)
        assert str(header.render()) == "Comercial Andes SpA"
        assert "76.086.428-5" in str(app.screen.query_one("#header-tax-id", Label).render())
        assert app.screen.query("#header-badge")


async def test_wrong_password_and_unknown_user_give_the_same_generic_error(
    make: AppFactory,
) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "ana", "wrong password!")
        assert isinstance(app.screen, LoginScreen)
        assert message_text(app) == GENERIC
        assert app.screen.query_one("#password", Input).value == ""
        assert app.focused is app.screen.query_one("#password", Input)
        # Same message for a username that does not exist.
        username = app.screen.query_one("#username", Input)
        username.value = ""
        username.focus()
        await log_in(pilot, "nobody", PASSWORD)
        assert message_text(app) == GENERIC
        assert app.session is None


async def test_empty_fields_are_explained_without_asking_the_service(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert message_text(app) == "Enter your username and password."


async def test_five_failures_lock_the_account_and_the_right_password_says_so(
    make: AppFactory,
) -> None:
    app = make()
    async with app.run_test() as pilot:
        await log_in(pilot, "carlos", "wrong 1")
        for attempt in range(2, 6):
            await pilot.press(*f"wrong {attempt}", "enter")
            await settle(pilot)
            assert message_text(app) == GENERIC
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        text = message_text(app)
        assert "locked" in text and "minutes" in text
        assert "-locked" in app.screen.query_one("#login-message").classes


async def test_login_with_the_button(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await pilot.press(*"ana", "tab", *PASSWORD, "tab")
        assert app.focused is app.screen.query_one("#login-button", Button)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ShellScreen)


async def test_f2_switches_the_language_and_back(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await pilot.press(*"ana")
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        assert str(screen.query_one("#username-label", Label).render()) == "Usuario"
        assert str(screen.query_one("#password-label", Label).render()) == "Contraseña"
        assert str(screen.query_one("#login-button", Button).label) == "Iniciar sesión"
        assert screen.query_one("#username", Input).value == "ana"  # typed text survives
        await pilot.press("f2")
        await pilot.pause()
        assert str(screen.query_one("#username-label", Label).render()) == "Username"


async def test_spanish_from_the_configuration(make: AppFactory) -> None:
    app = make(lang="es")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert str(app.screen.query_one("#brand", Static).render()) == "Gosocket — Proveedores"


async def test_activation_button_opens_the_activation_screen_and_back(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await pilot.press("tab", "tab", "tab")
        assert app.focused is app.screen.query_one("#activate-button", Button)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ActivationScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)


async def test_demo_login_screen_lists_the_accounts_and_they_work(
    make_demo: AppFactory,
) -> None:
    app = make_demo()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = app.export_screenshot()
        for account in ("ana.admin", "carlos.viewer", "sofia.admin", DEMO_PASSWORD):
            assert account in shown
        await log_in(pilot, "ana.admin", DEMO_PASSWORD)
        assert isinstance(app.screen, ShellScreen)
        assert app.session is not None and app.session.company_name == "Comercial Andes SpA"


@pytest.mark.parametrize("between", ["\r", "\t"], ids=["enter", "tab"])
async def test_keys_typed_ahead_land_in_the_right_fields(make: AppFactory, between: str) -> None:
    """A burst like ``ana⇥password⏎`` (slow SSH link, password manager) is not misrouted."""
    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        await burst(pilot, [*"ana", between, *PASSWORD, "\r"])
        assert isinstance(app.screen, ShellScreen)


async def test_tabs_typed_ahead_reach_the_activation_button(make: AppFactory) -> None:
    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        await burst(pilot, ["\t", "\t", "\t", "\r"])
        assert isinstance(app.screen, ActivationScreen)


async def test_keys_typed_after_the_password_enter_do_not_join_the_password(
    make: AppFactory,
) -> None:
    """``ana⇥password⏎20107⏎``: the first search typed before the shell appeared."""
    app = make()
    async with app.run_test() as pilot:
        await pilot.pause()
        await burst(pilot, [*"ana", "\t", *PASSWORD, "\r", *"20107", "\r"])
        assert isinstance(app.screen, ShellScreen)
