"""The mail a sink stored, read back from its Maildir: needs nothing but the path.

The TUI's mailbox may run in another process than the sink, so messages live in a Maildir
(one file per message, written atomically) and are read here without the server (and so
without importing aiosmtpd). The sink's trace headers carry the envelope; any other Maildir
reads too. Every field is one line with control characters removed.
"""

from __future__ import annotations

import contextlib
import html
import mailbox
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from pathlib import Path

from gosocket_tui.mail.compose import parse_message

#: Trace headers the sink puts on top of each stored message (like an MTA's Return-Path).
RCPT_HEADER = "X-Sink-Rcpt-To"
RECEIVED_HEADER = "X-Sink-Received-At"
PEER_HEADER = "X-Sink-Peer"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_TAG = re.compile(r"<[^>]*>")
_KEY_TIME = re.compile(r"^(\d+)\.")


@dataclass(frozen=True)
class SinkMessage:
    """One received message. ``received_at`` is naive UTC; ``raw`` is the stored file."""

    key: str
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    message_id: str
    raw: bytes
    #: "host:port" of the client connection (tells tests whether a connection was reused).
    peer: str = ""

    def email(self) -> EmailMessage:
        """The parsed message (modern ``EmailMessage`` API)."""
        return parse_message(self.raw)

    @property
    def text(self) -> str:
        return message_text(self.raw)


def read_maildir(path: Path) -> list[SinkMessage]:
    """Every message in a Maildir (``new`` and ``cur``), oldest first; [] if it is missing.

    Works on any Maildir; the sink's trace headers add envelope data when present. A message
    that disappears while reading (moved by another reader) is skipped.
    """
    path = Path(path)
    if not (path / "new").is_dir() and not (path / "cur").is_dir():
        return []
    box = mailbox.Maildir(path, factory=None, create=False)
    found: list[SinkMessage] = []
    for key in box.iterkeys():
        try:
            raw = box.get_bytes(key)
        except (KeyError, FileNotFoundError):
            continue
        found.append(stored_message(key, raw, fallback_time=_time_from_key(key)))
    found.sort(key=lambda m: (m.received_at, m.key))
    return found


def message_text(raw: bytes) -> str:
    """The message's plain-text part for display (HTML stripped of tags when it has none)."""
    try:
        parsed = parse_message(raw)
    except Exception:  # a display helper shows what it can
        return raw.decode("utf-8", "replace")
    assert isinstance(parsed, EmailMessage)
    part = parsed.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _part_text(part)
    if part.get_content_subtype() == "html":
        text = html.unescape(_TAG.sub("", re.sub(r"(?i)<br\s*/?>|</p>", "\n", text)))
    return text.replace("\r\n", "\n")


# -- helpers -------------------------------------------------------------------------------


def naive_utc(moment: datetime) -> datetime:
    """``moment`` as naive UTC, the way the Maildir's trace header stores times."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def clean_field(value: str) -> str:
    """One line, control characters made spaces: an envelope field fit for a terminal."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _time_from_key(key: str) -> datetime:
    """Maildir keys start with the delivery time in seconds: the fallback for foreign mail."""
    match = _KEY_TIME.match(key)
    seconds = int(match.group(1)) if match else 0
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def stored_message(key: str, raw: bytes, *, fallback_time: datetime) -> SinkMessage:
    """The SinkMessage of a stored file: envelope from the trace headers, headers decoded."""
    # compat32 header parsing: several times faster than policy.default, and the sink parses
    # every message it receives (and every file the mailbox screen lists).
    parsed = BytesHeaderParser().parsebytes(raw)
    # Raw values: 8-bit bytes (UTF-8 headers of SMTPUTF8 mail, RFC 6532) arrive
    # surrogate-escaped and are decoded as UTF-8 here; ``get`` would turn them into U+FFFD.
    headers: dict[str, str] = {}
    for name, raw_value in parsed.raw_items():
        headers.setdefault(name.lower(), _utf8(str(raw_value)))

    def header(name: str) -> str:
        value = headers.get(name.lower())
        if value is None:
            return ""
        try:
            text = str(make_header(decode_header(value)))
        except (HeaderParseError, LookupError, UnicodeError, ValueError):
            text = str(value)
        return clean_field(text)

    received_at = fallback_time
    stamp = header(RECEIVED_HEADER)
    if stamp:
        with contextlib.suppress(ValueError):
            received_at = naive_utc(datetime.fromisoformat(stamp))
    rcpts = header(RCPT_HEADER)
    return SinkMessage(
        key=key,
        received_at=received_at,
        mail_from=header("Return-Path").strip("<>"),
        rcpt_tos=tuple(r.strip() for r in rcpts.split(",") if r.strip()),
        subject=header("Subject"),
        message_id=header("Message-ID"),
        raw=raw,
        peer=header(PEER_HEADER),
    )


def _utf8(value: str) -> str:
    return value.encode("ascii", "surrogateescape").decode("utf-8", "replace")


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, KeyError):
        pass
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
