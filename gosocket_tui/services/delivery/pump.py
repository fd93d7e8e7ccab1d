"""Mail delivery for a long-lived front end (the app): one run at a time, never in the way.

The front end calls ``request()`` whenever mail may be due (a timer, an invitation just
queued). True means it must call ``run()`` in a thread of its own; False means a run is going
on, and that run goes once more before it ends (a message queued meanwhile may have been
missed). No failure leaves ``run()``: a mail server that is down, bad mail settings or a busy
database is logged once per problem, not every run, and kept in the database (the delivery
log); the outbox's own backoff decides when each message is tried again.

This module is imported when the app starts, so it stays light: the deliverer (smtplib, ssl,
the email package) is loaded by the first run, in its thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from gosocket_tui.errors import GosocketError

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.delivery.deliverer import Deliverer
    from gosocket_tui.services.delivery.report import DeliveryReport

log = logging.getLogger(__name__)


class DeliveryPump:
    """Runs the deliverer of one front end; ``worker_id`` names its claims (host:pid)."""

    def __init__(self, ctx: ServiceContext, worker_id: str) -> None:
        self.ctx = ctx
        self.worker_id = worker_id
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._deliverer: Deliverer | None = None
        self._problem = ""  # the last problem logged, so each is logged once

    def request(self) -> bool:
        """Ask for a run: True when the caller must start ``run()`` in a thread now."""
        with self._lock:
            if self._running:
                self._again = True
                return False
            self._running = True
            return True

    def run(self, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Deliver until no request came during the last run (or ``cancelled()`` says stop).

        Call once for each ``request()`` that returned True, in a thread that may block.
        """
        try:
            while True:
                self._run_once()
                with self._lock:
                    if not self._again or cancelled():
                        self._running = False
                        return
                    self._again = False
        except BaseException:
            with self._lock:
                self._running = False
            raise

    def _run_once(self) -> None:
        """One delivery run; every failure is logged once and otherwise kept quiet."""
        # Late, for startup speed: smtplib, ssl and the email package load in this thread.
        from gosocket_tui.services.delivery.deliverer import Deliverer, smtp_settings_from_config

        report: DeliveryReport | None = None
        unexpected: Exception | None = None
        try:
            if self._deliverer is None:
                self._deliverer = Deliverer(
                    self.ctx, smtp_settings_from_config(self.ctx.config), self.worker_id
                )
            report = self._deliverer.deliver_due()
            problem = report.server_error or ""
        except GosocketError as exc:  # bad mail settings, a database that is busy or gone
            problem = exc.message
        except Exception as exc:  # never let mail delivery take the front end down
            problem = str(exc) or exc.__class__.__name__
            unexpected = exc
        finally:
            self.ctx.close()  # this thread's connection only
        if report is not None and report.claimed:
            log.info("mail delivery: %s", report.summary())
        if problem and problem != self._problem:  # once per problem, not every run
            log.warning("mail delivery: %s", problem, exc_info=unexpected)
        self._problem = problem
