"""One supplier's details in a dialog (Enter or ``d`` on a row), which fits 80x24.

The same content as the panel under the table (``widgets/supplier_detail.py``), read in full
through ``services.suppliers.get_supplier`` in a thread worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Button, Static
from textual.worker import get_current_worker

from gosocket_tui.errors import GosocketError, SessionExpired
from gosocket_tui.i18n import _
from gosocket_tui.services.suppliers import SupplierDetail, SupplierRow, get_supplier
from gosocket_tui.tui.dialogs.base import Dialog
from gosocket_tui.tui.safe import content
from gosocket_tui.tui.session import end_session
from gosocket_tui.tui.widgets.supplier_detail import detail_table

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session


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
        session: Session | None = getattr(self.app, "session", None)
        if session is not None:
            self._load(session, self.row.id)

    @work(thread=True, exclusive=True, group="supplier-detail-dialog")
    def _load(self, session: Session, link_id: int) -> None:
        worker = get_current_worker()
        result: SupplierDetail | GosocketError
        try:
            result = get_supplier(self.ctx, session, link_id)
        except GosocketError as exc:
            result = exc
        finally:
            self.ctx.close()
        if not worker.is_cancelled:
            self.app.call_from_thread(self._loaded, result)

    def _loaded(self, result: SupplierDetail | GosocketError) -> None:
        if isinstance(result, SessionExpired):
            self.call_later(end_session, self, result.message)
            return
        if isinstance(result, GosocketError):
            self.notify(result.message, severity="error")
            return
        self.row = result
        self.query_one("#detail-content", Static).update(detail_table(result))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
