"""Mailbox (Buzón): the invitation emails and their delivery.

``MailboxView`` will show, for administrators, the delivery log of every invitation (when it
was sent, to which address, what the receiving server answered: the evidence support asks
for) and, in the demo, the messages the built-in mail sink received. Today: a heading and one
line saying so.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from gosocket_tui.i18n import _
from gosocket_tui.tui.views.base import View


class MailboxView(View):
    """Invitation emails sent by the acting user's company and their delivery status."""

    def compose(self) -> ComposeResult:
        yield Static(_("Mailbox"), classes="view-heading")
        yield Static(
            _("Invitation emails and what the receiving mail server answered will appear here."),
            classes="view-text",
        )
