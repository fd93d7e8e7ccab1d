"""Command palette entries (ctrl+p): every navigation target, log out, language, quit.

What is offered depends on whether someone is logged in. Each entry only calls an action that
a key binding also reaches, so the palette is a second way in, never the only one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from gosocket_tui.i18n import _

if TYPE_CHECKING:
    from gosocket_tui.services.demo import DemoInfo
    from gosocket_tui.services.session import Session


class PaletteHost(Protocol):
    """What the palette's entries call on the app (``GosocketApp`` is checked against it)."""

    @property
    def session(self) -> Session | None: ...

    def show_target(self, view: str, tab: str | None = None) -> None: ...

    def open_bulk_import(self) -> None: ...

    def action_logout(self) -> None: ...

    async def action_quit(self) -> None: ...

    def action_activate(self) -> None: ...

    def action_my_keys(self) -> None: ...

    def action_toggle_language(self) -> None: ...

    @property
    def demo(self) -> DemoInfo | None: ...

    def open_tour(self) -> None: ...

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None: ...


@dataclass(frozen=True)
class PaletteCommand:
    title: str
    help: str
    callback: Callable[[], Any]


def palette_commands(app: PaletteHost) -> list[PaletteCommand]:
    """The entries for the app as it is now (translated into the current language)."""
    tour = (
        [
            PaletteCommand(
                _("Guided tour"),
                _("Walk the help article's steps, with the key for each"),
                app.open_tour,
            )
        ]
        if app.demo is not None
        else []
    )
    screenshot = PaletteCommand(
        _("Save screenshot"),
        _("Save the screen as an SVG picture in the screenshots folder"),
        app.action_screenshot,
    )
    if app.session is not None:
        show = app.show_target
        bulk = (
            [
                PaletteCommand(
                    _("Network → Bulk add suppliers"),
                    _("Register many suppliers from a CSV or Excel file"),
                    app.open_bulk_import,
                )
            ]
            if app.session.is_admin
            else []
        )
        settings = (
            [
                PaletteCommand(
                    _("Settings"),
                    _("Reminders, personal note and reply-to of your invitations"),
                    partial(show, "settings"),
                )
            ]
            if app.session.is_admin
            else []
        )
        return [
            PaletteCommand(
                _("Overview"),
                _("Onboarding: funnel, time to activation, weekly chart, oldest invitations"),
                partial(show, "overview"),
            ),
            PaletteCommand(
                _("Network → Suppliers"),
                _("Your suppliers: search by Tax ID, add, invite"),
                partial(show, "network", "suppliers"),
            ),
            *bulk,
            PaletteCommand(
                _("Network → Clients"),
                _("Companies that have you as their supplier"),
                partial(show, "network", "clients"),
            ),
            PaletteCommand(
                _("Mailbox"), _("Invitation emails and their delivery"), partial(show, "mailbox")
            ),
            PaletteCommand(
                _("Activity"), _("Your company's audit trail"), partial(show, "activity")
            ),
            *settings,
            PaletteCommand(
                _("My SSH keys"),
                _("See and remove the SSH keys you log in with"),
                app.action_my_keys,
            ),
            *tour,
            screenshot,
            PaletteCommand(_("Log out"), _("End your session"), app.action_logout),
            PaletteCommand(_("Quit"), _("Leave the application"), app.action_quit),
        ]
    return [
        PaletteCommand(
            _("Activate with activation code"),
            _("For invited suppliers: enter the code from the invitation email"),
            app.action_activate,
        ),
        PaletteCommand(
            _("Switch language (English/Español)"),
            _("Show the application in the other language"),
            app.action_toggle_language,
        ),
        *tour,
        screenshot,
        PaletteCommand(_("Quit"), _("Leave the application"), app.action_quit),
    ]


class NavigationCommands(Provider):
    """The app's own palette entries (Textual's system commands are not offered)."""

    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(cast("PaletteHost", self.app))

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    command.callback,
                    text=command.title,
                    help=command.help,
                )
