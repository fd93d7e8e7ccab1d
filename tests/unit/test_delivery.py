"""The deliverer against a real aiosmtpd sink on loopback, on a real SQLite file."""

import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from stdnum.cl import rut

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import (
    AuditEvent,
    DeliveryAttempt,
    Invitation,
    OutboxMessage,
    SupplierLink,
    User,
)
from gosocket_tui.mail.maildir import read_maildir
from gosocket_tui.mail.sink import MailSink, free_port
from gosocket_tui.services import auth, invitations
from gosocket_tui.services.codes import verify_code
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery import log as delivery_log
from gosocket_tui.services.delivery.claims import claim_due
from gosocket_tui.services.delivery.deliverer import (
    Deliverer,
    deliver_over_connections,
    smtp_settings_from_config,
)
from gosocket_tui.services.delivery.report import DeliveryReport
from gosocket_tui.services.session import Session
from tests.conftest import PASSWORD
from tests.invitation_helpers import (
    add_supplier,
    code_hashes,
    code_in,
    deliver,
    smtp_settings,
)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


def many_suppliers(ctx: ServiceContext, session: Session, count: int) -> list[int]:
    ids = []
    for i in range(count):
        body = str(20_000_000 + i * 7)
        ids.append(
            add_supplier(
                ctx,
                session,
                country="CL",
                tax_id=body + rut.calc_check_digit(body),
                name=f"Proveedor {i}",
                email=f"p{i}@example.com",
            )
        )
    return ids


def test_delivery_sends_the_code_and_stores_only_its_hash(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    report = deliver(ctx, sink.port)
    assert (report.claimed, report.sent, report.server_error) == (1, 1, None)

    (message,) = sink.wait_for(1)
    code = code_in(message)
    assert message.rcpt_tos == ("ventas@cafe.example",)
    outbox = OutboxMessage.get()
    assert message.message_id == outbox.message_id
    assert outbox.status == "sent" and outbox.attempts == 1 and outbox.sent_at == clock.now()
    assert outbox.server_reply.startswith("250 ") and outbox.claimed_by is None
    invitation = Invitation.get()
    expires = clock.now() + timedelta(hours=ctx.config.activation_code_lifetime_hours)
    assert (invitation.status, invitation.sent_at, invitation.expires_at) == (
        "sent",
        clock.now(),
        expires,
    )
    (stored,) = code_hashes(invitation.id)
    assert verify_code(code, stored)
    link = SupplierLink.get_by_id(link_id)
    assert (link.status, link.status_at, link.expires_at) == ("invited", clock.now(), expires)
    (attempt,) = DeliveryAttempt.select()
    assert (attempt.outcome, attempt.code) == ("sent", 250)
    assert "Comercial Andes SpA" in message.subject
    assert "860.007.386-1" in message.text and "76.086.428-5" in message.text


@pytest.mark.sqlite_only
def test_the_code_is_nowhere_in_the_database_files(
    ctx: ServiceContext, admin: Session, sink: MailSink, tmp_path: Path
) -> None:
    link_ids = [add_supplier(ctx, admin), *many_suppliers(ctx, admin, 3)]
    invitations.invite(ctx, admin, link_ids)
    assert deliver(ctx, sink.port).sent == 4
    codes = [code_in(m) for m in sink.wait_for(4)]
    assert len(set(codes)) == 4
    files = [p for p in tmp_path.iterdir() if p.name.startswith("test.db")]
    assert any(p.name.endswith("-wal") for p in files)
    data = b"".join(p.read_bytes() for p in files)
    for code in codes:
        for form in (code, code.replace("-", ""), code.lower(), code.replace("-", "").lower()):
            assert form.encode() not in data
            assert form.encode("utf-16-le") not in data
    assert not any(
        code.replace("-", "") in (e.detail + e.target).upper().replace("-", "")
        for e in AuditEvent.select()
        for code in codes
    )


def test_smtp_down_pauses_the_queue_without_counting_attempts(
    ctx: ServiceContext, admin: Session, clock: FixedClock, tmp_path: Path
) -> None:
    """A refused connection is the server's fault: no message loses an attempt (rule of
    issue 10; before, the first message of the batch counted one)."""
    ids = many_suppliers(ctx, admin, 3)
    invitations.invite(ctx, admin, ids)
    port = free_port()
    report = deliver(ctx, port)
    assert (report.sent, report.retrying, report.failed, report.released) == (0, 0, 0, 3)
    assert report.server_error and "refused" in report.server_error
    assert "refused" in report.summary()

    messages = list(OutboxMessage.select())
    assert {(m.status, m.attempts) for m in messages} == {("pending", 0)}
    # The whole batch waits together, a little, then the queue is tried again.
    assert len({m.next_attempt_at for m in messages}) == 1
    assert messages[0].next_attempt_at > clock.now()
    # The evidence says what happened, as a server problem, not as a try of the message.
    (attempt,) = DeliveryAttempt.select()
    assert attempt.outcome == "server" and attempt.code is None and "refused" in attempt.reply
    (entry,) = delivery_log.delivery_log(ctx, admin, ids[0])
    assert entry.attempts == 0 and "refused" in (entry.last_error or "")
    text = delivery_log.delivery_log_text(ctx, admin, ids[0])
    assert "not counted as an attempt" in text
    # No code was stored for an email that never left.
    assert all(i.status == "queued" and not code_hashes(i.id) for i in Invitation.select())
    assert {link.status for link in SupplierLink.select().where(SupplierLink.id.in_(ids))} == {
        "queued"
    }
    # Not due yet: nothing is tried again.
    assert deliver(ctx, port).claimed == 0

    # However long the server stays down, the messages keep all their attempts.
    for _ in range(ctx.config.delivery_max_attempts + 2):
        clock.advance(minutes=1)
        assert deliver(ctx, port).server_error
    assert {(m.status, m.attempts) for m in OutboxMessage.select()} == {("pending", 0)}

    with MailSink(port=port, maildir=tmp_path / "later") as late:
        clock.advance(minutes=1)
        report = deliver(ctx, port)
        assert report.sent == 3 and report.server_error is None
        assert len(late.wait_for(3)) == 3
    assert {link.status for link in SupplierLink.select().where(SupplierLink.id.in_(ids))} == {
        "invited"
    }
    assert {m.attempts for m in OutboxMessage.select()} == {1}


def test_4xx_is_retried_then_delivered(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    sink.fail_with = (451, "4.7.1 greylisted, try again later")
    sink.fail_times = 1
    report = deliver(ctx, sink.port)
    assert report.retrying == 1 and report.server_error is None
    message = OutboxMessage.get()
    assert message.status == "pending" and message.attempts == 1
    assert message.server_reply == "451 4.7.1 greylisted, try again later"
    clock.advance(hours=2)
    assert deliver(ctx, sink.port).sent == 1
    assert [a.outcome for a in DeliveryAttempt.select().order_by(DeliveryAttempt.id)] == [
        "temporary",
        "sent",
    ]
    # Same Message-ID on the retry, so a receiver can spot a duplicate.
    assert sink.wait_for(1)[0].message_id == message.message_id
    assert SupplierLink.get_by_id(link_id).status == "invited"


def test_gives_up_after_the_configured_attempts(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    ctx.config = dataclasses.replace(ctx.config, delivery_max_attempts=3)
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    sink.fail_with = (452, "4.2.2 mailbox full")
    for _ in range(3):
        deliver(ctx, sink.port)
        clock.advance(hours=2)
    message = OutboxMessage.get()
    assert message.status == "failed" and message.attempts == 3
    assert Invitation.get().status == "failed"
    link = SupplierLink.get_by_id(link_id)
    assert link.status == "delivery_failed" and link.expires_at is None
    assert deliver(ctx, sink.port).claimed == 0


def test_5xx_fails_at_once_with_the_server_reply(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    sink.fail_with = (550, "5.1.1 <ventas@cafe.example>: user unknown")
    report = deliver(ctx, sink.port)
    assert report.failed == 1 and report.server_error is None
    message = OutboxMessage.get()
    assert message.status == "failed" and message.attempts == 1
    assert message.server_reply == "550 5.1.1 <ventas@cafe.example>: user unknown"
    assert Invitation.get().status == "failed" and not code_hashes(Invitation.get().id)
    link = SupplierLink.get_by_id(link_id)
    assert (link.status, link.status_at) == ("delivery_failed", clock.now())
    failed = AuditEvent.get(AuditEvent.action == "invitation.delivery_failed")
    assert "user unknown" in failed.detail and failed.actor_name == "system"

    (entry,) = delivery_log.delivery_log(ctx, admin, link_id)
    assert entry.recipient == "ventas@cafe.example" and entry.status == "failed"
    assert entry.message_id == message.message_id and entry.attempts == 1
    assert entry.tries[0].code == 550 and "user unknown" in entry.tries[0].reply
    text = delivery_log.delivery_log_text(ctx, admin, link_id)
    assert message.message_id in text and "550 5.1.1" in text and "ventas@cafe.example" in text

    # The support action: fix the address and resend.
    sink.fail_with = None
    invitations.change_email(ctx, admin, link_id, "compras@cafe.example")
    assert deliver(ctx, sink.port).sent == 1
    assert sink.wait_for(1)[0].rcpt_tos == ("compras@cafe.example",)
    assert SupplierLink.get_by_id(link_id).status == "invited"
    assert len(delivery_log.delivery_log(ctx, admin, link_id)) == 2


def test_cancelled_or_superseded_mail_is_not_sent(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    first, second = many_suppliers(ctx, admin, 2)
    invitations.invite(ctx, admin, [first, second])
    # The deliverer already holds the messages when the admin cancels and resends.
    deliverer = Deliverer(ctx, smtp_settings(sink.port), "test")
    claimed = transaction(lambda: claim_due(ctx, "test", ctx.clock.now(), 10))
    invitations.cancel(ctx, admin, first)
    invitations.resend(ctx, admin, second)
    report = DeliveryReport()
    deliverer._send_batch(claimed, report)
    assert report.cancelled == 2 and report.sent == 0
    assert {m.status for m in OutboxMessage.select().where(OutboxMessage.id.in_(claimed))} == {
        "cancelled"
    }
    Deliverer(ctx, smtp_settings(sink.port), "other").deliver_due()
    (message,) = sink.wait_for(1)
    assert message.rcpt_tos == ("p1@example.com",)
    assert SupplierLink.get_by_id(first).status == "cancelled"
    assert SupplierLink.get_by_id(second).status == "invited"


def test_a_stale_claim_is_taken_over(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    assert transaction(lambda: claim_due(ctx, "crashed", clock.now(), 10)) == [1]
    assert deliver(ctx, sink.port).claimed == 0
    clock.advance(minutes=6)
    assert deliver(ctx, sink.port).sent == 1
    assert SupplierLink.get_by_id(link_id).status == "invited"


def test_two_deliverers_send_every_message_exactly_once(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    ids = many_suppliers(ctx, admin, 60)
    invitations.invite(ctx, admin, ids)
    reports = []
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        deliverer = Deliverer(ctx, smtp_settings(sink.port), name, batch_size=3)
        barrier.wait()
        try:
            reports.append(deliverer.deliver_due())
        finally:
            ctx.db.close()  # this thread's own connection

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 60
    assert all(r.sent > 0 for r in reports), reports
    received = [m.message_id for m in sink.wait_for(60)]
    assert len(received) == 60 and len(set(received)) == 60
    assert set(received) == {m.message_id for m in OutboxMessage.select()}
    assert DeliveryAttempt.select().count() == 60


def test_several_connections_send_every_message_exactly_once(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    ids = many_suppliers(ctx, admin, 90)
    invitations.invite(ctx, admin, ids)
    report = deliver_over_connections(ctx, smtp_settings(sink.port), "bulk", 3)
    assert (report.claimed, report.sent, report.failed, report.server_error) == (90, 90, 0, None)
    received = sink.wait_for(90)
    assert sorted(m.message_id for m in received) == sorted(
        m.message_id for m in OutboxMessage.select()
    )
    assert len({m.peer for m in received}) > 1  # really more than one connection
    assert DeliveryAttempt.select().count() == 90
    assert {o.status for o in OutboxMessage.select()} == {"sent"}


def test_several_connections_report_a_server_that_is_down(
    ctx: ServiceContext, admin: Session
) -> None:
    ids = many_suppliers(ctx, admin, 4)
    invitations.invite(ctx, admin, ids)
    report = deliver_over_connections(ctx, smtp_settings(free_port()), "bulk", 2)
    assert report.sent == 0 and report.server_error
    assert {o.status for o in OutboxMessage.select()} == {"pending"}


def test_two_processes_send_every_message_exactly_once(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink, tmp_path: Path
) -> None:
    clock.set(datetime(2020, 1, 1))  # queued "long ago": due for the processes' real clock
    ids = many_suppliers(ctx, admin, 40)
    invitations.invite(ctx, admin, ids)
    env = {
        **os.environ,
        "GOSOCKET_CONFIG": str(tmp_path / "none.toml"),
        "GOSOCKET_SMTP_HOST": "127.0.0.1",
        "GOSOCKET_SMTP_PORT": str(sink.port),
        "GOSOCKET_SMTP_SECURITY": "none",
    }
    command = [sys.executable, "-m", "gosocket_tui", "--db", ctx.config.db, "mail", "deliver"]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    received = [m.message_id for m in read_maildir(sink.maildir)]
    assert len(received) == 40 and len(set(received)) == 40
    assert OutboxMessage.select().where(OutboxMessage.status == "sent").count() == 40


def test_run_forever_delivers_what_gets_queued(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    stop = threading.Event()
    reports = []
    deliverer = Deliverer(ctx, smtp_settings(sink.port), "watcher")
    thread = threading.Thread(target=deliverer.run_forever, args=(stop, 0.05, reports.append))
    thread.start()
    try:
        invitations.invite(ctx, admin, [add_supplier(ctx, admin)])
        assert len(sink.wait_for(1)) == 1
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert sum(r.sent for r in reports) == 1


def test_email_is_in_the_suppliers_language_not_the_admins(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    User.update(language="es").where(User.username == "ana").execute()
    session = auth.authenticate(ctx, "ana", PASSWORD)
    link_id = add_supplier(ctx, session)
    SupplierLink.update(language="en").where(SupplierLink.id == link_id).execute()
    invitations.invite(ctx, session, [link_id])
    assert Invitation.get().language == "en"
    deliver(ctx, sink.port)
    (message,) = sink.wait_for(1)
    assert message.subject.startswith("Invitation to the Gosocket network")
    assert "Your activation code" in message.text


def test_settings_come_from_the_config(ctx: ServiceContext) -> None:
    settings = smtp_settings_from_config(
        dataclasses.replace(ctx.config, smtp_host="mail.example.com", smtp_port=587)
    )
    assert (settings.host, settings.port, settings.security) == (
        "mail.example.com",
        587,
        "starttls",
    )
