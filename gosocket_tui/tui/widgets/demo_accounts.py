"""The demo login screen's list of accounts: one line per company, and the shared password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from gosocket_tui.i18n import _
from gosocket_tui.tui.safe import text

if TYPE_CHECKING:
    from gosocket_tui.services.demo import DemoInfo


class DemoAccounts(Static):
    """Shows who can log in to the demo, compactly enough to fit under the form at 80x24."""

    def __init__(self, info: DemoInfo, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.info = info

    def on_mount(self) -> None:
        self.relabel()

    def relabel(self) -> None:
        self.border_title = _("Demo accounts")
        self.update(self._content())

    def _content(self) -> RenderableType:
        companies: dict[str, tuple[list[str], list[str]]] = {}
        for account in self.info.accounts:
            admins, users = companies.setdefault(account.company_name, ([], []))
            (admins if account.is_admin else users).append(account.username)
        table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, show_edge=False)
        table.add_column(_("Company"), style="bold", no_wrap=True, overflow="ellipsis")
        table.add_column(_("Administrator"), no_wrap=True, overflow="ellipsis")
        table.add_column(_("View only"), no_wrap=True, overflow="ellipsis")
        for name, (admins, users) in companies.items():
            table.add_row(text(name), text(", ".join(admins)), text(", ".join(users)))
        password = Text.assemble(
            (_("Password for every demo account:") + " ", "dim"), text(self.info.password, "bold")
        )
        return Group(table, password)
