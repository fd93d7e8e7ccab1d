"""The invitation email: plain text plus an HTML alternative, in the supplier's language.

Everything interpolated comes from data other people typed (company names, addresses), so
single-line values lose control characters (no header or layout injection) and every value in
the HTML part is escaped. The Message-ID comes from the caller, who keeps it across retries so
a receiver can recognise a duplicate delivery.
"""

from __future__ import annotations

import hashlib
import html
import quopri
import re
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.parser import Parser
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import urlsplit

from gosocket_tui.i18n import normalize_supplier_language, translate

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_BAD_ADDRESS_CHARS = re.compile(r"[\s\x00-\x1f\x7f<>,;\"]")

_BODY_STYLE = "font-family: Arial, Helvetica, sans-serif; color: #222222; line-height: 1.5;"
_CODE_STYLE = "font-family: Consolas, Menlo, monospace; font-size: 22px; letter-spacing: 2px;"
_PRE_STYLE = "background: #f4f4f4; padding: 8px; white-space: pre-wrap; font-size: 13px;"
_SMALL_STYLE = "color: #555555; font-size: 13px;"


def format_activation_code(code: str) -> str:
    """``abcd1234efgh`` → ``ABCD-1234-EFGH``: groups of four are easier to copy by hand."""
    compact = re.sub(r"[^0-9A-Za-z]", "", code).upper()
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def make_message_id(domain: str, token: str) -> str:
    """A Message-ID like ``email.utils.make_msgid`` gives, but derived from ``token``.

    The caller passes something stable (an outbox row's key) so retries of one message keep
    one Message-ID; the token is hashed so nothing about it (or a secret in it) leaks.
    """
    domain = domain.strip().rstrip(".").lower()
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a valid domain for a Message-ID: {domain!r}")
    if not token:
        raise ValueError("the Message-ID token must not be empty")
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]
    return f"<gosocket.{digest}@{domain}>"


@dataclass(frozen=True)
class ComposedEmail:
    """A message ready for SMTP: ``raw`` is its bytes with CRLF line ends."""

    raw: bytes
    recipient: str
    message_id: str
    subject: str

    def parsed(self) -> EmailMessage:
        """The message as the email package reads it (for tests and previews)."""
        return parse_message(self.raw)


def parse_message(raw: bytes) -> EmailMessage:
    """Read a message's bytes, UTF-8 headers included (SMTPUTF8 mail, RFC 6532).

    ``BytesParser`` leaves 8-bit header bytes as lone surrogates, so an address like
    ``josé@…`` would come back garbled; parsing the UTF-8 text keeps it, and bytes that are
    not UTF-8 stay surrogate-escaped, which the email package decodes as before.
    """
    parsed = Parser(policy=policy.default).parsestr(raw.decode("utf-8", "surrogateescape"))
    assert isinstance(parsed, EmailMessage)
    return parsed


def build_invitation_email(**fields: Any) -> EmailMessage:
    """``compose_invitation`` read back as an ``EmailMessage`` (same arguments)."""
    return compose_invitation(**fields).parsed()


def compose_invitation(
    *,
    lang: str,
    sender: str,
    recipient: str,
    message_id: str,
    buyer_name: str,
    buyer_tax_id_formatted: str,
    buyer_country: str,
    supplier_name: str,
    supplier_tax_id_formatted: str,
    code: str,
    expires_at: datetime,
    activation_url: str | None,
    now: datetime,
    supplier_country: str | None = None,
    note: str = "",
    reply_to: str = "",
    reminder: bool = False,
) -> ComposedEmail:
    """The invitation a buyer sends a supplier, carrying the activation code.

    ``lang`` is the supplier's language (es, pt or en; anything else is written in English).
    ``expires_at`` and ``now`` are UTC (naive values are taken as UTC). ``supplier_country``
    defaults to the buyer's country; it only shows in the terminal activation command.
    ``note`` is the buyer's own words (plain text, checked by the services), shown as text
    in both parts; ``reply_to`` becomes the Reply-To header; ``reminder`` writes the
    reminder's subject and first line. Raises ValueError for a malformed recipient,
    Reply-To, Message-ID or activation URL.
    """
    lang = normalize_supplier_language(lang) or "en"
    recipient = recipient.strip()
    if not recipient or "@" not in recipient or _BAD_ADDRESS_CHARS.search(recipient):
        raise ValueError(f"not a usable recipient address: {recipient!r}")
    if not _MESSAGE_ID.match(message_id):
        raise ValueError(f"not a valid Message-ID: {message_id!r}")
    url = _check_url(activation_url)
    reply_to = reply_to.strip()
    if reply_to and ("@" not in reply_to or _BAD_ADDRESS_CHARS.search(reply_to)):
        raise ValueError(f"not a usable Reply-To address: {reply_to!r}")

    buyer = _one_line(buyer_name)
    supplier = _one_line(supplier_name)
    buyer_country = _one_line(buyer_country).upper()
    supplier_country = _one_line(supplier_country or buyer_country).upper()
    buyer_tax_id = _one_line(buyer_tax_id_formatted)
    supplier_tax_id = _one_line(supplier_tax_id_formatted)
    values: dict[str, str] = {
        "buyer": buyer,
        "supplier": supplier,
        "buyer_tax_id": f"{buyer_tax_id}, {buyer_country}",
        "supplier_tax_id": f"{supplier_tax_id}, {supplier_country}",
        "code": format_activation_code(_one_line(code)),
        "expires": f"{_as_utc(expires_at):%Y-%m-%d %H:%M}",
        "sender": parseaddr(sender)[1] or _one_line(sender),
    }
    command = " ".join(
        [
            "gosocket-tui activate",
            "--tax-id",
            shlex.quote(f"{supplier_country}:{supplier_tax_id}"),
            "--inviter",
            shlex.quote(f"{buyer_country}:{buyer_tax_id}"),
            "--code",
            shlex.quote(values["code"]),
            "--username",
            translate("<you>", lang),
        ]
    )
    subject = translate("Invitation to the Gosocket network from {buyer}", lang, buyer=buyer)
    if reminder:
        subject = translate(REMINDER_SUBJECT, lang, buyer=buyer)
    sender_name, sender_address = parseaddr(_one_line(sender))
    headers = [
        ("Subject", _encoded(subject, "Subject")),
        ("From", _address(sender_name, sender_address or _one_line(sender))),
        ("To", _address(supplier, recipient)),
        *([("Reply-To", _address(buyer, reply_to))] if reply_to else []),
        ("Date", format_datetime(_as_utc(now).replace(tzinfo=UTC))),
        ("Message-ID", message_id),
        ("Auto-Submitted", "auto-generated"),  # asks vacation responders not to answer
        ("Content-Language", lang),
        ("MIME-Version", "1.0"),
    ]
    raw = _multipart_alternative(
        headers,
        _text_body(lang, values, url, command, _note_lines(note), reminder),
        _html_body(lang, values, url, command, subject, _note_lines(note), reminder),
        boundary=f"=_gosocket_{hashlib.sha256(message_id.encode()).hexdigest()[:24]}",
    )
    return ComposedEmail(raw=raw, recipient=recipient, message_id=message_id, subject=subject)


def _encoded(value: str, name: str) -> str:
    """A header value as RFC 2047 encoded words when it is not ASCII, folded at 78 columns."""
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, header_name=name).encode(linesep="\r\n")


def _address(name: str, address: str) -> str:
    """``Name <address>``: an ASCII name quoted where needed, any other encoded (RFC 2047).

    The address goes in as it is: one with non-ASCII characters is sent with SMTPUTF8, whose
    messages may carry UTF-8 headers (RFC 6532); ``formataddr`` refuses those addresses.
    """
    if not name:
        return address
    if not name.isascii():
        shown = _encoded(name, "To")
    elif _SPECIALS.search(name):
        shown = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        shown = name
    return f"{shown} <{address}>"


def _multipart_alternative(
    headers: list[tuple[str, str]], text: str, html_text: str, boundary: str
) -> bytes:
    """The MIME message written directly: headers, then a text and an HTML part, each UTF-8
    and quoted-printable.

    Why not ``EmailMessage.set_content``: its header parsing and refolding cost ~5 ms per
    message, more than the SMTP conversation itself, and every invitation pays it. The parts
    written here are the few the invitation needs; tests read every message back with the
    email package's parser.
    """
    lines = [f"{name}: {value}" for name, value in headers]
    lines.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"')
    head = "\r\n".join(lines).encode("utf-8")
    parts = [head, b"\r\n\r\n"]
    for subtype, body in (("plain", text), ("html", html_text)):
        encoded = quopri.encodestring(body.encode("utf-8")).replace(b"\n", b"\r\n")
        parts += [
            f"--{boundary}\r\n".encode(),
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'.encode(),
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
            encoded,
            b"" if encoded.endswith(b"\r\n") else b"\r\n",
        ]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


# -- bodies --------------------------------------------------------------------------------

REMINDER_SUBJECT = "Reminder: invitation to the Gosocket network from {buyer}"
_REMINDER = (
    "A reminder: your company's invitation is still waiting. This email carries a new code; "
    "the code of an earlier email works too, until one of them is used."
)
_NOTE = "A note from {buyer}:"
_HELLO = "Hello {supplier},"
_INTRO = (
    "{buyer} (Tax ID {buyer_tax_id}) invites your company to join the Gosocket network as its "
    "supplier, to exchange electronic invoices."
)
_CODE = "Your activation code:"
_VALID = "The code is valid until {expires} UTC."
_HOW = "How to activate"
_LINK = "Open this link and enter the code: {url}"
_TUI = "Open gosocket-tui and choose “Activate with activation code”, or run:"
_ASKED = (
    "You will be asked for your company's Tax ID ({supplier_tax_id}), the Tax ID of the "
    "company that invited you ({buyer_tax_id}) and the code."
)
_SPAM = (
    "Can't find our emails? Check your spam or junk folder and add {sender} to your safe "
    "senders list."
)
_IGNORE = "If you did not expect this invitation, ignore this email: the code expires on its own."
_SIGNATURE = "The Gosocket team"


def _note_lines(note: str) -> list[str]:
    """The buyer's note as lines of text: control characters become spaces, line breaks stay
    (the services refuse them already; this keeps the mail safe whoever calls it)."""
    lines = [_one_line(line) for line in note.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _text_body(
    lang: str,
    values: dict[str, str],
    url: str | None,
    command: str,
    note: list[str],
    reminder: bool,
) -> str:
    def t(text: str) -> str:
        return translate(text, lang, **values)

    how = [translate(_LINK, lang, url=url)] if url else [t(_TUI), "", "  " + command]
    note_block = [t(_NOTE), *("  " + line if line else "" for line in note), ""] if note else []
    lines = [
        t(_HELLO),
        "",
        *([t(_REMINDER), ""] if reminder else []),
        t(_INTRO),
        "",
        *note_block,
        t(_CODE) + " " + values["code"],
        t(_VALID),
        "",
        t(_HOW),
        "",
        *how,
        "",
        t(_ASKED),
        "",
        t(_SPAM),
        "",
        t(_IGNORE),
        "",
        "-- ",
        t(_SIGNATURE),
    ]
    return "\n".join(lines) + "\n"


def _html_body(
    lang: str,
    values: dict[str, str],
    url: str | None,
    command: str,
    subject: str,
    note: list[str],
    reminder: bool,
) -> str:
    def h(text: str, **safe: str) -> str:
        """Translate, escape the template and every value; ``safe`` values are markup."""
        escaped = {key: html.escape(value) for key, value in values.items()}
        return html.escape(translate(text, lang)).format(**escaped, **safe)

    if url:
        link = f'<a href="{html.escape(url)}">{html.escape(url)}</a>'
        how = f"<p>{h(_LINK, url=link)}</p>"
    else:
        how = f'<p>{h(_TUI)}</p>\n<pre style="{_PRE_STYLE}">{html.escape(command)}</pre>'
    code = html.escape(values["code"])
    first = f"<p>{h(_REMINDER)}</p>\n" if reminder else ""
    note_html = (
        f"<p>{h(_NOTE)}</p>\n<blockquote>{'<br>'.join(html.escape(line) for line in note)}"
        "</blockquote>\n"
        if note
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{html.escape(subject)}</title>
</head>
<body style="{_BODY_STYLE}">
<p>{h(_HELLO)}</p>
{first}<p>{h(_INTRO)}</p>
{note_html}<p>{h(_CODE)}<br>
<strong style="{_CODE_STYLE}">{code}</strong></p>
<p>{h(_VALID)}</p>
<h2 style="font-size: 16px;">{h(_HOW)}</h2>
{how}
<p>{h(_ASKED)}</p>
<p style="{_SMALL_STYLE}">{h(_SPAM)}</p>
<p style="{_SMALL_STYLE}">{h(_IGNORE)}</p>
<p>{h(_SIGNATURE)}</p>
</body>
</html>
"""


# -- helpers -------------------------------------------------------------------------------


def _one_line(value: Any) -> str:
    """Control characters (CR, LF, tab …) become spaces: a name stays one line everywhere."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def _as_utc(moment: datetime) -> datetime:
    """Naive UTC, whether given naive (taken as UTC) or aware."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _check_url(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or _CONTROL.search(url):
        raise ValueError(f"the activation URL must be an http(s) URL, not {url!r}")
    if any(ch.isspace() for ch in url):
        raise ValueError(f"the activation URL must not contain spaces: {url!r}")
    return url
