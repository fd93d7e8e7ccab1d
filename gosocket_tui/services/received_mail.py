"""The mail a local sink received (the demo, or ``maildir`` configured), for the Mailbox.

The TUI reads the sink's Maildir through here and never imports ``mail/`` itself (an
import-linter contract): the transport stays below the services, whatever shows its mail.
"""

from gosocket_tui.mail.maildir import RCPT_HEADER, SinkMessage, read_maildir

__all__ = ["RCPT_HEADER", "SinkMessage", "read_maildir"]
