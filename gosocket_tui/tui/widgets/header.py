"""The shell's header line: brand, company and Tax ID on the left, the user on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import Label, Static

from gosocket_tui.i18n import _
from gosocket_tui.tui.safe import content, plain

if TYPE_CHECKING:
    from gosocket_tui.services.session import Session


def tax_id_label(country: str, compact: str) -> str:
    """``CL RUT 76.086.428-5``: country, the local name of the Tax ID, its display form."""
    # Imported here, for startup speed: python-stdnum is not needed to paint the login screen.
    from gosocket_tui.services.taxid import COUNTRIES, format_tax_id

    id_name = next((c.id_name for c in COUNTRIES if c.code == country), "")
    return " ".join(part for part in (country, id_name, format_tax_id(country, compact)) if part)


class ShellHeader(Horizontal):
    """Who is logged in, for which company. No clock: snapshots stay stable.

    On a narrow terminal the Tax ID and the badge stay whole: the company name (then the
    username, then the brand) give up their room first, ending in an ellipsis.
    """

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session

    def compose(self) -> ComposeResult:
        session = self.session
        yield Label("Gosocket │", id="header-brand")
        yield Label(content(session.company_name), id="header-company")
        yield Label(
            content(tax_id_label(session.company_country, session.company_tax_id)),
            id="header-tax-id",
        )
        yield Static(id="header-space")
        yield Label(content(session.username), id="header-user")
        if session.key_fingerprint:
            # Logged in by SSH key (``gosocket-tui serve``): no password was asked.
            yield Label(_("by SSH key"), id="header-key")
        if session.is_admin:
            yield Label(_("administrator"), id="header-badge")

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        brand = self.query_one("#header-brand", Label)
        company = self.query_one("#header-company", Label)
        user = self.query_one("#header-user", Label)
        tax_id = tax_id_label(self.session.company_country, self.session.company_tax_id)
        # Cells: each label's text plus its padding (see app.tcss).
        fixed = cell_len(tax_id) + 1
        if self.session.key_fingerprint:
            fixed += cell_len(_("by SSH key")) + 1
        if self.session.is_admin:
            fixed += cell_len(_("administrator")) + 3
        brand_cells = cell_len("Gosocket │") + 2
        user_cells = cell_len(plain(self.session.username)) + 1
        room = width - fixed
        show_brand = room - brand_cells >= 24
        brand.display = show_brand
        room -= brand_cells if show_brand else 0
        user_room = max(8, min(user_cells, room // 3))
        user.styles.max_width = user_room
        company.styles.max_width = max(6, room - min(user_cells, user_room))
