"""The app's delivery pump (``services.delivery.pump``): one run at a time, a request during a
run gets one more run, and no failure leaves it, each problem logged once.

Real parts: the SQLite file of the ``ctx`` fixture, an aiosmtpd sink on loopback (or a free
port where nothing listens, for a server that is down).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gosocket_tui.config import with_overrides
from gosocket_tui.db.models import OutboxMessage
from gosocket_tui.mail.sink import MailSink, free_port
from gosocket_tui.services import invitations
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery.pump import DeliveryPump
from gosocket_tui.services.session import Session
from tests.invitation_helpers import add_supplier

PUMP_LOG = "gosocket_tui.services.delivery.pump"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


def pump_for(ctx: ServiceContext, **config: Any) -> DeliveryPump:
    changes: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_security": "none", **config}
    ctx = dataclasses.replace(ctx, config=with_overrides(ctx.config, **changes))
    return DeliveryPump(ctx, worker_id="pump-test")


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == PUMP_LOG and r.levelname == "WARNING"
    ]


def test_a_request_during_a_run_gets_one_more_run(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    """The invitation queued while a run is sending is not left for the next timer tick."""
    pump = pump_for(ctx, smtp_port=sink.port)
    invitations.invite(ctx, admin, [add_supplier(ctx, admin)])
    sink.delay = 0.5  # the first send is still going on when the second invitation is queued
    extra_runs: list[bool] = []

    def cancelled() -> bool:  # asked only before a run requested during the last one
        extra_runs.append(True)
        return False

    assert pump.request()
    runner = threading.Thread(target=pump.run, kwargs={"cancelled": cancelled})
    runner.start()
    deadline = time.monotonic() + 10
    while OutboxMessage.get().status != "sending" and time.monotonic() < deadline:
        time.sleep(0.01)
    second = add_supplier(ctx, admin, country="CL", tax_id="96.790.240-3", name="Solo Chile")
    invitations.invite(ctx, admin, [second])
    assert not pump.request()  # one run at a time: this asks the running one for another
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert extra_runs == [True]  # one more run, not one per request
    assert len(sink.wait_for(2)) == 2
    assert {m.status for m in OutboxMessage.select()} == {"sent"}
    assert pump.request()  # the run ended: the next request starts one
    pump.run()


def test_a_server_that_is_down_is_logged_once_and_never_raises(
    ctx: ServiceContext, admin: Session, caplog: pytest.LogCaptureFixture
) -> None:
    pump = pump_for(ctx, smtp_port=free_port())
    invitations.invite(ctx, admin, [add_supplier(ctx, admin)])
    caplog.set_level(logging.INFO, logger=PUMP_LOG)
    for _ in range(3):
        assert pump.request()
        pump.run()
    assert len(problems(caplog)) == 1, problems(caplog)
    message = OutboxMessage.get()
    assert message.status == "pending" and message.attempts == 0 and message.last_error


def test_unusable_settings_are_logged_once_and_never_raise(
    ctx: ServiceContext, admin: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """Settings the deliverer refuses (a code lifetime out of range) stop no front end."""
    pump = pump_for(ctx, smtp_port=free_port(), activation_code_lifetime_hours=10**17)
    invitations.invite(ctx, admin, [add_supplier(ctx, admin)])
    caplog.set_level(logging.INFO, logger=PUMP_LOG)
    for _ in range(2):
        assert pump.request()
        pump.run()
    (logged,) = problems(caplog)
    assert "out of range" in logged
    assert OutboxMessage.get().status == "pending"
