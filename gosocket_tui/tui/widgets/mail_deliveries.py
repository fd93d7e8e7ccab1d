"""The Mailbox's delivery log: every invitation email of the company and what became of it.

:class:`DeliveryTable` lists the emails newest first (time queued, recipient, status, tries);
:func:`delivery_detail` shows the highlighted one in full: the supplier, the Message-ID, when
it was queued and sent, the receiving server's reply, the last error and every try. That is
the evidence support asks for when a supplier says the invitation never arrived.
:func:`troubleshooting` is the checklist shown next to it; :func:`scope_line` heads a log
narrowed to one supplier, :func:`default_export_path` names the file its export goes to.

Recipients, replies and errors come from other people and other servers: shown through
``tui.safe`` only. Times are naive UTC and shown in UTC, as the exported log writes them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from gosocket_tui.i18n import _
from gosocket_tui.services.delivery.log import delivery_label
from gosocket_tui.tui.safe import plain, text
from gosocket_tui.tui.widgets.cells import fit, kept_row, row_item
from gosocket_tui.tui.widgets.mail_list import PADDING, TIME_WIDTH, utc_minutes, utc_seconds

if TYPE_CHECKING:
    from gosocket_tui.services.delivery.log import DeliveryLogEntry

STATUS_STYLES = {
    "pending": "yellow",
    "sending": "yellow",
    "sent": "green",
    "failed": "bold red",
    "cancelled": "dim",
    "temporary": "yellow",
    "permanent": "bold red",
}
MIN_RECIPIENT = 8
MAX_RECIPIENT = 32
_SAFE_FILE_PART = re.compile(r"[^0-9A-Za-z-]+")


def default_export_path(supplier_ref: str, *, confined: bool = False) -> str:
    """``~/gosocket-delivery-<taxid>.txt`` for a supplier ``COUNTRY:TAXID`` (a bare name in
    an exchange folder)."""
    tax_id = _SAFE_FILE_PART.sub("", supplier_ref.partition(":")[2]) or "supplier"
    name = f"gosocket-delivery-{tax_id}.txt"
    return name if confined else f"~/{name}"


def scope_line(who: str) -> Text:
    """The line over a log narrowed to one supplier, and how to widen it again."""
    line = Text()
    line.append_text(text(_("Emails to {name} only", name=plain(who))))
    line.append("  ")
    line.append(_("Esc: every supplier"), "dim")
    return line


def status_text(status: str) -> Text:
    return text(delivery_label(status), STATUS_STYLES.get(status, ""))


def _signature(entry: DeliveryLogEntry) -> tuple[object, ...]:
    """What a refresh compares: a row is redrawn only when one of these changed."""
    return (entry.id, entry.status, entry.attempts, entry.sent_at, entry.last_error)


def delivery_detail(entry: DeliveryLogEntry) -> Text:
    """The highlighted email in full (it wraps; the exported text has the same facts).

    Every try is listed when there was more than one; a single try is the reply shown above.
    """
    detail = Text()

    def field(label: str, value: object, style: str = "") -> None:
        detail.append(label + ": ", "dim")
        detail.append_text(text(value, style))

    detail.append_text(text(entry.supplier_name or "—", "bold"))
    if entry.supplier_ref:
        detail.append_text(text(f" ({entry.supplier_ref})"))
    detail.append("  ")
    detail.append_text(status_text(entry.status))
    detail.append("\n")
    field(_("Recipient"), entry.recipient)
    detail.append("\n")
    field("Message-ID", entry.message_id)
    detail.append("\n")
    field(_("Queued"), utc_seconds(entry.created_at))
    if entry.sent_at is not None:
        detail.append("  ")
        field(_("Sent"), utc_seconds(entry.sent_at))
    elif entry.next_attempt_at is not None:
        detail.append("  ")
        field(_("Next attempt"), utc_seconds(entry.next_attempt_at))
    if entry.server_reply:
        detail.append("\n")
        field(_("Server reply"), entry.server_reply)
    if entry.last_error and entry.last_error != entry.server_reply:
        detail.append("\n")
        field(_("Error"), entry.last_error, "red")
    if len(entry.tries) > 1:
        for attempt in entry.tries:
            detail.append("\n· ", "dim")
            detail.append(utc_seconds(attempt.at) + " ")
            detail.append_text(status_text(attempt.outcome))
            detail.append(" ")
            detail.append_text(text(attempt.reply))
    return detail


def troubleshooting(sender: str) -> Text:
    """What to check when a supplier's invitation failed or never arrived."""
    steps = [
        _(
            "Look at the email in the Delivery log. “Sent” with a reply starting with 250 "
            "means the supplier's mail server accepted it; “Failed” shows why it refused it."
        ),
        _("Ask the supplier to check the spam or junk folder."),
        _("Ask them to add our sender address to their safe senders list:"),
        _(
            "A typo in the address? Correct the supplier's email and resend "
            "(Network → Suppliers): a new code replaces the old one."
        ),
        _(
            "Still nothing? Try another address of the supplier, or export the delivery log "
            "(Ctrl+S) and send it to support."
        ),
    ]
    view = Text()
    view.append(_("A supplier did not receive the invitation?"), "bold")
    view.append("\n\n")
    for number, step in enumerate(steps, start=1):
        view.append(f"{number}. ", "bold")
        view.append_text(text(step))
        if number == 3:
            view.append("\n   ")
            view.append_text(text(sender, "bold"))
        view.append("\n")
    view.rstrip()
    return view


class DeliveryTable(DataTable[Text]):
    """Invitation emails, newest first; the cursor row is the one shown in full below."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.entries: list[DeliveryLogEntry] = []
        self._widths: tuple[int, ...] = ()

    def show_entries(self, entries: Sequence[DeliveryLogEntry]) -> bool:
        """Show ``entries`` (newest first); False when nothing changed.

        The cursor stays on its email; on the newest one, it follows a newer email.
        """
        if [_signature(e) for e in entries] == [
            _signature(e) for e in self.entries
        ] and self._widths == self._compute_widths(entries):
            return False
        current = self.highlighted_entry()
        ids = [e.id for e in entries]
        self.entries = list(entries)
        self.rebuild(kept_row(ids, current.id if current is not None else None, self.cursor_row))
        return True

    def highlighted_entry(self) -> DeliveryLogEntry | None:
        return row_item(self.entries, self.cursor_row)

    def relabel(self) -> None:
        self.rebuild(self.cursor_row)

    # ----------------------------------------------------------------------- layout

    def _headers(self) -> tuple[str, str, str, str]:
        return _("Time (UTC)"), _("Recipient"), _("Status"), _("Tries")

    def _compute_widths(self, entries: Sequence[DeliveryLogEntry]) -> tuple[int, ...]:
        available = max(self.size.width - self.styles.scrollbar_size_vertical, 0)
        _time, recipient_header, status_header, tries_header = self._headers()
        status = max([len(status_header), *(len(delivery_label(e.status)) for e in entries)])
        tries = max([len(tries_header), *(len(str(e.attempts)) for e in entries)])
        natural = max([len(recipient_header), *(len(e.recipient) for e in entries)])
        rest = available - TIME_WIDTH - status - tries - 4 * PADDING
        recipient = max(MIN_RECIPIENT, min(natural, MAX_RECIPIENT, rest))
        # Whatever is left goes to the recipient only up to its natural width.
        return TIME_WIDTH, recipient, status, tries

    def rebuild(self, row: int = 0) -> None:
        self._widths = widths = self._compute_widths(self.entries)
        self.clear(columns=True)
        for key, header, width in zip(
            ("time", "recipient", "status", "tries"), self._headers(), widths, strict=True
        ):
            self.add_column(text(header), width=width, key=key)
        for entry in self.entries:
            cells = (
                Text(utc_minutes(entry.created_at)),
                text(entry.recipient),
                status_text(entry.status),
                Text(str(entry.attempts), justify="right"),
            )
            self.add_row(
                *(fit(cell, width) for cell, width in zip(cells, widths, strict=True)),
                key=str(entry.id),
            )
        if self.entries:
            self.move_cursor(row=min(max(row, 0), len(self.entries) - 1), animate=False)

    def on_resize(self) -> None:
        if self._compute_widths(self.entries) != self._widths:
            self.rebuild(self.cursor_row)
