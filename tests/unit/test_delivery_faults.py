"""Delivery faults (issue 10): a server problem burns no attempt, a duplicate email is harmless,
nothing stays 'sending', a full disk gives one clear error and no second email.

Real aiosmtpd servers on loopback and a real SQLite file; the faults are the real ones (a
closed port, a server without STARTTLS, one that refuses the login, one too slow to answer
DATA) except the full disk, which uses SQLite's page limit as ``tests/reliability`` does.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peewee
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import DeliveryAttempt, Invitation, InvitationCode, OutboxMessage
from gosocket_tui.errors import ConfigError, DatabaseFull
from gosocket_tui.mail.sink import MailSink, free_port
from gosocket_tui.mail.smtp import SendResult, SmtpTransport
from gosocket_tui.mail.smtp_failures import TemporaryFailure
from gosocket_tui.mail.smtp_settings import SmtpSettings
from gosocket_tui.services import invitations
from gosocket_tui.services.codes import verify_code
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery.claims import CLAIM_LEASE, claim_due
from gosocket_tui.services.delivery.deliverer import Deliverer
from gosocket_tui.services.delivery.outcomes import MIN_RETRY_SECONDS
from gosocket_tui.services.session import Session
from tests.invitation_helpers import add_supplier, code_hashes, code_in, smtp_settings
from tests.unit.test_activation import activate_cafe, refused
from tests.unit.test_delivery import many_suppliers


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


class _RefuseLogin:
    """An aiosmtpd handler whose server refuses every login (wrong credentials)."""

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        return "250 OK"


def _refuse(*_args: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


@pytest.fixture
def login_refusing_port() -> Iterator[int]:
    port = free_port()
    controller = Controller(
        _RefuseLogin(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_refuse,
        auth_require_tls=False,
        ready_timeout=5.0,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (no SMTP greeting)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


PROBLEMS = ["refused", "starttls_without_tls", "tls_error", "bad_credentials", "silent"]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_a_server_problem_counts_no_attempt_and_pauses_the_queue(
    ctx: ServiceContext,
    admin: Session,
    clock: FixedClock,
    sink: MailSink,
    login_refusing_port: int,
    silent_port: int,
    problem: str,
) -> None:
    """Before issue 10 the first message of the batch counted an attempt each time."""
    ids = many_suppliers(ctx, admin, 3)
    invitations.invite(ctx, admin, ids)
    settings = {
        "refused": smtp_settings(free_port()),
        "starttls_without_tls": dataclasses.replace(smtp_settings(sink.port), security="starttls"),
        "tls_error": dataclasses.replace(smtp_settings(sink.port), security="ssl"),
        "bad_credentials": dataclasses.replace(
            smtp_settings(login_refusing_port), username="gosocket", password="wrong"
        ),
        "silent": dataclasses.replace(smtp_settings(silent_port), timeout=0.3),
    }[problem]
    tries = 2 if problem == "silent" else ctx.config.delivery_max_attempts + 1
    for _ in range(tries):
        report = Deliverer(ctx, settings, "test").deliver_due()
        assert report.server_error and report.sent == report.failed == report.retrying == 0
        clock.advance(minutes=1)
    assert {(m.status, m.attempts) for m in OutboxMessage.select()} == {("pending", 0)}
    assert {i.status for i in Invitation.select()} == {"queued"}
    assert InvitationCode.select().count() == 0  # nothing left, so no code may work
    outcomes = {a.outcome for a in DeliveryAttempt.select()}
    assert outcomes == {"server"}
    assert sink.messages() == []


def test_a_recipient_refusal_counts_against_that_message(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    ids = many_suppliers(ctx, admin, 2)
    invitations.invite(ctx, admin, ids)
    sink.fail_with = (550, "5.1.1 user unknown")
    sink.fail_times = 1
    report = Deliverer(ctx, smtp_settings(sink.port), "test").deliver_due()
    assert (report.failed, report.sent, report.server_error) == (1, 1, None)
    by_status = {m.status: m.attempts for m in OutboxMessage.select()}
    assert by_status == {"failed": 1, "sent": 1}
    assert {a.outcome for a in DeliveryAttempt.select()} == {"permanent", "sent"}


class _ReplyLost(SmtpTransport):
    """A real transport whose server's 250 to DATA is lost on the wire: the server kept the
    message, we cannot know it (the one case SMTP cannot make exactly-once)."""

    def send_raw(self, data: bytes, **kwargs: Any) -> SendResult:
        super().send_raw(data, **kwargs)
        self._drop()
        raise TemporaryFailure(None, "connection lost waiting for the reply", stage="data")


def _lose_the_reply(ctx: ServiceContext, port: int) -> None:
    report = Deliverer(ctx, smtp_settings(port), "test", transport_factory=_ReplyLost).deliver_due()
    assert report.server_error and "connection lost" in report.server_error


def test_a_duplicate_email_carries_a_code_that_works(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    """The server kept a message whose reply we never got: the retry is a second email.
    Both codes work until one is used (before issue 10 the first one was never stored, so
    the email the supplier read first carried a dead code)."""
    add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [1])
    _lose_the_reply(ctx, sink.port)
    first = code_in(sink.wait_for(1)[0])
    message = OutboxMessage.get()
    assert (message.status, message.attempts) == ("pending", 0)
    # Until the retry records it, the invitation is still 'queued'; its code works already.
    assert Invitation.get().status == "queued" and len(code_hashes(Invitation.get().id)) == 1

    clock.advance(minutes=1)
    assert Deliverer(ctx, smtp_settings(sink.port), "test").deliver_due().sent == 1
    second = code_in(sink.wait_for(2)[1])
    assert first != second
    invitation = Invitation.get()
    hashes = code_hashes(invitation.id)
    assert len(hashes) == 2
    for code in (first, second):
        assert any(verify_code(code, stored) for stored in hashes)
    # A wrong code still counts against the invitation, whichever code is right.
    assert refused(ctx, "AAAA-BBBB-CCCC") == "Invalid or expired activation code."
    assert Invitation.get_by_id(invitation.id).attempts == 1

    # The first email's code activates; then neither works any more.
    assert activate_cafe(ctx, first).username == "cafe.admin"
    assert InvitationCode.select().count() == 0


def test_each_code_expires_on_its_own(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [1])
    _lose_the_reply(ctx, sink.port)
    first = code_in(sink.wait_for(1)[0])
    clock.advance(hours=2)
    Deliverer(ctx, smtp_settings(sink.port), "test").deliver_due()
    second = code_in(sink.wait_for(2)[1])
    lifetime = ctx.config.activation_code_lifetime_hours
    clock.advance(hours=lifetime - 1)  # the first code is past its lifetime, the second not
    assert refused(ctx, first) == "Invalid or expired activation code."
    assert activate_cafe(ctx, second).username == "cafe.admin"


def test_a_huge_code_lifetime_is_refused_before_any_claim(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    """Before issue 10 the expiry overflowed after the claim and the message stayed 'sending'."""
    invitations.invite(ctx, admin, [add_supplier(ctx, admin)])
    ctx.config = dataclasses.replace(ctx.config, activation_code_lifetime_hours=99999999999999999)
    with pytest.raises(ConfigError, match="out of range"):
        Deliverer(ctx, smtp_settings(sink.port), "test").deliver_due()
    assert {m.status for m in OutboxMessage.select()} == {"pending"}


class _Exploding(SmtpTransport):
    """A real transport that fails in an unforeseen way before anything is sent."""

    def send_raw(self, data: bytes, **kwargs: Any) -> SendResult:
        raise RuntimeError("unforeseen")


def test_no_message_stays_sending_after_an_unexpected_error(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    invitations.invite(ctx, admin, many_suppliers(ctx, admin, 3))
    deliverer = Deliverer(ctx, smtp_settings(sink.port), "test", transport_factory=_Exploding)
    with pytest.raises(RuntimeError):
        deliverer.deliver_due()
    assert {(m.status, m.attempts, m.claimed_by) for m in OutboxMessage.select()} == {
        ("pending", 0, None)
    }


def test_a_claim_is_free_once_its_lease_ran_out(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    """A killed deliverer's claim is taken over within the lease (30 s), not 5 minutes; a
    live one's is not (its lease is renewed)."""
    assert CLAIM_LEASE.total_seconds() <= 30
    invitations.invite(ctx, admin, [add_supplier(ctx, admin)])
    assert transaction(lambda: claim_due(ctx, "killed", clock.now(), 10)) == [1]
    clock.advance(seconds=CLAIM_LEASE.total_seconds() - 1)
    assert Deliverer(ctx, smtp_settings(sink.port), "other").deliver_due().claimed == 0
    clock.advance(seconds=2)
    assert Deliverer(ctx, smtp_settings(sink.port), "other").deliver_due().sent == 1


BALLAST = "ballast"


def fill_the_disk(ctx: ServiceContext) -> None:
    """No page may be added, and the pages the deliverer writes to are full to the brim.

    SQLite's page limit (as in tests/reliability/test_db_faults.py) only bites when a write
    needs a new page, so tiny rows fill the free room of the tables delivery writes to.
    """
    db = ctx.db
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages}")
    invitation_id = Invitation.select(Invitation.id).scalar()
    for statement, values in (
        ("INSERT INTO audit_event (at, action) VALUES ('', ?)", (BALLAST,)),
        (
            "INSERT INTO invitation_code (invitation_id, code_hash, created_at, expires_at) "
            "VALUES (?, ?, '', '')",
            (invitation_id, BALLAST),
        ),
        ("INSERT INTO delivery_attempt (message_id, at, outcome) VALUES (1, '', ?)", (BALLAST,)),
    ):
        for _ in range(10_000):
            try:
                db.execute_sql(statement, values)
            except peewee.OperationalError:
                break


def free_the_disk(ctx: ServiceContext) -> None:
    ctx.db.execute_sql("PRAGMA max_page_count = 1073741823")
    ctx.db.execute_sql("DELETE FROM audit_event WHERE action = ?", (BALLAST,))
    ctx.db.execute_sql("DELETE FROM invitation_code WHERE code_hash = ?", (BALLAST,))
    ctx.db.execute_sql("DELETE FROM delivery_attempt WHERE outcome = ?", (BALLAST,))


class _FillsTheDiskAfterSending(SmtpTransport):
    """A real transport; right after the server accepted a message the database fills up."""

    ctx: ServiceContext

    def send_raw(self, data: bytes, **kwargs: Any) -> SendResult:
        result = super().send_raw(data, **kwargs)
        fill_the_disk(self.ctx)
        return result


@pytest.mark.sqlite_only
def test_database_full_after_the_server_accepted(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    """Before issue 10: "cannot rollback - no transaction is active", and the recipient got a
    second email with another code."""
    invitations.invite(ctx, admin, many_suppliers(ctx, admin, 2))

    def transport(settings: SmtpSettings) -> SmtpTransport:
        made = _FillsTheDiskAfterSending(settings)
        made.ctx = ctx
        return made

    deliverer = Deliverer(ctx, smtp_settings(sink.port), "test", transport_factory=transport)
    with pytest.raises(DatabaseFull, match="The database is full") as info:
        deliverer.deliver_due()
    assert "rollback" not in str(info.value)
    assert len(sink.wait_for(1)) == 1
    free_the_disk(ctx)
    # The message the server took is not sent again by this deliverer: its record comes first.
    deliverer._make_transport = SmtpTransport
    clock.advance(seconds=MIN_RETRY_SECONDS)  # the untried rest was given back for later
    report = deliverer.deliver_due()
    assert report.sent == 2 and report.server_error is None
    received = sink.wait_for(2)
    assert len(received) == 2
    assert len({m.rcpt_tos for m in received}) == 2  # one email per recipient
    assert {m.status for m in OutboxMessage.select()} == {"sent"}
    assert DeliveryAttempt.select().count() == 2


@pytest.mark.sqlite_only
def test_database_full_before_sending_sends_nothing(
    ctx: ServiceContext, admin: Session, clock: FixedClock, sink: MailSink
) -> None:
    invitations.invite(ctx, admin, many_suppliers(ctx, admin, 2))
    fill_the_disk(ctx)
    with pytest.raises(DatabaseFull, match="The database is full"):
        Deliverer(ctx, smtp_settings(sink.port), "test").deliver_due()
    assert sink.messages() == []
    free_the_disk(ctx)
    clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)
    assert Deliverer(ctx, smtp_settings(sink.port), "test").deliver_due().sent == 2
    assert len(sink.wait_for(2)) == 2


def test_a_long_lived_deliverer_backs_off_while_the_server_is_down(
    ctx: ServiceContext, admin: Session, clock: FixedClock, tmp_path: Path
) -> None:
    """The app polls every 5 s: with the server down it asks it (and leaves an evidence row)
    once per pause, the pause doubling, never once per poll."""
    invitations.invite(ctx, admin, many_suppliers(ctx, admin, 2))
    port = free_port()
    deliverer = Deliverer(ctx, smtp_settings(port), "app")
    for _ in range(60):  # five minutes of polls every 5 s
        report = deliverer.deliver_due()
        assert report.server_error and "refused" in report.server_error
        clock.advance(seconds=5)
    tries = DeliveryAttempt.select().count()
    assert 4 <= tries <= 7, tries  # pauses of 5, 10, 20, 40, 80, 160 s
    assert {(m.status, m.attempts) for m in OutboxMessage.select()} == {("pending", 0)}
    with MailSink(port=port, maildir=tmp_path / "back") as sink:
        clock.advance(seconds=300)
        assert deliverer.deliver_due().sent == 2
        assert len(sink.wait_for(2)) == 2
