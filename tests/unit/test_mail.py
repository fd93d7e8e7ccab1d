"""The mail package against a real aiosmtpd sink on a free loopback port.

Every network wait is bounded by a timeout of a few seconds, so a broken server fails the
test instead of hanging it.
"""

from __future__ import annotations

import ipaddress
import random
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from gosocket_tui.errors import ConfigError, GosocketError
from gosocket_tui.mail.compose import (
    build_invitation_email,
    compose_invitation,
    format_activation_code,
    make_message_id,
)
from gosocket_tui.mail.maildir import SinkMessage, message_text, read_maildir
from gosocket_tui.mail.sink import MailSink, free_port, run_sink_forever
from gosocket_tui.mail.smtp import SmtpTransport
from gosocket_tui.mail.smtp_failures import (
    PermanentFailure,
    SetupFailure,
    TemporaryFailure,
    backoff_delay,
)
from gosocket_tui.mail.smtp_settings import SmtpSettings, make_ssl_context

SENDER = "Gosocket <no-reply@gosocket.test>"
NOW = datetime(2025, 7, 7, 18, 30)
EXPIRES = datetime(2025, 7, 14, 18, 30)


def invitation(n: int = 1, **overrides: Any) -> EmailMessage:
    fields: dict[str, Any] = {
        "lang": "en",
        "sender": SENDER,
        "recipient": f"supplier{n}@example.com",
        "message_id": make_message_id("gosocket.test", f"outbox-{n}"),
        "buyer_name": "Comercial Andes SpA",
        "buyer_tax_id_formatted": "76.086.428-5",
        "buyer_country": "CL",
        "supplier_name": f"Proveedora Sur {n} Ltda",
        "supplier_tax_id_formatted": "96.790.240-3",
        "code": f"ABCD1234EF{n:02d}",
        "expires_at": EXPIRES,
        "activation_url": None,
        "now": NOW,
    }
    fields.update(overrides)
    return build_invitation_email(**fields)


def settings(port: int, **overrides: Any) -> SmtpSettings:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": None,
        "password": None,
        "sender": SENDER,
        "timeout": 3.0,
        "local_hostname": "client.test",
    }
    fields.update(overrides)
    return SmtpSettings(**fields)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "Maildir") as running:
        yield running


def parts(message: SinkMessage) -> dict[str, str]:
    parsed = message.email()
    found = {}
    for kind in ("plain", "html"):
        body = parsed.get_body(preferencelist=(kind,))
        assert body is not None, f"no text/{kind} part"
        found[kind] = body.get_content()
    return found


# -- delivery --------------------------------------------------------------------------------


def test_three_messages_over_one_connection_land_in_the_maildir(sink: MailSink) -> None:
    sent = [invitation(n) for n in (1, 2, 3)]
    with SmtpTransport(settings(sink.port)) as transport:
        results = [transport.send(msg) for msg in sent]
        assert transport.connections_opened == 1

    assert [r.code for r in results] == [250, 250, 250]
    assert all(r.reply.startswith("250 2.0.0 Ok: queued as ") for r in results)
    assert [r.message_id for r in results] == [str(m["Message-ID"]) for m in sent]

    received = read_maildir(sink.maildir)  # what another process (the TUI mailbox) sees
    assert received == sink.messages()
    assert len(received) == 3
    assert len({m.peer for m in received}) == 1  # one client connection
    for n, message in zip((1, 2, 3), received, strict=True):
        assert message.subject == "Invitation to the Gosocket network from Comercial Andes SpA"
        assert message.message_id == make_message_id("gosocket.test", f"outbox-{n}")
        assert message.mail_from == "no-reply@gosocket.test"
        assert message.rcpt_tos == (f"supplier{n}@example.com",)
        body = parts(message)
        code = f"ABCD-1234-EF{n:02d}"
        assert code in body["plain"]
        assert code in body["html"]
        assert code in message_text(message.raw)
        assert "spam" in body["plain"]


def test_transport_renews_the_connection_after_max_messages(sink: MailSink) -> None:
    with SmtpTransport(settings(sink.port), max_messages_per_connection=2) as transport:
        for n in range(5):
            transport.send(invitation(n))
        assert transport.connections_opened == 3
    assert len({m.peer for m in sink.messages()}) == 3


def test_reconnects_silently_when_the_server_dropped_an_idle_connection(tmp_path: Path) -> None:
    with (
        MailSink(maildir=tmp_path / "md", idle_timeout=0.3) as sink,
        SmtpTransport(settings(sink.port)) as transport,
    ):
        transport.send(invitation(1))
        time.sleep(0.8)  # the server closes the idle connection
        result = transport.send(invitation(2))
        assert result.code == 250
        assert transport.connections_opened == 2
        assert len(sink.messages()) == 2


# -- failures --------------------------------------------------------------------------------


def test_5xx_at_rcpt_is_a_permanent_failure_with_the_reply(sink: MailSink) -> None:
    sink.fail_with = (550, "5.1.1 mailbox unavailable")
    with SmtpTransport(settings(sink.port)) as transport:
        with pytest.raises(PermanentFailure) as caught:
            transport.send(invitation())
        assert caught.value.code == 550
        assert caught.value.reply == "550 5.1.1 mailbox unavailable"
        assert caught.value.stage == "rcpt"
        assert isinstance(caught.value, GosocketError)
        # The connection was reset, not lost: the next message goes over it.
        sink.fail_with = None
        transport.send(invitation(2))
        assert transport.connections_opened == 1
    assert [m.rcpt_tos for m in sink.messages()] == [("supplier2@example.com",)]


def test_5xx_at_data_is_a_permanent_failure(sink: MailSink) -> None:
    sink.fail_with = (554, "5.7.1 message content rejected")
    sink.fail_stage = "data"
    with SmtpTransport(settings(sink.port)) as transport, pytest.raises(PermanentFailure) as caught:
        transport.send(invitation())
    assert (caught.value.code, caught.value.stage) == (554, "data")
    assert caught.value.reply == "554 5.7.1 message content rejected"
    assert sink.messages() == []


def test_4xx_is_a_temporary_failure(sink: MailSink) -> None:
    sink.fail_with = (451, "4.3.0 try again later")
    with SmtpTransport(settings(sink.port)) as transport, pytest.raises(TemporaryFailure) as caught:
        transport.send(invitation())
    assert caught.value.code == 451
    assert caught.value.reply == "451 4.3.0 try again later"
    assert not isinstance(caught.value, PermanentFailure)


def test_4xx_twice_then_success(sink: MailSink) -> None:
    sink.fail_with = (451, "4.3.0 try again later")
    sink.fail_stage = "data"
    sink.fail_times = 2
    failures: list[TemporaryFailure] = []
    with SmtpTransport(settings(sink.port)) as transport:
        for _attempt in range(5):
            try:
                result = transport.send(invitation())
                break
            except TemporaryFailure as exc:
                failures.append(exc)
        else:
            pytest.fail("never delivered")
    assert [f.code for f in failures] == [451, 451]
    assert result.code == 250
    assert len(sink.messages()) == 1


def test_421_drops_the_connection_and_the_next_send_reconnects(sink: MailSink) -> None:
    sink.fail_with = (421, "4.3.2 service shutting down")
    sink.fail_times = 1
    with SmtpTransport(settings(sink.port)) as transport:
        with pytest.raises(TemporaryFailure) as caught:
            transport.send(invitation())
        assert caught.value.code == 421
        assert not transport.connected
        transport.send(invitation(2))
        assert transport.connections_opened == 2


def test_connection_refused_is_temporary() -> None:
    port = free_port()  # nothing listens there
    with SmtpTransport(settings(port)) as transport, pytest.raises(TemporaryFailure) as caught:
        transport.send(invitation())
    assert caught.value.code is None
    assert caught.value.stage == "connect"
    assert "refused" in caught.value.reply
    assert not isinstance(caught.value, SetupFailure)


def test_slow_server_times_out_as_temporary_then_the_transport_reconnects(
    sink: MailSink,
) -> None:
    sink.delay = 2.0
    started = time.monotonic()
    with SmtpTransport(settings(sink.port, timeout=0.5)) as transport:
        with pytest.raises(TemporaryFailure) as caught:
            transport.send(invitation(1))
        assert time.monotonic() - started < 2.0
        assert caught.value.stage == "data"
        assert "did not answer within 0.5 s" in caught.value.reply
        assert not transport.connected
        sink.delay = 0.0
        result = transport.send(invitation(2))
        assert result.code == 250
        assert transport.connections_opened == 2
    ids = {m.message_id for m in sink.messages()}
    assert make_message_id("gosocket.test", "outbox-2") in ids


def test_starttls_against_a_server_without_tls_is_a_clear_setup_error(sink: MailSink) -> None:
    with (
        SmtpTransport(settings(sink.port, security="starttls")) as transport,
        pytest.raises(SetupFailure) as caught,
    ):
        transport.send(invitation())
    assert isinstance(caught.value, TemporaryFailure)  # the message stays queued
    assert caught.value.stage == "tls"
    assert "does not offer STARTTLS" in caught.value.reply
    assert sink.messages() == []


def test_ssl_against_a_plain_server_is_a_setup_error(sink: MailSink) -> None:
    with (
        SmtpTransport(settings(sink.port, security="ssl")) as transport,
        pytest.raises(SetupFailure) as caught,
    ):
        transport.connect()
    assert caught.value.stage == "connect"
    assert "TLS" in caught.value.reply


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (cryptography is optional: skip without it)."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gosocket test sink")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_certificate_is_verified(tmp_path: Path, security: str) -> None:
    cert_path, key_path = _self_signed_certificate(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    with MailSink(
        maildir=tmp_path / "md",
        tls_context=server_context if security == "starttls" else None,
        ssl_context=server_context if security == "ssl" else None,
    ) as sink:
        configured = settings(sink.port, security=security)
        # An unknown certificate is refused: a clear setup error, not a silent downgrade.
        with SmtpTransport(configured) as transport, pytest.raises(SetupFailure) as caught:
            transport.send(invitation(1))
        assert "certificate" in caught.value.reply
        # Trusting that certificate (as a private CA would be trusted) lets mail through.
        trusting = make_ssl_context()
        trusting.load_verify_locations(cert_path)
        with SmtpTransport(configured, ssl_context=trusting) as transport:
            assert transport.send(invitation(2)).code == 250
        # verify_tls=False, only when explicitly configured, skips the check.
        with SmtpTransport(settings(sink.port, security=security, verify_tls=False)) as transport:
            assert transport.send(invitation(3)).code == 250
        assert len(sink.messages()) == 2


def test_tls_verification_is_on_by_default() -> None:
    context = make_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    transport = SmtpTransport(settings(25, security="starttls"))
    assert transport.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert transport.ssl_context.check_hostname is True
    relaxed = SmtpTransport(settings(25, security="starttls", verify_tls=False)).ssl_context
    assert relaxed.verify_mode == ssl.CERT_NONE
    assert relaxed.check_hostname is False


def test_the_password_never_shows(sink: MailSink) -> None:
    secret = "s3cr3t-Pa55"
    configured = settings(sink.port, username="mailer", password=secret)
    assert secret not in repr(configured)
    assert "********" in repr(configured)
    with SmtpTransport(configured) as transport, pytest.raises(SetupFailure) as caught:
        transport.send(invitation())  # the sink offers no AUTH
    assert caught.value.stage == "auth"
    for text in (str(caught.value), caught.value.reply, repr(caught.value), repr(transport)):
        assert secret not in text


def test_no_password_in_clear_text_to_a_remote_server() -> None:
    remote = settings(2525, host="192.0.2.10", username="mailer", password="pw")
    with SmtpTransport(remote) as transport, pytest.raises(SetupFailure) as caught:
        transport.connect()  # refused before any network traffic
    assert "unencrypted" in caught.value.reply


def test_invalid_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        settings(25, security="tls")
    with pytest.raises(ConfigError):
        settings(0)
    with pytest.raises(ConfigError):
        settings(25, sender="nobody")


# -- composition -----------------------------------------------------------------------------


def test_header_injection_through_names_adds_no_header(sink: MailSink) -> None:
    msg = invitation(buyer_name="Evil\r\nBcc: x@y.z", supplier_name="Sup\nCc: a@b.c")
    assert msg["Bcc"] is None and msg["Cc"] is None
    with SmtpTransport(settings(sink.port)) as transport:
        result = transport.send(msg)
    assert result.accepted == ("supplier1@example.com",)
    (received,) = sink.messages()
    parsed = received.email()
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert received.rcpt_tos == ("supplier1@example.com",)
    assert received.subject == "Invitation to the Gosocket network from Evil Bcc: x@y.z"


def test_a_recipient_with_a_line_break_is_rejected() -> None:
    with pytest.raises(ValueError):
        invitation(recipient="a@b.c\r\nBcc: x@y.z")


def test_html_part_escapes_every_value() -> None:
    msg = invitation(buyer_name='<script>alert("x")</script> & Co', activation_url=None)
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&amp; Co" in html
    assert "--username &lt;you&gt;" in html


def test_spanish_email_is_in_spanish() -> None:
    msg = invitation(lang="es")
    assert str(msg["Subject"]) == "Invitación a la red Gosocket de Comercial Andes SpA"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    plain = text.get_content()
    assert "Su código de activación: ABCD-1234-EF01" in plain
    assert "2025-07-14 18:30 UTC" in plain
    assert "Activar con código de activación" in plain
    assert "correo no deseado" in plain
    assert '<html lang="es">' in html.get_content()
    assert "Invitation" not in plain


def test_terminal_instructions_without_url_and_link_with_url() -> None:
    plain_part = invitation().get_body(preferencelist=("plain",))
    assert plain_part is not None
    plain = plain_part.get_content()
    assert (
        "gosocket-tui activate --tax-id CL:96.790.240-3 --inviter CL:76.086.428-5 "
        "--code ABCD-1234-EF01 --username <you>"
    ) in plain
    assert "valid until 2025-07-14 18:30 UTC" in plain
    assert "76.086.428-5" in plain and "Comercial Andes SpA" in plain

    url = "https://gosocket.test/activate?a=1&b=2"
    linked = invitation(activation_url=url)
    plain_part = linked.get_body(preferencelist=("plain",))
    html_part = linked.get_body(preferencelist=("html",))
    assert plain_part is not None and html_part is not None
    assert url in plain_part.get_content()
    assert "gosocket-tui activate" not in plain_part.get_content()
    assert 'href="https://gosocket.test/activate?a=1&amp;b=2"' in html_part.get_content()
    with pytest.raises(ValueError):
        invitation(activation_url="javascript:alert(1)")


def test_headers_are_set_from_the_arguments() -> None:
    msg = invitation()
    assert msg["Message-ID"] == make_message_id("gosocket.test", "outbox-1")
    assert msg["From"] == SENDER
    assert msg["To"] == "Proveedora Sur 1 Ltda <supplier1@example.com>"
    assert msg["Date"] == "Mon, 07 Jul 2025 18:30:00 +0000"


def test_message_id_is_deterministic_and_checks_the_domain() -> None:
    first = make_message_id("gosocket.test", "outbox-7")
    assert first == make_message_id("gosocket.test", "outbox-7")
    assert first != make_message_id("gosocket.test", "outbox-8")
    assert first.startswith("<gosocket.") and first.endswith("@gosocket.test>")
    assert "outbox-7" not in first
    with pytest.raises(ValueError):
        make_message_id("bad domain>", "x")


def test_format_activation_code() -> None:
    assert format_activation_code("abcd1234efgh") == "ABCD-1234-EFGH"
    assert format_activation_code("ABCD-1234-EFGH") == "ABCD-1234-EFGH"


# -- backoff ---------------------------------------------------------------------------------


class _Ceiling(random.Random):
    """Always draws the top of the range, to read the backoff ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_grows_and_is_capped() -> None:
    top = _Ceiling()
    ceilings = [backoff_delay(n, base=30, cap=3600, rng=top) for n in range(1, 10)]
    assert ceilings == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff_delay(10_000, rng=top) == 3600  # no overflow on absurd attempt counts

    rng = random.Random(42)
    for attempt in range(1, 12):
        delays = [backoff_delay(attempt, rng=rng) for _ in range(50)]
        assert all(0 <= d <= min(3600, 30 * 2 ** (attempt - 1)) for d in delays)
    early = sum(backoff_delay(1, rng=rng) for _ in range(200))
    late = sum(backoff_delay(6, rng=rng) for _ in range(200))
    assert late > early


# -- sink ------------------------------------------------------------------------------------


def test_sink_temporary_maildir_is_removed_on_stop() -> None:
    seen: list[SinkMessage] = []
    sink = MailSink(on_message=seen.append)
    sink.start()
    try:
        folder = sink.maildir
        with SmtpTransport(settings(sink.port)) as transport:
            transport.send(invitation())
        assert [m.subject for m in seen] == [m.subject for m in sink.messages()]
    finally:
        sink.stop()
    assert not folder.exists()
    assert read_maildir(folder) == []


def test_run_sink_forever_echoes_one_line_per_message(tmp_path: Path) -> None:
    lines: list[str] = []
    stop = threading.Event()
    port = free_port()
    worker = threading.Thread(
        target=run_sink_forever,
        args=("127.0.0.1", port, tmp_path / "md", lines.append),
        kwargs={"stop": stop},
    )
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while not lines and time.monotonic() < deadline:
            time.sleep(0.02)
        assert lines and str(port) in lines[0]
        evil = invitation(buyer_name="Acme \x1b[31mRED")
        with SmtpTransport(settings(port)) as transport:
            transport.send(evil)
    finally:
        stop.set()
        worker.join(timeout=5)
    assert not worker.is_alive()
    (line,) = [text for text in lines if "message-id=" in text]
    assert "from=no-reply@gosocket.test" in line
    assert "to=supplier1@example.com" in line
    assert "\x1b" not in line
    assert make_message_id("gosocket.test", "outbox-1") in line
    assert len(read_maildir(tmp_path / "md")) == 1


def test_composed_bytes_are_a_well_formed_mime_message() -> None:
    """The invitation is written directly as bytes: check what a mail reader relies on."""
    fields: dict[str, Any] = {
        "lang": "es",
        "sender": "Facturación Gosocket <no-reply@gosocket.test>",
        "recipient": "ventas@ñandú.example",
        "message_id": make_message_id("gosocket.test", "outbox-7"),
        "buyer_name": "Comercial Ñuñoa SpA " + "muy larga " * 8,
        "buyer_tax_id_formatted": "76.086.428-5",
        "buyer_country": "CL",
        "supplier_name": 'Frutas "del" Maipo, Ltda',
        "supplier_tax_id_formatted": "77.123.451-8",
        "code": "ABCD1234EFGH",
        "expires_at": EXPIRES,
        "activation_url": None,
        "now": NOW,
    }
    composed = compose_invitation(**fields)
    raw = composed.raw
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))  # headers folded
    msg = composed.parsed()
    assert not msg.defects and not any(part.defects for part in msg.walk())
    assert msg["Subject"] == "Invitación a la red Gosocket de " + fields["buyer_name"].strip()
    assert msg["To"].addresses[0].display_name == 'Frutas "del" Maipo, Ltda'
    assert msg["To"].addresses[0].addr_spec == "ventas@ñandú.example"
    assert msg["From"].addresses[0].display_name == "Facturación Gosocket"
    assert msg["Message-ID"] == composed.message_id and msg["Content-Language"] == "es"
    assert [part.get_content_type() for part in msg.iter_parts()] == ["text/plain", "text/html"]
    text = msg.get_body(("plain",))
    assert text is not None and "ABCD-1234-EFGH" in text.get_content()
    # The boundary is fixed per Message-ID (a retry sends the same bytes) and quoted-printable
    # bodies can never contain it ("=" is always escaped in them).
    assert compose_invitation(**fields).raw == raw


def test_accented_local_part_is_sent_with_smtputf8(sink: MailSink) -> None:
    msg = invitation(1, recipient="josé.núñez@example.com")
    with SmtpTransport(settings(sink.port)) as transport:
        result = transport.send(msg)
    assert result.accepted == ("josé.núñez@example.com",)
    (received,) = sink.wait_for(1)
    assert received.rcpt_tos == ("josé.núñez@example.com",)
    assert received.email()["To"].addresses[0].addr_spec == "josé.núñez@example.com"
