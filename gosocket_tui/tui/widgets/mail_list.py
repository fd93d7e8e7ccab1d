"""The Mailbox's received mail: what the local mail sink got, newest first, and one message.

Used in the demo (and wherever ``maildir`` is configured): the built-in SMTP sink keeps every
message it receives in a Maildir, and :class:`MailList` lists them (time, recipient, subject)
while :func:`message_view` renders the highlighted one in full, its activation code on top,
so a trainer can read the invitation that was just sent. :func:`read_sink` reads the
Maildir in a worker, and only when its stamp changed. Everything in a message came from
other people (names, addresses, the body): it is shown through ``tui.safe`` only, never as
markup, control characters made visible.

Times are the sink's reception times, naive UTC, shown in UTC like the delivery log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _
from gosocket_tui.tui.safe import text
from gosocket_tui.tui.widgets.cells import fit, kept_row, row_item

if TYPE_CHECKING:
    from gosocket_tui.services.received_mail import SinkMessage

CODE_RE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
TIME_WIDTH = 16  # 2026-03-02 12:00
PADDING = 2  # DataTable's cell padding: one cell on each side of every column
MIN_TEXT = 10
MIN_TO = 6
MAX_TO = 26


def maildir_stamp(path: Path) -> tuple[float, ...]:
    """The modification times of a Maildir's ``new`` and ``cur``: they change with every
    message stored, moved or removed, so an unchanged stamp means nothing to read again."""
    stamps: list[float] = []
    for sub in ("new", "cur"):
        try:
            stamps.append((path / sub).stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return tuple(stamps)


def read_sink(
    path: Path, last_stamp: object, limit: int
) -> tuple[list[SinkMessage] | None, object]:
    """In a worker: the sink's messages, newest first, and the Maildir's stamp; None for the
    messages when the Maildir did not change since ``last_stamp``."""
    try:
        stamp = maildir_stamp(path)
        if stamp == last_stamp:
            return None, stamp  # nothing arrived meanwhile
        # Imported here, in the worker: a local sink is the demo's, not every start's.
        from gosocket_tui.services.received_mail import read_maildir

        messages = read_maildir(path)
    except (OSError, ValueError) as exc:  # not a Maildir, unreadable files
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise GosocketError(
            _("Cannot read the mail folder {path}: {reason}", path=path, reason=reason)
        ) from exc
    messages.reverse()  # newest first
    return messages[:limit], stamp


def utc_minutes(moment: datetime | None) -> str:
    """``2026-03-02 12:00`` (stored times are naive UTC)."""
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else ""


def utc_seconds(moment: datetime | None) -> str:
    """``2026-03-02 12:00:05 UTC``, as the exported delivery log writes times."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment is not None else "—"


def _trace_header(message: SinkMessage, name: str) -> str | None:
    """A trace header the sink put on top of the message, decoded as the UTF-8 it is."""
    prefix = name.lower().encode("ascii") + b":"
    for line in message.raw.split(b"\n", 8)[:8]:
        if line.lower().startswith(prefix):
            return line[len(prefix) :].strip().decode("utf-8", "replace")
    return None


def recipients(message: SinkMessage) -> str:
    """The envelope recipients. SMTPUTF8 addresses (``ventas@metalúrgica.example``) reach the
    sink as raw UTF-8, which its header parsing turns into U+FFFD: read them from the trace
    header then."""
    joined = ", ".join(message.rcpt_tos)
    if "\ufffd" in joined:
        # Late, for startup speed: the sink's module loads aiosmtpd.
        from gosocket_tui.services.received_mail import RCPT_HEADER

        return _trace_header(message, RCPT_HEADER) or joined
    return joined


def sender(message: SinkMessage) -> str:
    """The envelope sender (Return-Path), as :func:`recipients` reads the recipients."""
    if "\ufffd" in message.mail_from:
        return (_trace_header(message, "Return-Path") or message.mail_from).strip("<>")
    return message.mail_from


def find_code(body: str) -> str | None:
    """The first ``XXXX-XXXX-XXXX`` activation code in a message body, if any."""
    found = CODE_RE.search(body)
    return found.group(1) if found else None


def message_view(message: SinkMessage) -> Text:
    """One received message in full: who, when, subject, the code (when found), the body."""
    body = message.text
    view = Text()

    def field(label: str, value: str, style: str = "") -> None:
        view.append(label + ": ", "dim")
        view.append_text(text(value, style))
        view.append("\n")

    field(_("Sender"), sender(message))
    field(_("Recipient"), recipients(message))
    field(_("Received"), utc_seconds(message.received_at))
    field(_("Subject"), message.subject, "bold")
    code = find_code(body)
    if code is not None:
        field(_("Activation code"), code, "bold reverse")
    view.append("─" * 40 + "\n", "dim")
    view.append_text(text(body.rstrip("\n"), keep_newlines=True))
    return view


class MailList(DataTable[Text]):
    """The sink's messages, newest first; the cursor row is the message shown below."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.messages: list[SinkMessage] = []
        self._widths: tuple[int, int, int] = (0, 0, 0)

    def show_messages(self, messages: Sequence[SinkMessage]) -> bool:
        """Show ``messages`` (newest first); False when nothing changed.

        The cursor stays on the message it was on; on the newest one, it follows a message
        that arrives (the one a trainer is waiting for).
        """
        keys = [m.key for m in messages]
        if keys == [m.key for m in self.messages] and self._widths == self._compute_widths():
            return False
        current = self.highlighted_message()
        self.messages = list(messages)
        self.rebuild(kept_row(keys, current.key if current is not None else None, self.cursor_row))
        return True

    def highlighted_message(self) -> SinkMessage | None:
        return row_item(self.messages, self.cursor_row)

    def relabel(self) -> None:
        self.rebuild(self.cursor_row)

    # ----------------------------------------------------------------------- layout

    def _compute_widths(self) -> tuple[int, int, int]:
        available = max(self.size.width - self.styles.scrollbar_size_vertical, 0)
        natural_to = max([len(_("Recipient")), *(len(recipients(m)) for m in self.messages)])
        rest = available - TIME_WIDTH - 3 * PADDING
        to_width = min(natural_to, MAX_TO)
        if rest - to_width < MIN_TEXT:
            to_width = max(MIN_TO, rest - MIN_TEXT)
        return TIME_WIDTH, to_width, max(MIN_TEXT, rest - to_width)

    def rebuild(self, row: int = 0) -> None:
        self._widths = widths = self._compute_widths()
        self.clear(columns=True)
        headers = (_("Time (UTC)"), _("Recipient"), _("Subject"))
        for key, header, width in zip(("time", "to", "subject"), headers, widths, strict=True):
            self.add_column(text(header), width=width, key=key)
        for message in self.messages:
            cells = (
                Text(utc_minutes(message.received_at)),
                text(recipients(message)),
                text(message.subject),
            )
            self.add_row(
                *(fit(cell, width) for cell, width in zip(cells, widths, strict=True)),
                key=message.key,
            )
        if self.messages:
            self.move_cursor(row=min(max(row, 0), len(self.messages) - 1), animate=False)

    def on_resize(self) -> None:
        if self._compute_widths() != self._widths:
            self.rebuild(self.cursor_row)
