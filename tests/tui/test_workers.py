"""The one way a screen calls a service (``tui/workers.py``), on the real app after a login."""

from __future__ import annotations

import contextvars
import threading
from pathlib import Path

import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.errors import GosocketError, NotFound, SessionExpired
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import invitations
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import (
    SupplierFilter,
    SupplierInput,
    add_supplier,
    list_suppliers,
)
from gosocket_tui.tui.host import InvitationsQueued, host
from gosocket_tui.tui.screens.login import LoginScreen
from gosocket_tui.tui.screens.shell import ShellScreen
from gosocket_tui.tui.workers import call_service, from_worker
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import build_app, log_in, notices, settle

pytestmark = pytest.mark.usefixtures("buyers")


async def test_the_answer_arrives_on_the_ui_thread(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        session = host(app.screen).session
        assert session is not None
        threads: list[int] = []
        answers: list[int] = []

        def call() -> int:
            threads.append(threading.get_ident())
            return len(list_suppliers(app.ctx, session, SupplierFilter()).rows)

        def done(total: int) -> None:
            threads.append(threading.get_ident())
            answers.append(total)

        await call_service(app.screen, call, done, group="test").wait()
        assert answers == [len(list_suppliers(app.ctx, session, SupplierFilter()).rows)]
        assert threads[0] != threading.get_ident() == threads[1]


async def test_the_answer_runs_in_the_callers_context(make: AppFactory) -> None:
    """A screen pushed by ``done`` (the login's shell) keeps Textual's context, e.g. a test's
    message hook: the worker thread itself has none."""
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="none")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        marker.set("caller")
        seen: list[str] = []
        await call_service(
            app.screen,
            marker.get,
            lambda worker_saw: seen.extend([worker_saw, marker.get()]),
            group="test",
        ).wait()
        assert seen == ["none", "caller"]


async def test_a_superseded_answer_is_dropped(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        release = threading.Event()
        shown: list[str] = []

        def slow() -> str:
            release.wait(5)
            return "old"

        first = call_service(app.screen, slow, shown.append, group="load")
        await pilot.pause()
        second = call_service(app.screen, lambda: "new", shown.append, group="load")
        await second.wait()
        release.set()
        await settle(pilot)
        assert first.is_cancelled
        assert shown == ["new"]


async def test_an_expired_session_logs_out_once_with_the_reason(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        failures: list[GosocketError] = []

        def expired() -> None:
            raise SessionExpired("Your session has expired. Please log in again.")

        for group in ("a", "b"):  # two screens' calls refused at once: one logout
            call_service(app.screen, expired, print, failures.append, group=group)
        await settle(pilot)
        assert failures == []
        assert isinstance(app.screen, LoginScreen)
        assert app.session is None
        assert "Your session has expired" in app.export_screenshot().replace("&#160;", " ")


async def test_an_error_goes_to_failed_or_to_a_notice(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        failures: list[GosocketError] = []

        def missing() -> None:
            raise NotFound("No such supplier.")

        await call_service(app.screen, missing, print, failures.append, group="a").wait()
        assert [f.message for f in failures] == ["No such supplier."]
        await call_service(app.screen, missing, print, group="b").wait()
        await settle(pilot)
        assert isinstance(app.screen, ShellScreen)
        assert notices(app) == ["No such supplier."]


async def test_progress_reaches_the_ui_thread(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        seen: list[tuple[int, int]] = []

        def counting() -> None:
            for step in range(3):
                from_worker(app.screen, lambda n: seen.append((n, threading.get_ident())), step)

        await call_service(app.screen, counting, print, group="p").wait()
        assert [n for n, _ in seen] == [0, 1, 2]
        assert {thread for _, thread in seen} == {threading.get_ident()}


async def test_queued_invitations_start_the_delivery(
    ctx: ServiceContext, admin: Session, tmp_path: Path, clock: FixedClock
) -> None:
    with MailSink(maildir=tmp_path / "maildir", clock=clock.now) as sink:
        app = build_app(
            ctx,
            deliver_mail=True,
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            smtp_security="none",
        )
        async with app.run_test(size=(80, 24)) as pilot:
            await log_in(pilot, "ana", PASSWORD)
            supplier = add_supplier(
                ctx,
                admin,
                SupplierInput(
                    country="CO", tax_id="860.007.386-1", name="Cafés", email="v@cafe.example"
                ),
            )
            invitations.invite(ctx, admin, [supplier.id])
            app.screen.post_message(InvitationsQueued())
            await settle(pilot)
            assert len(sink.wait_for(1)) == 1
