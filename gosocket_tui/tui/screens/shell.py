"""The app shell after login: header, sidebar (Overview, Network, Mailbox, Activity, Settings),
content, footer.

The sidebar is an ``OptionList``: arrows move and show the view at once, Enter moves the focus
into it. The function keys of :attr:`ShellScreen.BINDINGS` jump to each view from anywhere in
the shell (F1 Overview, F2 Network, F3 Mailbox, F4 Activity, F5 Settings: administrators
only, not in anyone else's sidebar, footer or palette); F6 opens the user's own SSH keys (a
dialog, not a view); ctrl+l logs out. The command palette (ctrl+p) reaches the same targets
through :meth:`ShellScreen.show`.

Login lands on Network → Suppliers (the article's first step), though Overview is first in the
sidebar. Only Network is built at login; the other views are mounted the first time they are
shown. Building every view up front doubled the time from login to the first rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import ContentSwitcher, OptionList
from textual.widgets.option_list import Option

from gosocket_tui.i18n import _
from gosocket_tui.tui.host import Happened
from gosocket_tui.tui.tour import Seen
from gosocket_tui.tui.views.activity import ActivityView
from gosocket_tui.tui.views.base import View
from gosocket_tui.tui.views.mailbox import MailboxView
from gosocket_tui.tui.views.network import NetworkView
from gosocket_tui.tui.views.overview import OverviewView
from gosocket_tui.tui.views.settings import SettingsView
from gosocket_tui.tui.views.suppliers_panel import SuppliersPanel
from gosocket_tui.tui.widgets.footer import KeyFooter
from gosocket_tui.tui.widgets.header import ShellHeader

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

# (view id, English label); the order is the sidebar's and the F-keys'.
TARGETS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("network", "Network"),
    ("mailbox", "Mailbox"),
    ("activity", "Activity"),
    ("settings", "Settings"),
)
#: Targets only administrators see (sidebar, F-key and palette); the services refuse the rest.
ADMIN_TARGETS = frozenset({"settings"})

LANDING = "network"  # where a login lands: the Tax ID filter of Network → Suppliers
LANDING_INDEX = [view for view, _label in TARGETS].index(LANDING)


class ShellScreen(Screen[None]):
    """Everything a logged-in user does happens inside this screen."""

    CSS_PATH = "shell.tcss"
    AUTO_FOCUS = "#sidebar"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not in the footer: at 80 columns a fourth view key leaves no room for the focused
        # table's own keys; Overview is the sidebar's first entry and in the palette.
        Binding("f1", "show('overview')", "Overview", show=False),
        Binding("f2", "show('network')", "Network"),
        Binding("f3", "show('mailbox')", "Mailbox"),
        Binding("f4", "show('activity')", "Activity"),
        # Not in the footer either (like F1): at 80 columns the table's keys need the room.
        Binding("f5", "show('settings')", "Settings", show=False),
        Binding("f6", "app.my_keys", "My SSH keys", show=False),
        Binding("ctrl+l", "app.logout", "Log out"),
    ]

    def __init__(self, ctx: ServiceContext, session: Session) -> None:
        super().__init__()
        self.ctx = ctx
        self.session = session

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.session, id="header")
        with Horizontal(id="shell-body"):
            options = (Option(_(label), id=view) for view, label in self.targets)
            yield OptionList(*options, id="sidebar")
            with ContentSwitcher(id="content", initial=LANDING):
                yield NetworkView(self.ctx, self.session, id="network")
        yield KeyFooter()

    def _mounted_view(self, view: str) -> AwaitMount | None:
        """Mount ``view`` into the content switcher unless it is there already; returns the
        pending mount of a view not yet mounted (a click highlights, which mounts, and selects,
        which focuses, in one go: the focus must wait for the same mount)."""
        content = self.query_one("#content", ContentSwitcher)
        existing = content.query_children(f"#{view}")
        if existing:
            widget = existing.first()
            return None if widget.is_mounted else AwaitMount(content, [widget])
        views: dict[str, type[View]] = {
            "overview": OverviewView,
            "mailbox": MailboxView,
            "activity": ActivityView,
            "settings": SettingsView,
        }
        return content.mount(views[view](self.ctx, self.session, id=view))

    def on_mount(self) -> None:
        self.query_one("#sidebar", OptionList).highlighted = LANDING_INDEX

    def on_suppliers_panel_ready(self, event: SuppliersPanel.Ready) -> None:
        """The article's first step is typing a Tax ID: the filter gets the focus at login
        (the sidebar had it until the panel was built; the function keys reach every view)."""
        if self.focused is None or self.focused.id == "sidebar":
            event.panel.action_focus_search()

    @property
    def targets(self) -> tuple[tuple[str, str], ...]:
        """The sidebar's targets for this user (administrators see Settings too)."""
        admin = self.session.is_admin
        return tuple(t for t in TARGETS if admin or t[0] not in ADMIN_TARGETS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Settings' key is neither shown nor working for a non-administrator."""
        shown = dict(self.targets)
        return not (action == "show" and bool(parameters) and parameters[0] not in shown)

    @property
    def current(self) -> str:
        return self.query_one("#content", ContentSwitcher).current or LANDING

    def show(self, view: str, tab: str | None = None, *, focus: bool = False) -> None:
        """Show ``view`` (and, for the network, its ``suppliers`` or ``clients`` tab)."""
        ids = [target for target, _label in self.targets]
        if view not in ids:
            raise ValueError(view)
        mounting = self._mounted_view(view)
        self.query_one("#content", ContentSwitcher).current = view
        sidebar = self.query_one("#sidebar", OptionList)
        if sidebar.highlighted != ids.index(view):
            sidebar.highlighted = ids.index(view)
        network = self.query_one(NetworkView)
        if tab is not None:
            network.show_tab(tab)
        shown_tab = (tab or network.active_tab) if view == "network" else ""
        self.post_message(Happened(Seen("view_shown", view=view, tab=shown_tab)))
        if not focus:
            return

        def move_focus() -> None:
            if not self.query_one(f"#{view}", View).focus_content():
                sidebar.focus()

        if mounting is None:
            move_focus()
        else:

            async def when_mounted() -> None:
                await mounting
                move_focus()

            self.call_later(when_mounted)

    def action_show(self, view: str) -> None:
        self.show(view, focus=True)

    @on(OptionList.OptionHighlighted, "#sidebar")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._mounted_view(event.option.id)
            self.query_one("#content", ContentSwitcher).current = event.option.id

    @on(OptionList.OptionSelected, "#sidebar")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.show(event.option.id, focus=True)
