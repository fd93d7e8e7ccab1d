"""Mailbox (Buzón): the invitation emails, what became of them, and what to do when one is lost.

For administrators, three tabs:

- **Received mail** (only with a local mail sink: the demo, or ``maildir`` configured): the
  messages the sink received, newest first, and the highlighted one in full with its
  activation code, so a trainer can read the invitation that was just sent. Read from the
  Maildir (``services.received_mail.read_maildir``) in a thread worker.
- **Delivery log** (Registro de entregas): the company's invitation emails and what became
  of them, one supplier's only after Enter (Escape: all of them again), and the export of
  that supplier's log (ctrl+s jumps to it): ``views/delivery_pane.py``.
- **Not received?**: the checklist for a supplier whose email failed or never arrived (spam
  folder, safelisting the sender address, a typo in the address: change it and resend).

Non-administrators see one sentence. Ctrl+R reads everything again; while the view is shown it
also refreshes every few seconds (redrawing only what changed). Every read runs through
``tui.workers.call_service``: a newer read drops the answer of an older one, and an expired
session logs out instead of showing a load error.
:meth:`MailboxView.show_supplier` opens the delivery log of one supplier (for the Suppliers
tab).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Show
from textual.widgets import ContentSwitcher, DataTable, Input, Static

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _
from gosocket_tui.tui.host import Happened, host
from gosocket_tui.tui.safe import text
from gosocket_tui.tui.tour import Seen
from gosocket_tui.tui.views.base import View
from gosocket_tui.tui.views.delivery_pane import DeliveryPane
from gosocket_tui.tui.widgets.mail_deliveries import (
    DeliveryTable,
    troubleshooting,
)
from gosocket_tui.tui.widgets.mail_list import MailList, message_view, read_sink
from gosocket_tui.tui.widgets.tab_strip import TabStrip
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
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


class MailboxView(View):
    """Invitation emails of the acting user's company, their delivery, and the sink's mail."""

    AUTO_REFRESH_SECONDS: ClassVar[float] = 3.0
    RECENT_LIMIT: ClassVar[int] = 200

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "refresh_mail", "Refresh", show=False),
        Binding("ctrl+s", "focus_export", "Export…", show=False),
        Binding("escape", "all_suppliers", "All suppliers", show=False),
    ]

    def __init__(self, ctx: ServiceContext, session: Session, *, id: str | None = None) -> None:
        super().__init__(ctx, session, id=id)
        self._sink_stamp: object = None
        self._sink_loaded = False
        self._status_error = ""
        self._shown_key: str | None = None
        self._announce_mail = False  # the next message shown is reported (the view opened)

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
            yield DeliveryPane(self, id=DELIVERIES)
            with VerticalScroll(id=HELP):
                yield Static(id="mail-help-text")

    def on_mount(self) -> None:
        self.relabel()
        self.set_refused(not self.session.is_admin)
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
        self.deliveries.relabel()
        self.query_one("#mail-help-text", Static).update(
            troubleshooting(self.ctx.config.smtp_sender)
        )
        self.deliveries.show_scope()
        self.show_status()
        self._show_message_pane(force=True)
        self.deliveries.show_detail()

    @property
    def deliveries(self) -> DeliveryPane:
        """The Delivery log tab."""
        return self.query_one(DeliveryPane)

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
        self.deliveries.show_supplier(link_id, name, ref)

    # ------------------------------------------------------------------ loading

    def on_show(self, event: Show) -> None:
        self._announce_mail = True
        self.refresh_mail()

    def action_refresh_mail(self) -> None:
        self.refresh_mail()

    def refresh_mail(self) -> None:
        """Read the sink's Maildir and the delivery log again (when shown, ctrl+r)."""
        if not self._check_admin():
            return
        self._sink_stamp = None  # read the Maildir even if it looks unchanged
        self.refresh_sink(loading=True)
        self.deliveries.refresh_log(loading=True)

    def _refresh_tick(self) -> None:
        """Every few seconds while the view is on screen: pick up new mail and new states."""
        if not self.display or not self.screen.is_current or self.has_class("-refused"):
            return
        if not self.session.is_admin:
            return
        self.refresh_sink(loading=False)
        self.deliveries.refresh_log(loading=False)

    def _check_admin(self) -> bool:
        if not self.session.is_admin:
            self.set_refused(True)
            return False
        return True

    def refresh_sink(self, *, loading: bool) -> None:
        path = self.maildir
        if path is None:
            return
        if loading:
            self.show_loading()
        last_stamp, limit = self._sink_stamp, self.RECENT_LIMIT
        call_service(
            self,
            lambda: read_sink(path, last_stamp, limit),
            self._sink_read,
            self._sink_failed,
            group="mailbox-sink",
        )

    # ----------------------------------------------------------- loaded: the sink

    def _sink_read(self, read: tuple[list[SinkMessage] | None, object]) -> None:
        messages, stamp = read
        if messages is None:
            if self._status_error:
                self._status_error = ""
                self.show_status()
            return
        self._status_error = ""
        self._sink_stamp = stamp
        self._sink_loaded = True
        mail_list = self.query_one(MailList)
        mail_list.show_messages(messages)
        self.query_one("#mail-empty", Static).set_class(not messages, "-shown")
        self._show_message_pane()
        self.show_status()

    def _sink_failed(self, error: GosocketError) -> None:
        self.show_error(error.message)

    @on(DataTable.RowHighlighted, "#mail-list")
    def _mail_highlighted(self) -> None:
        self._show_message_pane()

    def _show_message_pane(self, *, force: bool = False) -> None:
        if self.maildir is None:
            return
        selected = self.query_one(MailList).highlighted_message()
        key = selected.key if selected is not None else None
        if selected is not None and (key != self._shown_key or self._announce_mail):
            # A message is on screen: newly arrived or chosen, or the view was just opened.
            self._announce_mail = False
            self.post_message(Happened(Seen("mail_read")))
        if key == self._shown_key and not force:
            return
        self._shown_key = key
        pane = self.query_one("#mail-message-text", Static)
        pane.update(message_view(selected) if selected is not None else "")
        self.query_one("#mail-message", VerticalScroll).scroll_home(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "all_suppliers":
            return self.deliveries.scoped
        return True

    def action_all_suppliers(self) -> None:
        self.deliveries.all_suppliers()

    def action_focus_export(self) -> None:
        if self.has_class("-refused"):
            return
        self.show_tab(DELIVERIES)
        self.query_one("#delivery-path", Input).focus()

    # ------------------------------------------------------------------ display

    @on(TabStrip.Changed, "#mailbox-tabs")
    def _tab_changed(self, event: TabStrip.Changed) -> None:
        event.stop()
        self.query_one("#mailbox-panes", ContentSwitcher).current = event.tab
        self.show_status()

    def set_refused(self, refused: bool) -> None:
        self.set_class(refused, "-refused")
        if refused:
            self._status_error = ""
        self.show_status()

    def show_loading(self) -> None:
        self._status_error = ""
        self.show_status(loading=True)

    def show_error(self, message: str) -> None:
        self._status_error = message
        self.show_status()

    def show_status(self, *, loading: bool = False) -> None:
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
                    + _("Ctrl+R refresh")
                )
            elif active == DELIVERIES and self.deliveries.loaded:
                count = self.deliveries.count
                line = (
                    (_("1 email") if count == 1 else _("{count} emails", count=count))
                    + " · "
                    + _("Ctrl+S export")
                )
        widget.update(text(line))
        widget.set_class(bool(self._status_error) and not loading, "-error")
