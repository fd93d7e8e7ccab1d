"""Mailbox (Buzón): the invitation emails, what became of them, and what to do when one is lost.

For administrators, three tabs:

- **Received mail** (only with a local mail sink: the demo, or ``maildir`` configured): the
  messages the sink received, newest first, and the highlighted one in full with its
  activation code, so a trainer can read the invitation that was just sent. Read from the
  Maildir (``services.received_mail.read_maildir``) in a thread worker.
- **Delivery log** (Registro de entregas): the company's invitation emails, newest first
  (``services.delivery_log.recent_deliveries``), each with its time, recipient, Message-ID,
  tries, the receiving server's reply and the last error: the evidence support asks for.
  Enter shows one supplier's emails only (``delivery_log``), Escape all of them again. The
  export row writes that supplier's log as text (``delivery_log_text``) to the file named
  there (default ``~/gosocket-delivery-<taxid>.txt``); F6 jumps to it.
- **Not received?**: the checklist for a supplier whose email failed or never arrived (spam
  folder, safelisting the sender address, a typo in the address: change it and resend).

Non-administrators see one sentence. F5 reads everything again; while the view is shown it
also refreshes every few seconds (redrawing only what changed). Every read runs through
``tui.workers.call_service``: a newer read drops the answer of an older one, and an expired
session logs out instead of showing a load error.
:meth:`MailboxView.show_supplier` opens the delivery log of one supplier (for the Suppliers
tab).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Show
from textual.message import Message
from textual.widgets import Button, ContentSwitcher, DataTable, Input, Label, Static

from gosocket_tui.errors import GosocketError, PermissionDenied
from gosocket_tui.i18n import _
from gosocket_tui.tui.files import write_export
from gosocket_tui.tui.host import host
from gosocket_tui.tui.safe import plain, text
from gosocket_tui.tui.views.base import View
from gosocket_tui.tui.widgets.mail_deliveries import (
    DeliveryTable,
    default_export_path,
    delivery_detail,
    scope_line,
    troubleshooting,
)
from gosocket_tui.tui.widgets.mail_list import MailList, message_view, read_sink
from gosocket_tui.tui.widgets.tab_strip import TabStrip
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.delivery_log import DeliveryLogEntry
    from gosocket_tui.services.received_mail import SinkMessage
    from gosocket_tui.services.session import Session

RECEIVED = "mail-received"
DELIVERIES = "mail-deliveries"
HELP = "mail-help"
#: (tab id, English label): translated when the strip is drawn.
TABS: tuple[tuple[str, str], ...] = (
    (RECEIVED, "Received mail"),
    (DELIVERIES, "Delivery log"),
    (HELP, "Not received?"),
)


@dataclass(frozen=True)
class _Scope:
    """Whose emails the delivery log shows: every supplier's, or one supplier's."""

    link_id: int | None = None
    name: str = ""
    ref: str = ""


class MailboxView(View):
    """Invitation emails of the acting user's company, their delivery, and the sink's mail."""

    AUTO_REFRESH_SECONDS: ClassVar[float] = 3.0
    RECENT_LIMIT: ClassVar[int] = 200

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "refresh_mail", "Refresh", show=False),
        Binding("f6", "focus_export", "Export…", show=False),
        Binding("escape", "all_suppliers", "All suppliers", show=False),
    ]

    def __init__(self, ctx: ServiceContext, session: Session, *, id: str | None = None) -> None:
        super().__init__(ctx, session, id=id)
        self._sink_stamp: object = None
        self._sink_loaded = False
        self._deliveries_loaded = False
        self._scope = _Scope()
        self._status_error = ""
        self._shown_key: str | None = None
        self._path_for: str | None = None

    @property
    def maildir(self) -> Path | None:
        """The local sink's Maildir (demo, or configured), or None: no Received tab."""
        return host(self).maildir

    # ----------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="mailbox-title", classes="view-title"):
            yield Static(id="mailbox-heading", classes="view-heading")
            yield Static(id="mailbox-status", classes="view-status")
        yield Static(id="mailbox-refused", classes="view-notice view-refused")
        tabs = [tab for tab in TABS if tab[0] != RECEIVED or self.maildir is not None]
        first = tabs[0][0]
        yield TabStrip(list(tabs), active=first, id="mailbox-tabs")
        with ContentSwitcher(id="mailbox-panes", initial=first):
            if self.maildir is not None:
                with Vertical(id=RECEIVED):
                    yield Static(id="mail-empty")
                    yield MailList(id="mail-list")
                    with VerticalScroll(id="mail-message"):
                        yield Static(id="mail-message-text")
            with Vertical(id=DELIVERIES):
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
            with VerticalScroll(id=HELP):
                yield Static(id="mail-help-text")

    def on_mount(self) -> None:
        self.relabel()
        self._set_refused(not self.session.is_admin)
        self.set_interval(self.AUTO_REFRESH_SECONDS, self._refresh_tick)

    def relabel(self) -> None:
        """Every label in the current language (after a language switch)."""
        self.query_one("#mailbox-heading", Static).update(_("Mailbox"))
        self.query_one("#mailbox-refused", Static).update(
            _("Only administrators can see the invitation emails and their delivery.")
        )
        self.query_one("#mailbox-tabs", TabStrip).refresh(layout=True)
        if self.maildir is not None:
            self.query_one("#mail-empty", Static).update(
                _("No mail received yet. Invitations you send in the demo arrive here.")
            )
            self.query_one(MailList).relabel()
        self.query_one("#delivery-empty", Static).update(
            _("No invitation email yet. Invite a supplier in Network → Suppliers.")
        )
        self.query_one("#delivery-export-label", Label).update(_("Export to"))
        self.query_one("#delivery-export-button", Button).label = _("Export")
        self.query_one(DeliveryTable).relabel()
        self.query_one("#mail-help-text", Static).update(
            troubleshooting(self.ctx.config.smtp_sender)
        )
        self._show_scope()
        self._show_status()
        self._show_message_pane(force=True)
        self._show_detail()

    def focus_content(self) -> bool:
        if self.has_class("-refused"):
            return False
        self._focus_tab(self.active_tab)
        return True

    @property
    def active_tab(self) -> str:
        """``RECEIVED``, ``DELIVERIES`` or ``HELP``."""
        return self.query_one("#mailbox-tabs", TabStrip).active

    def _focus_tab(self, pane_id: str) -> None:
        if pane_id == RECEIVED:
            self.query_one(MailList).focus()
        elif pane_id == DELIVERIES:
            self.query_one(DeliveryTable).focus()
        else:
            self.query_one(f"#{HELP}", VerticalScroll).focus()

    # ------------------------------------------------------------------ public

    def show_tab(self, pane_id: str) -> None:
        """Show one tab (``RECEIVED``, ``DELIVERIES`` or ``HELP``) with the focus in it.

        The focus moves too: a focus left in the tab being hidden would bring it back.
        """
        if self.has_class("-refused"):
            return
        if pane_id == RECEIVED and self.maildir is None:
            pane_id = DELIVERIES
        self.query_one("#mailbox-tabs", TabStrip).active = pane_id
        self.query_one("#mailbox-panes", ContentSwitcher).current = pane_id
        self._focus_tab(pane_id)

    def show_supplier(self, link_id: int, name: str = "", ref: str = "") -> None:
        """Open the delivery log of one supplier (Escape shows every supplier again)."""
        self.show_tab(DELIVERIES)
        self._scope = _Scope(link_id, name, ref)
        self._show_scope()
        self.refresh_deliveries(loading=True)

    # ------------------------------------------------------------------ loading

    def on_show(self, event: Show) -> None:
        self.refresh_mail()

    def action_refresh_mail(self) -> None:
        self.refresh_mail()

    def refresh_mail(self) -> None:
        """Read the sink's Maildir and the delivery log again (when shown, F5)."""
        if not self._check_admin():
            return
        self._sink_stamp = None  # read the Maildir even if it looks unchanged
        self.refresh_sink(loading=True)
        self.refresh_deliveries(loading=True)

    def _refresh_tick(self) -> None:
        """Every few seconds while the view is on screen: pick up new mail and new states."""
        if not self.display or not self.screen.is_current or self.has_class("-refused"):
            return
        if not self.session.is_admin:
            return
        self.refresh_sink(loading=False)
        self.refresh_deliveries(loading=False)

    def _check_admin(self) -> bool:
        if not self.session.is_admin:
            self._set_refused(True)
            return False
        return True

    def refresh_sink(self, *, loading: bool) -> None:
        path = self.maildir
        if path is None:
            return
        if loading:
            self._status_error = ""
            self._show_status(loading=True)
        last_stamp, limit = self._sink_stamp, self.RECENT_LIMIT
        call_service(
            self,
            lambda: read_sink(path, last_stamp, limit),
            self._sink_read,
            self._sink_failed,
            group="mailbox-sink",
        )

    def refresh_deliveries(self, *, loading: bool) -> None:
        if not self.session.is_admin:
            self._set_refused(True)
            return
        if loading:
            self._status_error = ""
            self._show_status(loading=True)
        ctx, session, link_id = self.ctx, self.session, self._scope.link_id
        limit = self.RECENT_LIMIT

        def read() -> list[DeliveryLogEntry]:
            # Imported here, in the worker: the Mailbox is not on the way to the first screen.
            from gosocket_tui.services import delivery_log

            if link_id is None:
                return delivery_log.recent_deliveries(ctx, session, limit=limit)
            entries = delivery_log.delivery_log(ctx, session, link_id)
            entries.reverse()  # newest first, like the company's list
            return entries

        call_service(
            self, read, self._deliveries_read, self._deliveries_failed, group="mailbox-deliveries"
        )

    # ----------------------------------------------------------- loaded: the sink

    def _sink_read(self, read: tuple[list[SinkMessage] | None, object]) -> None:
        messages, stamp = read
        if messages is None:
            if self._status_error:
                self._status_error = ""
                self._show_status()
            return
        self._status_error = ""
        self._sink_stamp = stamp
        self._sink_loaded = True
        mail_list = self.query_one(MailList)
        mail_list.show_messages(messages)
        self.query_one("#mail-empty", Static).set_class(not messages, "-shown")
        self._show_message_pane()
        self._show_status()

    def _sink_failed(self, error: GosocketError) -> None:
        self._status_error = error.message
        self._show_status()

    @on(DataTable.RowHighlighted, "#mail-list")
    def _mail_highlighted(self) -> None:
        self._show_message_pane()

    def _show_message_pane(self, *, force: bool = False) -> None:
        if self.maildir is None:
            return
        selected = self.query_one(MailList).highlighted_message()
        key = selected.key if selected is not None else None
        if key == self._shown_key and not force:
            return
        self._shown_key = key
        pane = self.query_one("#mail-message-text", Static)
        pane.update(message_view(selected) if selected is not None else "")
        self.query_one("#mail-message", VerticalScroll).scroll_home(animate=False)

    # ------------------------------------------------------- loaded: deliveries

    def _deliveries_read(self, entries: list[DeliveryLogEntry]) -> None:
        self._deliveries_loaded = True
        self._set_refused(False)
        table = self.query_one(DeliveryTable)
        table.show_entries(entries)
        self.query_one("#delivery-empty", Static).set_class(not entries, "-shown")
        self._show_detail()
        self._show_status()

    def _deliveries_failed(self, error: GosocketError) -> None:
        if isinstance(error, PermissionDenied):  # demoted while logged in
            self._set_refused(True)
        else:
            self._status_error = error.message
            self._show_status()

    @on(DataTable.RowHighlighted, "#delivery-table")
    def _delivery_highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#delivery-table")
    def _delivery_selected(self) -> None:
        """Enter on an email: only that supplier's emails (Escape: every supplier again)."""
        entry = self.query_one(DeliveryTable).highlighted_entry()
        if entry is None or entry.link_id is None or self._scope.link_id == entry.link_id:
            return
        self._scope = _Scope(entry.link_id, entry.supplier_name, entry.supplier_ref)
        self._show_scope()
        self.refresh_deliveries(loading=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "all_suppliers":
            return self._scope.link_id is not None
        return True

    def action_all_suppliers(self) -> None:
        if self._scope.link_id is None:
            return
        self._scope = _Scope()
        self._show_scope()
        self.refresh_deliveries(loading=True)
        self.query_one(DeliveryTable).focus()

    def _show_scope(self) -> None:
        scope = self.query_one("#delivery-scope", Static)
        if self._scope.link_id is None:
            scope.set_class(False, "-shown")
            return
        who = self._scope.name or self._scope.ref
        scope.update(scope_line(who))
        scope.set_class(True, "-shown")

    def _show_detail(self) -> None:
        entry = self.query_one(DeliveryTable).highlighted_entry()
        detail = self.query_one("#delivery-detail-text", Static)
        detail.update(delivery_detail(entry) if entry is not None else "")
        self.query_one("#delivery-detail", VerticalScroll).scroll_home(animate=False)
        target = self._export_entry()
        if target is not None and target.supplier_ref != self._path_for:
            self._path_for = target.supplier_ref
            confined = host(self).files_for(self.session).confined
            self.query_one("#delivery-path", Input).value = default_export_path(
                target.supplier_ref, confined=confined
            )

    # ------------------------------------------------------------------ export

    def _export_entry(self) -> DeliveryLogEntry | None:
        """The email whose supplier the export is for: the highlighted one."""
        entry = self.query_one(DeliveryTable).highlighted_entry()
        return entry if entry is not None and entry.link_id is not None else None

    def action_focus_export(self) -> None:
        if self.has_class("-refused"):
            return
        self.show_tab(DELIVERIES)
        self.query_one("#delivery-path", Input).focus()

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
        ctx, session = self.ctx, self.session
        files = host(self).files_for(session)

        def write(staging: Path) -> None:
            # Imported here, in the worker: the Mailbox is not on the way to the first screen.
            from gosocket_tui.services import delivery_log

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
        self.app.notify(
            _("Delivery log written to {path}.", path=plain(path)),
            title=_("Export"),
            markup=False,
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

    # ------------------------------------------------------------------ display

    @on(TabStrip.Changed, "#mailbox-tabs")
    def _tab_changed(self, event: TabStrip.Changed) -> None:
        event.stop()
        self.query_one("#mailbox-panes", ContentSwitcher).current = event.tab
        self._show_status()

    def _set_refused(self, refused: bool) -> None:
        self.set_class(refused, "-refused")
        if refused:
            self._status_error = ""
        self._show_status()

    def _show_status(self, *, loading: bool = False) -> None:
        widget = self.query_one("#mailbox-status", Static)
        line = ""
        if self.has_class("-refused"):
            line = ""
        elif self._status_error:
            line = self._status_error
        elif loading:
            line = _("Loading…")
        else:
            active = self.active_tab
            if active == RECEIVED and self._sink_loaded:
                count = len(self.query_one(MailList).messages)
                line = (
                    (_("1 message") if count == 1 else _("{count} messages", count=count))
                    + " · "
                    + _("F5 refresh")
                )
            elif active == DELIVERIES and self._deliveries_loaded:
                count = len(self.query_one(DeliveryTable).entries)
                line = (
                    (_("1 email") if count == 1 else _("{count} emails", count=count))
                    + " · "
                    + _("F6 export")
                )
        widget.update(text(line))
        widget.set_class(bool(self._status_error) and not loading, "-error")
