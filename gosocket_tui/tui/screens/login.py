"""The login screen: username, masked password, inline errors, activation and the demo list.

``services.auth.authenticate`` runs in a thread worker (argon2 takes a noticeable moment,
``tui.workers.call_service``); a refusal is shown inline under the form with the message the
service raised (generic for every failure, the lockout notice only after the right password).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _
from gosocket_tui.tui.host import AppHost
from gosocket_tui.tui.safe import content
from gosocket_tui.tui.typeahead import next_on_enter
from gosocket_tui.tui.widgets.demo_accounts import DemoAccounts
from gosocket_tui.tui.widgets.footer import KeyFooter
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.demo import DemoInfo
    from gosocket_tui.services.session import Session


class LoginHost(AppHost, Protocol):
    """What the login screen tells and asks the app (``GosocketApp`` is checked against it)."""

    @property
    def demo(self) -> DemoInfo | None:
        """The demo's accounts to offer, or None outside the demo."""

    def login_screen_mounted(self) -> None:
        """The login screen is mounted (the startup benchmark leaves once it is painted)."""

    def start_session(self, session: Session) -> None:
        """``authenticate`` returned ``session``: open the shell."""

    def action_activate(self) -> None:
        """Open the supplier activation screen."""


class LoginScreen(Screen[None]):
    """Log in with username and password (Usuario y contraseña)."""

    AUTO_FOCUS = "#username"
    BINDINGS: ClassVar[list[BindingType]] = [
        # The description names the language the key switches to (translated: "English").
        Binding("f2", "app.toggle_language", "Español"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._busy = False

    @property
    def gosocket(self) -> LoginHost:
        return cast("LoginHost", self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="brand", classes="brand")
        # Not focusable itself: Tab goes field to field; it still scrolls to the focused field.
        with VerticalScroll(id="login-body", can_focus=False):
            with Vertical(id="login-panel"):
                with Grid(id="login-fields"):
                    yield Label(id="username-label")
                    yield Input(id="username", max_length=64, compact=True)
                    yield Label(id="password-label")
                    yield Input(id="password", password=True, max_length=256, compact=True)
                yield Static(id="login-message")
                with Horizontal(id="login-buttons"):
                    yield Button(id="login-button", variant="primary", compact=True)
                    yield Button(id="activate-button", compact=True)
            if self.gosocket.demo is not None:
                yield DemoAccounts(self.gosocket.demo, id="demo-accounts")
        yield KeyFooter()

    def on_mount(self) -> None:
        # "ana⇥secret⏎" or "ana⏎secret⏎" typed ahead: Enter in the username moves on.
        next_on_enter(self.query_one("#username", Input))
        self.relabel()
        self.gosocket.login_screen_mounted()

    def reset(self, notice: str = "") -> None:
        """Empty the form (after a login, and on logout with ``notice`` saying why)."""
        self._busy = False
        for field in self.query(Input):
            field.value = ""
        self.show_message(notice, "notice")
        self.set_focus(self.query_one("#username", Input))

    def relabel(self) -> None:
        """Put every label in the current language (after F2)."""
        self.query_one("#brand", Static).update(_("Gosocket — Suppliers"))
        self.query_one("#login-panel").border_title = _("Log in")
        self.query_one("#username-label", Label).update(_("Username"))
        self.query_one("#password-label", Label).update(_("Password"))
        self.query_one("#login-button", Button).label = _("Log in")
        self.query_one("#activate-button", Button).label = _("Activate with activation code")
        for button in self.query(Button):
            button.refresh(layout=True)  # a longer label needs a wider button
        if self.is_mounted and not self._busy:
            self.show_message("")  # a message in the old language would be confusing
        for demo in self.query(DemoAccounts):
            demo.relabel()

    def show_message(self, text: str, kind: str = "error") -> None:
        message = self.query_one("#login-message", Static)
        message.update(content(text))
        message.set_classes(f"-{kind}" if text else "")
        message.display = bool(text)

    # ---------------------------------------------------------------------- actions

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login-button")
    def submit(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        """Log in with what is in the fields (Enter in the password field, or the button).

        After Enter, the password is the one the Enter ended: keys typed ahead behind it (the
        first search, already on its way) may reach the field before this runs.
        """
        if self._busy:
            return
        username = self.query_one("#username", Input).value
        if isinstance(event, Input.Submitted):
            password = event.value
        else:
            password = self.query_one("#password", Input).value
        if not username.strip() or not password:
            self.show_message(_("Enter your username and password."))
            self.set_focus(self.query_one("#password" if username.strip() else "#username", Input))
            return
        self._busy = True
        self.show_message(_("Checking…"), "info")
        self._authenticate(username, password)

    @on(Button.Pressed, "#activate-button")
    def _activate(self) -> None:
        self.gosocket.action_activate()

    def _authenticate(self, username: str, password: str) -> None:
        # Imported here: the login screen is painted before the services are loaded.
        from gosocket_tui.services import auth

        ctx = self.gosocket.ctx
        call_service(
            self,
            lambda: auth.authenticate(ctx, username, password),
            self._succeeded,
            lambda error: self._failed(error, locked=isinstance(error, auth.AccountLocked)),
            group="login",
        )

    def _succeeded(self, session: Session) -> None:
        self._busy = False
        self.gosocket.start_session(session)

    def _failed(self, error: GosocketError, *, locked: bool) -> None:
        self._busy = False
        self.show_message(error.message, "locked" if locked else "error")
        password = self.query_one("#password", Input)
        password.value = ""
        self.set_focus(password)
