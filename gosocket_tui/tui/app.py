"""The app and its one factory, ``make_app``, shared by the CLI, the demo and the tests.

The app holds the service context (database, settings, clock) and the current ``Session``.
It starts on the login screen; a successful login switches to the shell; logging out, an idle
timeout or a disabled account switches back to a fresh login screen.

Idle timeout: every key press records activity (``services.session.touch``, no database). A
timer calls :meth:`GosocketApp.check_session` every few seconds; the check runs
``session_expired_reason`` in a thread worker (``tui.workers.call_service``: it reads the
account) and logs out with the reason on the login screen. Tests call ``check_session()``
directly after advancing their ``FixedClock``.

Mail delivery: while the app runs (``Preset.deliver_mail``, true in ``LIVE``), a timer
calls :meth:`GosocketApp.kick_delivery` every few seconds (not in a session logged in by key,
where ``serve`` runs beside ``mail deliver --watch``); it sends the due invitation emails
in a thread worker that runs the app's ``services.delivery.pump.DeliveryPump`` (one run at a
time, each problem logged once, never shown to anyone). Whoever queues an invitation calls
``app.kick_delivery()`` so it leaves at once. Tests build the app with the ``SNAPSHOT``
preset (no background delivery among other things) and deliver explicitly.

The demo's guided tour (``demo --tour``, or Guided tour in its palette) is the app's too:
``tui/tour.py`` holds its steps, and the app feeds it what happens (``Happened`` messages
from screens and views, ``tui/host.py``, and its own logins and logouts), so it survives
every screen change; ``tui/tour_panel.py`` shows it on each full screen.

Imports inside methods are late for startup speed (``benchmarks/startup.py``): the login
screen paints before the shell, its views and the services behind them are loaded.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.driver import Driver
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, get_current_worker

from gosocket_tui.i18n import _, get_language, set_language
from gosocket_tui.safe_text import plain
from gosocket_tui.services.delivery.pump import DeliveryPump
from gosocket_tui.services.screenshots import ScreenshotFolder, default_screenshots_dir
from gosocket_tui.tui.collector import OpeningPause
from gosocket_tui.tui.commands import NavigationCommands, PaletteHost
from gosocket_tui.tui.driver import HangupAwareDriver, InputEnded
from gosocket_tui.tui.host import AppHost, Happened, InvitationsQueued, SessionEnded
from gosocket_tui.tui.presets import LIVE, Preset
from gosocket_tui.tui.screens.login import LoginHost, LoginScreen
from gosocket_tui.tui.tour import Seen, Tour
from gosocket_tui.tui.typeahead import HeldKeys, moves_on_enter
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.demo import DemoInfo
    from gosocket_tui.services.exchange import FilePlace
    from gosocket_tui.services.session import Session
    from gosocket_tui.tui.screens.activation import KeyActivation

SESSION_CHECK_SECONDS = 5.0
# A session logged in by key (``gosocket-tui serve``): the server itself re-checks the key and
# the account every few seconds and ends the connection, so the app checks only its idle
# timeout, and rarely: each check wakes a thread and reads the database, which at fifty idle
# sessions is most of what the server spends (benchmarks/ssh_sessions.py).
KEY_SESSION_CHECK_SECONDS = 30.0
DELIVERY_SECONDS = 5.0
EXIT_AFTER_PAINT_ENV = "GOSOCKET_EXIT_AFTER_PAINT"
NOTICES_KEPT = 100


class GosocketApp(App[None]):
    """Gosocket supplier management. Build it with :func:`make_app`."""

    CSS_PATH = "app.tcss"
    TITLE = "Gosocket"
    COMMANDS: ClassVar = {NavigationCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=True, priority=True),
        Binding("ctrl+c", "help_quit", show=False, system=True),
        # Keys typed ahead land in the field they were meant for (``tui/typeahead.py``):
        # Tab, Shift+Tab and Enter in a form field move the focus as the key arrives.
        Binding("tab", "step_focus(1)", show=False, priority=True),
        Binding("shift+tab", "step_focus(-1)", show=False, priority=True),
        Binding("enter", "enter_field", show=False, priority=True),
        # The demo's guided tour (``tui/tour.py``): shown in its panel, not in the footer.
        Binding("f7", "tour_back", "Back", show=False),
        Binding("f8", "tour_skip", "Skip", show=False),
        Binding("f9", "tour_restart", "Restart", show=False),
        Binding("f10", "tour", "Guided tour", show=False),
        # Every screen, login and activation included (``tui/screenshot.py``).
        Binding("f12", "screenshot", "Screenshot", show=False, priority=True),
    ]

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        demo: DemoInfo | None = None,
        tour: bool = False,
        animations: bool = True,
        cursor_blink: bool = True,
        deliver_mail: bool = True,
        remote: bool = False,
        signed_in: Session | None = None,
        activation: KeyActivation | None = None,
        screenshots: ScreenshotFolder | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.remote = remote
        # Logged in before the app started (by SSH key): no login screen, and logging out
        # ends the app (the connection), never offers a password login in its place.
        self.signed_in = signed_in
        # An activation over SSH (``ssh activate@host``): the activation screen is all there
        # is; leaving it ends the app (the connection).
        self.activation = activation
        self.demo = demo
        self.screenshots = screenshots or ScreenshotFolder(default_screenshots_dir())
        self.session: Session | None = None
        self.cursor_blink = cursor_blink
        self.deliver_mail = deliver_mail
        if not animations:
            self.animation_level = "none"
        self._exit_after_paint = os.environ.get(EXIT_AFTER_PAINT_ENV) == "1"
        # host:pid names this app's claims (several apps may share one database).
        self._delivery = DeliveryPump(ctx, worker_id=f"tui-{socket.gethostname()}:{os.getpid()}")
        self._held_keys = HeldKeys(self)  # typed ahead while a screen opens
        self._opening = OpeningPause()  # the garbage collector, while a shell opens
        self.notices: deque[Notification] = deque(maxlen=NOTICES_KEPT)
        # The trainers' guided tour: the app's, so it survives login, logout and activation.
        self.tour: Tour | None = Tour() if tour and demo is not None else None
        self.tour_hidden = False
        # Set by a replayed script (``tui/script.py``): every notice lasts this long.
        self.notice_timeout: float | None = None
        set_language(ctx.config.lang)

    # ----------------------------------------------------------------- start and screens

    def get_default_screen(self) -> Screen[Any]:
        """The login screen is the bottom of the stack for the whole run.

        The shell is pushed above it after a login and popped on logout, when the login form
        is emptied (:meth:`LoginScreen.reset`). The first thing painted is the login screen.
        """
        if self.activation is not None:
            return Screen()  # under the activation screen (:meth:`on_mount`), never shown
        return LoginScreen()

    def get_driver_class(self) -> type[Driver]:
        """On Linux and macOS, a driver that ends the app when its terminal input ends."""
        driver = super().get_driver_class()
        if driver.__module__ != "textual.drivers.linux_driver":
            return driver  # Windows, or a driver chosen by TEXTUAL_DRIVER
        return HangupAwareDriver

    def on_mount(self) -> None:
        if self.activation is not None:
            # Pushed, not the default screen: Textual loads a pushed screen's own CSS.
            from gosocket_tui.tui.screens.activation import KeyActivationScreen

            self.push_screen(KeyActivationScreen(self.ctx, self.activation))
        by_key = self.signed_in is not None
        self.set_interval(
            KEY_SESSION_CHECK_SECONDS if by_key else SESSION_CHECK_SECONDS, self.check_session
        )
        # Over ``serve`` the deliverer (``mail deliver --watch``, a unit beside it) retries
        # what is due; a session still sends at once what it queues (``InvitationsQueued``).
        if self.deliver_mail and not by_key:
            self.set_interval(DELIVERY_SECONDS, self.kick_delivery)
        self.screen_change_signal.subscribe(self, self._screen_changed)
        if self.tour is not None:
            self.call_after_refresh(self.show_tour)

    @property
    def maildir(self) -> Path | None:
        """The Maildir of a local mail sink to show in the Mailbox (demo, or ``maildir``
        configured), or None when mail goes to a real server only."""
        if self.demo is not None and self.demo.maildir is not None:
            return Path(self.demo.maildir)
        configured = self.ctx.config.maildir
        return Path(configured).expanduser() if configured else None

    def files_for(self, session: Session) -> FilePlace:
        """Where ``session`` may read and write files: its own paths, or when remote only its
        company's exchange folder."""
        from gosocket_tui.services.exchange import files_for

        return files_for(
            self.ctx.config, session.company_id, remote=self.remote, username=session.username
        )

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """F12 and the palette: the screen as SVG in the screenshots folder (remotely the
        exchange folder). Textual's ``filename`` and ``path`` are ignored: nothing but the app
        names the file or its folder (``tui/screenshot.py``)."""
        from gosocket_tui.tui.screenshot import take_screenshot

        take_screenshot(self, self, self.screenshots)

    def login_screen_mounted(self) -> None:
        """Called by the login screen once mounted."""
        if self.signed_in is not None and self.session is None:
            self.start_session(self.signed_in)  # logged in by key: straight to the shell
        if self._exit_after_paint:
            # benchmarks/startup.py: leave as soon as the login screen was painted.
            self._exit_after_paint = False
            self.call_after_refresh(self.exit)

    @property
    def login_screen(self) -> LoginScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, LoginScreen)
        return screen

    # Screen changes are not awaited: the stack changes at once and the old screens are
    # removed in the background. Awaiting here from a handler of a screen being removed
    # would wait for that very screen and never return.

    def _pop_to_login(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def show_login(self, notice: str = "") -> None:
        """Close whatever is showing (dialogs, palette, shell): back to an empty login form."""
        self._pop_to_login()
        self.login_screen.reset(notice)

    def start_session(self, session: Session) -> None:
        """Called by the login screen once ``authenticate`` returned a session."""
        from gosocket_tui.tui.screens.shell import ShellScreen

        self._opening.start(self)
        self.session = session
        self._pop_to_login()
        self.login_screen.reset()
        self.push_screen(ShellScreen(self.ctx, session))
        self.saw(
            Seen(
                "logged_in",
                admin=session.is_admin,
                company_id=session.company_id,
                username=session.username,
            )
        )

    def show_target(self, view: str, tab: str | None = None) -> None:
        """Open a navigation target of the shell (``network``/``mailbox``/``activity``)."""
        from gosocket_tui.tui.screens.shell import ShellScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, ShellScreen):
                screen.show(view, tab, focus=True)
                return

    def open_bulk_import(self) -> None:
        """Network → Suppliers, then Bulk add suppliers (the palette's way to ctrl+o)."""
        from gosocket_tui.tui.screens.shell import ShellScreen
        from gosocket_tui.tui.views.network import NetworkView

        for screen in reversed(self.screen_stack):
            if isinstance(screen, ShellScreen):
                screen.show("network", "suppliers", focus=True)
                screen.query_one(NetworkView).suppliers.action_bulk_import()
                return

    def push_bulk_import(self, done: Callable[[bool], object]) -> None:
        """Open Bulk add suppliers over the shell now; ``done(True)`` after an import."""
        # Imported here: the file readers are not needed to paint the shell after login.
        from gosocket_tui.tui.screens.bulk_import import BulkImportResult, BulkImportScreen

        if self.session is None:
            return

        def closed(result: BulkImportResult | None) -> None:
            done(result is not None)

        self.push_screen(BulkImportScreen(self.ctx, self.session), closed)
        self.saw(Seen("bulk_opened"))

    def action_my_keys(self) -> None:
        """Open My SSH keys over the shell (its key in the shell's bindings, or the palette)."""
        from gosocket_tui.tui.dialogs.my_keys import MyKeysScreen

        if self.session is not None and not isinstance(self.screen, MyKeysScreen):
            self.push_screen(MyKeysScreen(self.ctx, self.session))

    def action_activate(self) -> None:
        """Open the supplier activation screen (from the login screen)."""
        from gosocket_tui.tui.screens.activation import ActivationScreen

        if self.session is None and not isinstance(self.screen, ActivationScreen):
            self.push_screen(ActivationScreen(self.ctx), self._activation_closed)

    def _activation_closed(self, username: str | None) -> None:
        """Back from the activation screen: after a success, the new username is filled in."""
        if not username or self.session is not None:
            return
        login = self.login_screen
        login.reset()
        login.query_one("#username", Input).value = username
        login.show_message(_("Your company is registered. Log in with your new password."), "info")
        login.set_focus(login.query_one("#password", Input))

    # ------------------------------------------------------------------ keys typed ahead

    def action_step_focus(self, step: int) -> None:
        if step > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    def action_enter_field(self) -> None:
        """Enter in a text field: the next field now (``next_on_enter``), or submit in the
        field's own queue, after the keys typed before the Enter and before those typed
        after it (resolved by Textual as a binding, the Enter came after both)."""
        focused = self.focused
        if moves_on_enter(focused):
            self.screen.focus_next()
        elif isinstance(focused, Input):
            focused.call_later(focused.action_submit)

    # ------------------------------------------------------------------ display safety

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification is plain text: messages echo names, inputs and server replies.

        ``markup`` is accepted for Textual's signature and ignored: no notice parses markup,
        and control characters are replaced (``tui/safe.py``).
        """
        super().notify(
            plain(message, keep_newlines=True),
            title=plain(title),
            severity=severity,
            timeout=self.notice_timeout or timeout,
            markup=False,
        )

    def on_notify(self, event: Notify) -> None:
        """Keep the last notices shown, newest last (Textual keeps only those on screen)."""
        self.notices.append(event.notification)

    async def _broker_event(
        self, event_name: str, event: events.Event, default_namespace: DOMNode
    ) -> bool:
        """Run no action that came from markup (``[@click=app.screenshot(…)]``).

        The app writes no ``@click`` links of its own; text from users is never parsed as
        markup, and should a value slip through, clicking it still does nothing.
        """
        return False

    def get_key_display(self, binding: Binding) -> str:
        """``F1`` rather than ``f1`` in the footer; the rest as Textual shows them."""
        key = binding.key
        if not binding.key_display and key[:1] == "f" and key[1:].isdigit():
            return key.upper()
        return super().get_key_display(binding)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(
                CommandPalette(id="--command-palette", placeholder=_("Search for commands…"))
            )

    def action_toggle_language(self) -> None:
        """Switch English/Spanish; screens that can re-render themselves do so."""
        set_language("es" if get_language() == "en" else "en")
        for screen in self.screen_stack:
            relabel = getattr(screen, "relabel", None)
            if callable(relabel):
                relabel()
        self.screen.refresh_bindings()
        if self.tour is not None:
            self.show_tour()

    # --------------------------------------------------------------------- activity

    async def on_event(self, event: events.Event) -> None:
        if (
            isinstance(event, events.Key | events.Paste | events.MouseDown)
            and not event.is_forwarded
        ):
            self.record_activity()
        if isinstance(event, events.Key) and not event.is_forwarded and self._held_keys.hold(event):
            return
        await super().on_event(event)

    def record_activity(self) -> None:
        """Restart the idle timer (no database access: safe on the event loop)."""
        if self.session is not None:
            from gosocket_tui.services.session import touch

            self.session = touch(self.ctx, self.session)

    def watch_app_focus(self, focus: bool) -> None:
        """In a browser (``demo --web``) Textual's web driver blurs the app as it starts,
        before the first screen focused its field, and the focus came back to nothing: keys
        typed went nowhere. A screen with nothing focused gets its ``AUTO_FOCUS`` field at
        once (the key that gave the app its focus back goes there too)."""
        screen = self.screen
        if not focus or screen.focused is not None or not screen.AUTO_FOCUS:
            return
        for widget in screen.query(screen.AUTO_FOCUS):
            if widget.focusable:
                screen.set_focus(widget, scroll_visible=False)
                return

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Snapshot mode: a focused input shows a steady cursor instead of a blinking one.
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    # ------------------------------------------------------------------ session checks

    def check_session(self) -> Worker[None] | None:
        """Check the current session (idle, lifetime, account still active) in a worker.

        Returns the worker (tests may ``await worker.wait()``), or None when nobody is logged in.
        """
        session = self.session
        if session is None:
            return None
        # Imported here: the app starts (and paints the login screen) before the services load.
        from gosocket_tui.services.session import session_expired_reason

        ctx = self.ctx
        return call_service(
            self,
            lambda: session_expired_reason(ctx, session),
            lambda reason: self._session_invalid(session, reason),
            lambda error: None,  # a database busy or gone is no reason to log anyone out
            group="session-check",
        )

    def _session_invalid(self, checked: Session, reason: str | None) -> None:
        if not reason:
            return
        current = self.session
        if current is None or current.user_id != checked.user_id:
            return
        if current.started_at != checked.started_at:
            return
        if current.last_seen_at != checked.last_seen_at:
            # The user was active while the check ran: check again with the fresh session.
            self.check_session()
            return
        self.end_session(reason=reason, notice=reason)

    def on_unmount(self) -> None:
        self._opening.end()  # the app ends (the process may go on: tests, SSH sessions)

    def on_paged_table_rows_painted(self) -> None:
        """A table painted rows (they bubble up from any table): a shell that was opening
        has its first rows on screen, the garbage collector goes on."""
        self._opening.end()

    def on_session_ended(self, message: SessionEnded) -> None:
        """A service refused the session while a screen waited: log out once, with why."""
        message.stop()
        if self.session is not None:
            self.end_session(reason=message.reason, notice=message.reason)

    def on_invitations_queued(self, message: InvitationsQueued) -> None:
        message.stop()
        self.kick_delivery()

    def end_session(self, *, reason: str = "", notice: str = "") -> None:
        """Log out (audited in a worker) and go back to an empty login screen."""
        session = self.session
        self.session = None
        if session is not None:
            worker = self._audit_logout(session, reason)
            if self.signed_in is not None:
                self._exit_when_done(worker, notice)
                return
        self.show_login(notice=notice)
        if session is not None:
            self.saw(Seen("logged_out"))

    @work(group="exit")
    async def _exit_when_done(self, logout: Worker[None], notice: str) -> None:
        """The key session ended: leave once the logout is recorded, saying why."""
        await logout.wait()
        self.exit(message=notice or None)

    def _audit_logout(self, session: Session, reason: str) -> Worker[None]:
        """Record the logout in a worker; a failure to record it is a warning, not a stop."""
        # Imported here: the app starts (and paints the login screen) before the services load.
        from gosocket_tui.services import auth

        ctx = self.ctx
        return call_service(
            self,
            lambda: auth.logout(ctx, session, reason),
            lambda done: None,
            lambda error: self.notify(error.message, severity="warning"),
            group="audit",
            exclusive=False,
        )

    async def action_quit(self) -> None:
        """Quit; an open session is logged out first (audited as ended by quitting)."""
        session, self.session = self.session, None
        if session is not None:
            await self._audit_logout(session, "quit").wait()
        self.exit()

    @on(InputEnded)
    async def _input_ended(self) -> None:
        """The terminal is gone (connection dropped): log out and leave, as on ctrl+q."""
        session, self.session = self.session, None
        if session is not None:
            await self._audit_logout(session, "input closed").wait()
        self.exit()

    def action_logout(self) -> None:
        if self.session is not None:
            self.end_session(notice=_("You have logged out."))

    # ------------------------------------------------------------------ the guided tour

    def saw(self, seen: Seen) -> None:
        """Tell the guided tour (if one runs) what happened; its step may tick."""
        if self.tour is not None and self.tour.see(seen):
            self.call_after_refresh(self.show_tour)

    def on_happened(self, message: Happened) -> None:
        message.stop()
        self.saw(message.seen)

    def _screen_changed(self, screen: Screen[Any]) -> None:
        if self.tour is not None:
            self.call_after_refresh(self.show_tour)

    def show_tour(self) -> None:
        """Show the tour where it is on every screen (a panel, the step's widget marked)."""
        from gosocket_tui.tui.tour_panel import show_tour

        show_tour(self, self.tour, hidden=self.tour_hidden)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "enter_field":  # elsewhere Enter does what the focused widget does
            return isinstance(self.focused, Input)
        if action == "tour":
            return self.demo is not None
        if action in ("tour_back", "tour_skip", "tour_restart"):
            return self.tour is not None and not self.tour_hidden
        return True

    def action_tour(self) -> None:
        """Start the guided tour (the demo only), or hide and show its panel again."""
        if self.demo is None:
            return
        if self.tour is None:
            self.tour = Tour()
            self.tour_hidden = False
        else:
            self.tour_hidden = not self.tour_hidden
        self.show_tour()

    def open_tour(self) -> None:
        """The palette's Guided tour: start it, or show its panel if hidden."""
        if self.tour is not None and self.tour_hidden:
            self.tour_hidden = False
            self.show_tour()
        elif self.tour is None:
            self.action_tour()

    def action_tour_back(self) -> None:
        if self.tour is not None and self.tour.back():
            self.show_tour()

    def action_tour_skip(self) -> None:
        if self.tour is not None and self.tour.skip():
            self.show_tour()

    def action_tour_restart(self) -> None:
        """Ask, then start the tour over on a fresh demo database, at the login screen."""
        from gosocket_tui.tui.dialogs.invite import ConfirmScreen

        if self.tour is None or self.demo is None:
            return
        question = ConfirmScreen(
            _("Restart the tour"),
            [
                _(
                    "Start the tour over with a fresh demo database? Everything done in the "
                    "demo is lost, and the login screen comes back."
                )
            ],
            confirm_label=_("Restart"),
            destructive=True,
        )
        self.push_screen(question, self._restart_confirmed)

    def _restart_confirmed(self, ok: bool | None) -> None:
        from gosocket_tui.services.demo import reset_demo

        if not ok or self.demo is None:
            return
        ctx, maildir = self.ctx, self.demo.maildir
        call_service(
            self,
            lambda: reset_demo(ctx, maildir),
            lambda done: self._demo_reset(),
            lambda error: self.notify(error.message, severity="error"),
            group="tour-restart",
        )

    def _demo_reset(self) -> None:
        """The demo database is fresh: whoever was logged in is gone with it."""
        self.session = None
        if self.tour is not None:
            self.tour.restart()
        self.tour_hidden = False
        self.show_login(notice=_("The demo database is fresh: the tour starts over."))
        self.show_tour()

    # ------------------------------------------------------------------ mail delivery

    def kick_delivery(self) -> Worker[None] | None:
        """Send the due invitation emails now, in a thread worker (never blocks the screen).

        Call it right after queueing invitations. While a run is going on, the kick asks for
        one more run when it ends (a message queued meanwhile may have been missed) and returns
        None; tests may ``await`` the returned worker. Does nothing with ``deliver_mail=False``.
        """
        if not self.deliver_mail or not self._delivery.request():
            return None
        return self._deliver()

    @work(thread=True, group="mail-delivery", exit_on_error=False)
    def _deliver(self) -> None:
        worker = get_current_worker()
        self._delivery.run(cancelled=lambda: worker.is_cancelled)


if TYPE_CHECKING:

    def _is_host(app: GosocketApp) -> tuple[AppHost, LoginHost, PaletteHost]:
        # mypy checks that the app gives its screens what their protocols promise
        return app, app, app


def make_app(
    ctx: ServiceContext,
    *,
    demo: DemoInfo | None = None,
    tour: bool = False,
    preset: Preset = LIVE,
    remote: bool | None = None,
    signed_in: Session | None = None,
    activation: KeyActivation | None = None,
    screenshots: Path | None = None,
) -> GosocketApp:
    """The one app factory: the CLI, the demo, the tests and any remote front end use it.

    ``preset`` is ``LIVE`` for people and ``SNAPSHOT`` for tests (see :class:`Preset`).
    ``remote`` says the person is on another machine (an SSH session): files then come and go
    only through the company's exchange folder (``services/exchange.py``), and the cursor
    does not blink. Left out, it is true when ``SSH_CONNECTION`` is set; the app's own SSH
    server passes it explicitly.
    ``signed_in`` is a session already logged in (by SSH key): the login screen is skipped.
    ``activation`` is an activation over SSH: the app is the activation screen and nothing else.
    ``tour`` starts the demo's guided tour (``demo --tour``; ignored outside the demo).
    ``screenshots`` is the folder F12 saves pictures in (default: in the user data folder).
    """
    from gosocket_tui.services.exchange import is_remote_environment

    remote = is_remote_environment() if remote is None else remote
    return GosocketApp(
        ctx,
        demo=demo,
        tour=tour,
        animations=preset.animations,
        # Over SSH a blink is a repaint sent every half second: most of what an idle remote
        # session costs the server (benchmarks/ssh_sessions.py). The cursor stays steady.
        cursor_blink=preset.cursor_blink and not remote,
        deliver_mail=preset.deliver_mail,
        remote=remote,
        signed_in=signed_in,
        activation=activation,
        screenshots=ScreenshotFolder(screenshots) if screenshots is not None else None,
    )
