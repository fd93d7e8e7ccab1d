"""SMTP client for outbound mail: one connection reused for many messages, every outcome classified.

The deliverer built on top of this (``services/delivery/``) needs exactly three answers from
a send, so that is all this module gives: delivered (``SendResult``, with the server's reply as
evidence for support), or one of the failures of ``mail/smtp_failures.py`` (try again later,
or give up on this message). The settings it connects with are ``mail/smtp_settings.py``.
The SMTP password is never part of any text produced here.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import getaddresses
from io import BytesIO
from types import TracebackType
from typing import NoReturn, Self

from gosocket_tui.mail.smtp_failures import (
    PermanentFailure,
    SetupFailure,
    SmtpFailure,
    Stage,
    classify,
    failure_from_exception,
    reply_text,
)
from gosocket_tui.mail.smtp_settings import SmtpSettings, is_loopback, make_ssl_context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """The server accepted the message; ``reply`` is its answer to DATA (e.g. a queue id)."""

    message_id: str | None
    accepted: tuple[str, ...]
    code: int
    reply: str
    #: Recipients the server refused while accepting others: (address, code, reply).
    refused: tuple[tuple[str, int, str], ...] = ()


class SmtpTransport:
    """One SMTP connection reused for many messages; reconnects when a failure broke it.

    The connection opens on the first ``send`` (or ``connect``) and is renewed every
    ``max_messages_per_connection`` messages, because real servers cap messages per session.
    Not thread-safe: give each worker thread its own transport.
    """

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        max_messages_per_connection: int = 100,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_messages_per_connection < 1:
            raise ValueError("max_messages_per_connection must be at least 1")
        self.settings = settings
        self.max_messages_per_connection = max_messages_per_connection
        self._ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None
        self._sent_on_connection = 0
        #: How many connections this transport has opened (for tests and metrics).
        self.connections_opened = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SmtpTransport({self.settings!r}, connected={self.connected})"

    @property
    def connected(self) -> bool:
        return self._conn is not None

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context used for ``ssl`` and ``starttls`` (built on first use)."""
        if self._ssl_context is None:
            self._ssl_context = make_ssl_context(self.settings.verify_tls)
        return self._ssl_context

    @property
    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def connect(self) -> None:
        """Open a fresh connection now; raises a classified ``SmtpFailure``.

        ``send`` connects on demand; call this first to find out before a batch whether the
        server can be reached at all.
        """
        self.close()
        s = self.settings
        if s.username and s.security == "none" and not is_loopback(s.host):
            raise SetupFailure(
                None,
                f"refusing to send the SMTP password unencrypted to {s.host}; "
                "use security starttls or ssl",
                stage="auth",
            )
        stage: Stage = "connect"
        conn: smtplib.SMTP | None = None
        ok = False
        try:
            # The host goes to the constructor: smtplib takes the TLS server name (needed to
            # check the certificate, for ssl and starttls alike) from it.
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    s.host,
                    s.port,
                    local_hostname=s.local_hostname,
                    timeout=s.timeout,
                    context=self.ssl_context,
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, s.local_hostname, s.timeout)
            if s.security == "starttls":
                stage = "tls"
                conn.ehlo()
                if not conn.has_extn("starttls"):
                    raise SetupFailure(
                        None,
                        f"{self._where} does not offer STARTTLS; "
                        "check the SMTP port and security settings",
                        stage="tls",
                    )
                conn.starttls(context=self.ssl_context)
                conn.ehlo()
            if s.username:
                stage = "auth"
                conn.login(s.username, s.password or "")
            ok = True
        except SmtpFailure:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise failure_from_exception(exc, stage, self._where, s.timeout) from exc
        finally:
            if not ok and conn is not None:
                _close_quietly(conn)
        self._conn = conn
        self._sent_on_connection = 0
        self.connections_opened += 1
        log.debug("connected to %s (security %s)", self._where, s.security)

    def close(self) -> None:
        """Say QUIT and close; safe to call at any time."""
        conn, self._conn = self._conn, None
        self._sent_on_connection = 0
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                _close_quietly(conn)

    def send(
        self,
        msg: EmailMessage,
        *,
        mail_from: str | None = None,
        rcpt_tos: Iterable[str] | None = None,
    ) -> SendResult:
        """Send one message; returns a SendResult or raises Temporary/PermanentFailure.

        Recipients default to the To, Cc and Bcc headers (Bcc is removed from what is sent);
        the envelope sender defaults to the settings' sender.
        """
        sender = mail_from if mail_from is not None else self.settings.envelope_sender
        if isinstance(rcpt_tos, str):  # one address, not an iterable of characters
            rcpt_tos = [rcpt_tos]
        recipients = list(dict.fromkeys(rcpt_tos if rcpt_tos is not None else _recipients(msg)))
        international = not all(a.isascii() for a in (sender, *recipients))
        message_id = str(msg["Message-ID"]) if msg["Message-ID"] is not None else None
        return self.send_raw(
            _flatten(msg, international),
            rcpt_tos=recipients,
            message_id=message_id,
            mail_from=sender,
        )

    def send_raw(
        self,
        data: bytes,
        *,
        rcpt_tos: Iterable[str],
        message_id: str | None,
        mail_from: str | None = None,
    ) -> SendResult:
        """Send a message already written as bytes (CRLF line ends) to ``rcpt_tos``.

        A connection found dead before anything was sent on it is renewed once, silently:
        nothing can have been delivered.
        """
        sender = mail_from if mail_from is not None else self.settings.envelope_sender
        recipients = list(dict.fromkeys([rcpt_tos] if isinstance(rcpt_tos, str) else rcpt_tos))
        if not recipients:
            raise PermanentFailure(None, "the message has no recipients", stage="rcpt")
        international = not all(a.isascii() for a in (sender, *recipients))

        if self._conn is not None and self._sent_on_connection >= self.max_messages_per_connection:
            self.close()
        reused = self._conn is not None
        if self._conn is None:
            self.connect()
        try:
            return self._transaction(sender, recipients, data, international, message_id)
        except _StaleConnection as stale:
            if not reused:
                raise stale.failure from None
            log.info("SMTP connection to %s went stale; reconnecting", self._where)
        self.connect()
        try:
            return self._transaction(sender, recipients, data, international, message_id)
        except _StaleConnection as stale:
            raise stale.failure from None

    # -- one MAIL/RCPT/DATA transaction ---------------------------------------------------

    def _transaction(
        self,
        sender: str,
        recipients: list[str],
        data: bytes,
        international: bool,
        message_id: str | None,
    ) -> SendResult:
        conn = self._conn
        assert conn is not None
        self._sent_on_connection += 1
        try:
            conn.ehlo_or_helo_if_needed()
            options = self._mail_options(conn, data, international)
            code, resp = conn.mail(sender, options)
        except smtplib.SMTPHeloError as exc:
            self._abort(exc.smtp_code, exc.smtp_error, "mail")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # Nothing was sent yet: the caller may retry on a fresh connection.
            raise _StaleConnection(self._lost(exc, "mail")) from exc
        if code != 250:
            self._abort(code, resp, "mail")

        accepted: list[str] = []
        refused: list[tuple[str, int, str]] = []
        for rcpt in recipients:
            code, resp = self._command(functools.partial(conn.rcpt, rcpt), "rcpt")
            if code in (250, 251):
                accepted.append(rcpt)
            elif code == 421:
                self._abort(code, resp, "rcpt")
            else:
                refused.append((rcpt, code, reply_text(code, resp)))
        if not accepted:
            self._reset()
            _addr, code, reply = next(
                ((a, c, r) for a, c, r in refused if c < 500), refused[0]
            )  # any 4xx means a later attempt may succeed
            raise classify(code, reply, "rcpt")

        try:
            code, resp = conn.data(data)
        except smtplib.SMTPDataError as exc:  # the answer to the DATA command itself
            self._abort(exc.smtp_code, exc.smtp_error, "data")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The server may or may not have kept the message; the Message-ID lets
            # receivers spot a duplicate when the caller retries.
            raise self._lost(exc, "data") from exc
        if code != 250:
            self._abort(code, resp, "data")
        return SendResult(
            message_id=message_id,
            accepted=tuple(accepted),
            code=code,
            reply=reply_text(code, resp),
            refused=tuple(refused),
        )

    def _mail_options(self, conn: smtplib.SMTP, data: bytes, international: bool) -> list[str]:
        options: list[str] = []
        if conn.does_esmtp and conn.has_extn("size"):
            options.append(f"SIZE={len(data)}")
        if international:
            if not (conn.does_esmtp and conn.has_extn("smtputf8")):
                raise PermanentFailure(
                    None,
                    "an address is not ASCII and the server does not offer SMTPUTF8",
                    stage="mail",
                )
            options += ["SMTPUTF8", "BODY=8BITMIME"]
        elif conn.does_esmtp and conn.has_extn("8bitmime") and not data.isascii():
            options.append("BODY=8BITMIME")
        return options

    def _command(self, call: Callable[[], tuple[int, bytes]], stage: Stage) -> tuple[int, bytes]:
        try:
            return call()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise self._lost(exc, stage) from exc

    def _lost(self, exc: BaseException, stage: Stage) -> SmtpFailure:
        """The connection broke mid-conversation: forget it so the next send reconnects."""
        self._drop()
        return failure_from_exception(exc, stage, self._where, self.settings.timeout)

    def _abort(self, code: int, resp: bytes | str, stage: Stage) -> NoReturn:
        """The server said no: end the transaction (or the connection on 421) and raise."""
        if code == 421:
            self._drop()
        else:
            self._reset()
        raise classify(code, reply_text(code, resp), stage)

    def _reset(self) -> None:
        """RSET so the connection can carry the next message; drop it if even that fails."""
        if self._conn is None:
            return
        try:
            code, _resp = self._conn.rset()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._sent_on_connection = 0
        if conn is not None:
            _close_quietly(conn)


class _StaleConnection(Exception):
    """Internal: the connection died before MAIL FROM got an answer."""

    def __init__(self, failure: SmtpFailure) -> None:
        super().__init__(failure.reply)
        self.failure = failure


# -- helpers -----------------------------------------------------------------------------


def _recipients(msg: EmailMessage) -> list[str]:
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in msg.get_all(name, [])]
    return [addr for _name, addr in getaddresses(fields) if addr]


def _flatten(msg: EmailMessage, international: bool) -> bytes:
    """The bytes to send: CRLF line ends, Bcc removed (like smtplib.send_message)."""
    clone = copy.copy(msg)
    del clone["Bcc"]
    del clone["Resent-Bcc"]
    policy = msg.policy
    if international and isinstance(policy, EmailPolicy):
        policy = policy.clone(utf8=True)
    buffer = BytesIO()
    BytesGenerator(buffer, policy=policy).flatten(clone, linesep="\r\n")
    return buffer.getvalue()


def _close_quietly(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()
