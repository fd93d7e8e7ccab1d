"""A local SMTP server that keeps every message in a Maildir: for tests, demos and training.

Trainers point the app's SMTP settings at it and read the invitation that was just sent in the
TUI's mailbox, which may run in another process: that is why messages live in a Maildir (one
file per message, written atomically), read back by ``mail/maildir.py`` with nothing but the
path. Tests use the failure knobs (``fail_with``, ``fail_times``, ``delay``) to play an
unhelpful server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mailbox
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from gosocket_tui.i18n import _
from gosocket_tui.mail.maildir import (
    PEER_HEADER,
    RCPT_HEADER,
    RECEIVED_HEADER,
    SinkMessage,
    clean_field,
    naive_utc,
    read_maildir,
    stored_message,
)

log = logging.getLogger(__name__)


class MailSink:
    """An aiosmtpd server on loopback that stores messages in a Maildir.

    ``port=None`` picks a free port (aiosmtpd's own ``port=0`` does not work). ``maildir=None``
    uses a temporary directory removed on ``stop``. Failure injection: set ``fail_with`` to
    ``(code, text)`` to answer RCPT (or DATA, per ``fail_stage``) with it, ``fail_times`` times
    (None: every time); ``delay`` seconds of silence before answering DATA. ``idle_timeout``
    closes idle client connections, as real servers do. ``tls_context`` offers STARTTLS,
    ``ssl_context`` makes the port implicit TLS (both server-side contexts).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        maildir: Path | None = None,
        on_message: Callable[[SinkMessage], None] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        server_name: str = "gosocket-sink.localhost",
        idle_timeout: float = 300.0,
        tls_context: ssl.SSLContext | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self._auto_port = port is None
        self.port: int = free_port(host) if port is None else port
        self._own_maildir = maildir is None
        self.maildir: Path = (
            Path(tempfile.mkdtemp(prefix="gosocket-sink-")) if maildir is None else Path(maildir)
        )
        self.on_message = on_message
        self.clock: Callable[[], datetime] = clock or _utcnow
        self.server_name = server_name
        self.idle_timeout = idle_timeout
        self.tls_context = tls_context
        self.ssl_context = ssl_context
        self.fail_with: tuple[int, str] | None = None
        self.fail_stage: Literal["rcpt", "data"] = "rcpt"
        self.fail_times: int | None = None
        self.delay: float = 0.0
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._box: mailbox.Maildir | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen; retries a few other ports if a chosen free port was taken meanwhile."""
        if self._controller is not None:
            return
        for sub in ("tmp", "new", "cur"):  # Maildir(create=True) skips an existing empty dir
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        self._box = mailbox.Maildir(self.maildir, factory=None, create=False)
        for attempt in range(5):
            try:
                bindable(self.host, self.port)
            except OSError:
                if not self._auto_port or attempt == 4:
                    raise
                self.port = free_port(self.host)
                continue
            controller = Controller(
                _Handler(self),
                hostname=self.host,
                port=self.port,
                ready_timeout=5.0,
                server_hostname=self.server_name,
                enable_SMTPUTF8=True,
                timeout=self.idle_timeout,
                tls_context=self.tls_context,
                ssl_context=self.ssl_context,
            )
            try:
                controller.start()
            except OSError:
                with contextlib.suppress(Exception):
                    controller.stop(no_assert=True)
                if not self._auto_port or attempt == 4:
                    raise
                self.port = free_port(self.host)
                continue
            self._controller = controller
            log.debug(
                "mail sink listening on %s:%s, Maildir %s", self.host, self.port, self.maildir
            )
            return

    def stop(self) -> None:
        """Stop listening; a temporary Maildir is deleted. Safe to call twice."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()
        self._box = None
        if self._own_maildir:
            shutil.rmtree(self.maildir, ignore_errors=True)

    def messages(self) -> list[SinkMessage]:
        """Every message in the Maildir, oldest first."""
        return read_maildir(self.maildir)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[SinkMessage]:
        """Poll until at least ``count`` messages are stored (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages()
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(0.02)

    # -- called from the server thread -----------------------------------------------------

    def _take_failure(self, stage: Literal["rcpt", "data"]) -> str | None:
        with self._lock:
            if self.fail_with is None or stage != self.fail_stage:
                return None
            if self.fail_times is not None:
                if self.fail_times <= 0:
                    return None
                self.fail_times -= 1
            code, text = self.fail_with
            return f"{code} {text}"

    def _store(self, session: Session, envelope: Envelope) -> str:
        """Write the message to the Maildir; returns its key. Parsed only for a callback."""
        received_at = naive_utc(self.clock())
        peer = session.peer
        peer_text = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer or "")
        mail_from = clean_field(envelope.mail_from or "")
        rcpt_tos = [clean_field(r) for r in envelope.rcpt_tos]
        trace = (
            f"Return-Path: <{mail_from}>\n"
            f"{RCPT_HEADER}: {', '.join(rcpt_tos)}\n"
            f"{RECEIVED_HEADER}: {received_at.isoformat()}\n"
            f"{PEER_HEADER}: {peer_text}\n"
        )
        content = envelope.original_content or b""
        raw = trace.encode("utf-8") + content.replace(b"\r\n", b"\n")
        if self._box is None:  # not `or`: a Maildir's truthiness counts its messages
            self._box = mailbox.Maildir(self.maildir, factory=None, create=True)
        key: str = self._box.add(raw)
        if self.on_message is not None:
            try:
                self.on_message(stored_message(key, raw, fallback_time=received_at))
            except Exception:  # a broken callback must not make the server refuse mail
                log.exception("mail sink on_message callback failed")
        return key


class _Handler:
    """aiosmtpd handler: applies the sink's failure knobs, stores accepted messages."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        failure = self.sink._take_failure("rcpt")
        if failure is not None:
            return failure
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink.delay > 0:
            await asyncio.sleep(self.sink.delay)
        failure = self.sink._take_failure("data")
        if failure is not None:
            return failure
        key = self.sink._store(session, envelope)
        return f"250 2.0.0 Ok: queued as {key}"


def bindable(host: str, port: int) -> None:
    """Raise OSError now if ``host:port`` cannot be listened on: aiosmtpd reports a taken
    port only when its whole ``ready_timeout`` has passed (5 s for each refused start)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
        probe.bind((host, port))


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now: bind port 0, read what the OS chose, release it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def run_sink_forever(
    host: str,
    port: int | None,
    maildir: Path | None,
    echo: Callable[[str], None],
    *,
    stop: threading.Event | None = None,
) -> None:
    """Serve until Ctrl+C (or ``stop`` is set), echoing one line per received message.

    Backs ``gosocket-tui smtp-sink``. Fields are stripped of control characters so a hostile
    subject cannot send escape sequences to the operator's terminal.
    """

    def announce(message: SinkMessage) -> None:
        echo(
            f"{message.received_at:%Y-%m-%d %H:%M:%S} UTC  from={message.mail_from}  "
            f"to={','.join(message.rcpt_tos)}  subject={message.subject}  "
            f"message-id={message.message_id}"
        )

    with MailSink(host=host, port=port, maildir=maildir, on_message=announce) as sink:
        echo(
            _(
                "SMTP sink listening on {host}:{port}, storing mail in {maildir}. "
                "Press Ctrl+C to stop.",
                host=sink.host,
                port=sink.port,
                maildir=sink.maildir,
            )
        )
        waiter = stop or threading.Event()
        try:
            while not waiter.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    echo(_("SMTP sink stopped."))


# -- helpers -------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
