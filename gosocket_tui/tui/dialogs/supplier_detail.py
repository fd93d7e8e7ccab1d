"""One supplier's details in a dialog (Enter or ``d`` on a row), which fits 80x24.

The same content as the panel under the table (``widgets/supplier_detail.py``), read in full
through ``services.suppliers.get_supplier`` with ``call_service``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from gosocket_tui.i18n import _
from gosocket_tui.services.suppliers import SupplierDetail, SupplierRow, get_supplier
from gosocket_tui.tui.dialogs.base import Dialog
from gosocket_tui.tui.host import host
from gosocket_tui.tui.safe import content
from gosocket_tui.tui.widgets.supplier_detail import detail_table
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext


class SupplierDetailScreen(Dialog[None]):
    """A supplier's details in a dialog (Escape or Enter closes it)."""

    CSS_PATH = "supplier_detail.tcss"
    FRAME_ID = "detail-dialog"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_dialog", "Close"),
    ]

    def __init__(self, ctx: ServiceContext, row: SupplierRow) -> None:
        super().__init__()
        self.ctx = ctx
        self.row = row

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static(detail_table(self.row), id="detail-content")
        yield Button(_("Close"), id="detail-close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail-dialog").border_title = content(self.row.name)
        self.query_one("#detail-close", Button).focus()
        session = host(self).session
        if session is not None:
            ctx, link_id = self.ctx, self.row.id
            call_service(
                self,
                lambda: get_supplier(ctx, session, link_id),
                self._loaded,
                group="supplier-detail-dialog",
            )

    def _loaded(self, result: SupplierDetail) -> None:
        self.row = result
        self.query_one("#detail-content", Static).update(detail_table(result))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
