"""The Mailbox's Delivery log tab (Registro de entregas): the company's invitation emails.

Newest first (``services.delivery.log.recent_deliveries``), each with its time, recipient,
Message-ID, tries, the receiving server's reply and the last error: the evidence support asks
for. Enter shows one supplier's emails only (``delivery_log``), :meth:`DeliveryPane.all_suppliers`
(Escape in the Mailbox) all of them again. The export row writes that supplier's log as text
(``delivery_log_text``) to the file named there (default ``~/gosocket-delivery-<taxid>.txt``).

The Mailbox around the pane owns the status line and the refused state; the pane tells it what
became of a read through :class:`MailboxStatus`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static

from gosocket_tui.errors import GosocketError, PermissionDenied
from gosocket_tui.i18n import _
from gosocket_tui.tui.files import EXPORT_NOTICE_SECONDS, with_fetch_hint, write_export
from gosocket_tui.tui.host import host
from gosocket_tui.tui.safe import plain, text
from gosocket_tui.tui.widgets.mail_deliveries import (
    DeliveryTable,
    default_export_path,
    delivery_detail,
    scope_line,
)
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.delivery.log import DeliveryLogEntry
    from gosocket_tui.services.session import Session


class MailboxStatus(Protocol):
    """What the pane asks of the Mailbox around it (``MailboxView`` is checked against it)."""

    @property
    def ctx(self) -> ServiceContext: ...

    @property
    def session(self) -> Session: ...

    def set_refused(self, refused: bool) -> None:
        """Show the one sentence for non-administrators instead of the tabs (or not)."""

    def show_loading(self) -> None:
        """Forget the last error and say "Loading…"."""

    def show_error(self, message: str) -> None:
        """Say in the status line that a read failed."""

    def show_status(self) -> None:
        """The status line for what is loaded now."""


@dataclass(frozen=True)
class _Scope:
    """Whose emails the delivery log shows: every supplier's, or one supplier's."""

    link_id: int | None = None
    name: str = ""
    ref: str = ""


class DeliveryPane(Vertical):
    """The delivery log of the acting user's company, one email in full, and its export."""

    RECENT_LIMIT = 200

    def __init__(self, mailbox: MailboxStatus, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._mailbox = mailbox
        self._scope = _Scope()
        self._path_for: str | None = None
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(id="delivery-scope")
        yield Static(id="delivery-empty")
        yield DeliveryTable(id="delivery-table")
        with VerticalScroll(id="delivery-detail"):
            yield Static(id="delivery-detail-text")
        yield Static(id="delivery-export-message")
        with Horizontal(id="delivery-export"):
            yield Label(id="delivery-export-label")
            yield Input(id="delivery-path", compact=True)
            yield Button(id="delivery-export-button", compact=True)

    def relabel(self) -> None:
        self.query_one("#delivery-empty", Static).update(
            _("No invitation email yet. Invite a supplier in Network → Suppliers.")
        )
        self.query_one("#delivery-export-label", Label).update(_("Export to"))
        self.query_one("#delivery-export-button", Button).label = _("Export")
        self.query_one(DeliveryTable).relabel()

    @property
    def count(self) -> int:
        """How many emails the table lists."""
        return len(self.query_one(DeliveryTable).entries)

    # ------------------------------------------------------------------ loading

    def refresh_log(self, *, loading: bool) -> None:
        """Read the log again (every supplier's, or the one supplier's)."""
        mailbox = self._mailbox
        if not mailbox.session.is_admin:
            mailbox.set_refused(True)
            return
        if loading:
            mailbox.show_loading()
        ctx, session, link_id = mailbox.ctx, mailbox.session, self._scope.link_id
        limit = self.RECENT_LIMIT

        def read() -> list[DeliveryLogEntry]:
            # Imported here, in the worker: the Mailbox is not on the way to the first screen.
            from gosocket_tui.services.delivery import log as delivery_log

            if link_id is None:
                return delivery_log.recent_deliveries(ctx, session, limit=limit)
            entries = delivery_log.delivery_log(ctx, session, link_id)
            entries.reverse()  # newest first, like the company's list
            return entries

        call_service(self, read, self._read, self._failed, group="mailbox-deliveries")

    def _read(self, entries: list[DeliveryLogEntry]) -> None:
        self.loaded = True
        self._mailbox.set_refused(False)
        self.query_one(DeliveryTable).show_entries(entries)
        self.query_one("#delivery-empty", Static).set_class(not entries, "-shown")
        self.show_detail()
        self._mailbox.show_status()

    def _failed(self, error: GosocketError) -> None:
        if isinstance(error, PermissionDenied):  # demoted while logged in
            self._mailbox.set_refused(True)
        else:
            self._mailbox.show_error(error.message)

    # ------------------------------------------------------------------ scope

    @property
    def scoped(self) -> bool:
        """Whether the log shows one supplier's emails only."""
        return self._scope.link_id is not None

    def show_supplier(self, link_id: int, name: str = "", ref: str = "") -> None:
        """Only this supplier's emails."""
        self._scope = _Scope(link_id, name, ref)
        self.show_scope()
        self.refresh_log(loading=True)

    def all_suppliers(self) -> None:
        """Every supplier's emails again."""
        if self._scope.link_id is None:
            return
        self._scope = _Scope()
        self.show_scope()
        self.refresh_log(loading=True)
        self.query_one(DeliveryTable).focus()

    @on(DataTable.RowSelected, "#delivery-table")
    def _delivery_selected(self) -> None:
        """Enter on an email: only that supplier's emails (Escape: every supplier again)."""
        entry = self.query_one(DeliveryTable).highlighted_entry()
        if entry is None or entry.link_id is None or self._scope.link_id == entry.link_id:
            return
        self.show_supplier(entry.link_id, entry.supplier_name, entry.supplier_ref)

    def show_scope(self) -> None:
        scope = self.query_one("#delivery-scope", Static)
        if self._scope.link_id is None:
            scope.set_class(False, "-shown")
            return
        scope.update(scope_line(self._scope.name or self._scope.ref))
        scope.set_class(True, "-shown")

    # ------------------------------------------------------------------ detail

    @on(DataTable.RowHighlighted, "#delivery-table")
    def show_detail(self) -> None:
        """The highlighted email in full; the export path follows its supplier."""
        entry = self.query_one(DeliveryTable).highlighted_entry()
        detail = self.query_one("#delivery-detail-text", Static)
        detail.update(delivery_detail(entry) if entry is not None else "")
        self.query_one("#delivery-detail", VerticalScroll).scroll_home(animate=False)
        target = self._export_entry()
        if target is not None and target.supplier_ref != self._path_for:
            self._path_for = target.supplier_ref
            confined = host(self).files_for(self._mailbox.session).confined
            self.query_one("#delivery-path", Input).value = default_export_path(
                target.supplier_ref, confined=confined
            )

    # ------------------------------------------------------------------ export

    def _export_entry(self) -> DeliveryLogEntry | None:
        """The email whose supplier the export is for: the highlighted one."""
        entry = self.query_one(DeliveryTable).highlighted_entry()
        return entry if entry is not None and entry.link_id is not None else None

    @on(Input.Submitted, "#delivery-path")
    @on(Button.Pressed, "#delivery-export-button")
    def export(self, event: Message | None = None) -> None:
        """Write the highlighted supplier's delivery log as text to the file in the path field."""
        if event is not None:
            event.stop()
        entry = self._export_entry()
        link_id = self._scope.link_id or (entry.link_id if entry is not None else None)
        if link_id is None:
            self._export_message(_("Choose an email to a supplier in the list first."))
            return
        raw = self.query_one("#delivery-path", Input).value.strip()
        if not raw:
            self._export_message(_("Enter the name of the file to write."))
            self.query_one("#delivery-path", Input).focus()
            return
        self._export_message("")
        ctx, session = self._mailbox.ctx, self._mailbox.session
        files = host(self).files_for(session)

        def write(staging: Path) -> None:
            # Imported here, in the worker: the Mailbox is not on the way to the first screen.
            from gosocket_tui.services.delivery import log as delivery_log

            content = delivery_log.delivery_log_text(ctx, session, link_id)
            with staging.open("w", encoding="utf-8") as out:
                out.write(content)

        call_service(
            self,
            lambda: write_export(files, raw, write)[1],
            self._exported,
            self._export_failed,
            group="mailbox-export",
        )

    def _exported(self, path: str) -> None:
        files = host(self).files_for(self._mailbox.session)
        self.app.notify(
            with_fetch_hint(
                self.app, files, _("Delivery log written to {path}.", path=plain(path)), path
            ),
            title=_("Export"),
            markup=False,
            timeout=EXPORT_NOTICE_SECONDS,
        )

    def _export_failed(self, error: GosocketError) -> None:
        if isinstance(error, PermissionDenied):
            self._export_message(
                _("Only administrators can see the invitation emails and their delivery.")
            )
        else:
            self._export_message(error.message)

    def _export_message(self, message: str) -> None:
        widget = self.query_one("#delivery-export-message", Static)
        widget.update(text(message))
        widget.set_class(bool(message), "-shown")
