"""The one way for a screen to call a service: in a thread worker, results on the UI thread.

Services block (database, argon2, SMTP), so the event loop never runs them. :func:`call_service`
runs one call in a thread worker and takes care of what every call needs:

- the worker thread's database connection is closed when the call ends (a thread keeps its
  own peewee connection, and a worker thread is not reused);
- a result of work that was cancelled or superseded (``exclusive``: a newer call of the same
  group started, or the widget went away) is dropped, never shown;
- an expired session becomes one :class:`~gosocket_tui.tui.host.SessionEnded` for the app,
  which logs out with the reason, whatever screen asked;
- success or any other :class:`~gosocket_tui.errors.GosocketError` comes back on the UI thread,
  to ``done`` or ``failed``.

An exception that is not a ``GosocketError`` is a bug: it ends the app with a traceback in the
log like any other worker error, rather than being shown as if it were the user's problem.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.worker import Worker, WorkerCancelled, get_current_worker

from gosocket_tui.errors import GosocketError, SessionExpired
from gosocket_tui.tui.host import SessionEnded, host

if TYPE_CHECKING:
    from textual.dom import DOMNode

T = TypeVar("T")


def call_service(
    owner: DOMNode,
    call: Callable[[], T],
    done: Callable[[T], object],
    failed: Callable[[GosocketError], object] | None = None,
    *,
    group: str,
    exclusive: bool = True,
) -> Worker[None]:
    """Run ``call()`` in a thread worker of ``owner``; ``done(result)`` or ``failed(error)``
    then runs on the UI thread, unless the work was cancelled or superseded meanwhile.

    ``exclusive`` cancels the group's earlier calls, so only the latest answer is shown (a
    filter typed fast, a cursor moved on). Without ``failed``, an error is shown as a notice.
    An expired session never reaches ``failed``: the app logs out instead. Tests may
    ``await worker.wait()``: when it returns, ``done`` or ``failed`` has run.
    """
    # ``done`` and ``failed`` run in the caller's context, as if called where the call was
    # made: a worker thread has none of Textual's context (a screen ``done`` pushes would
    # otherwise run its widgets without it, e.g. without a test's message hook).
    context = contextvars.copy_context()

    def run() -> None:
        worker = get_current_worker()
        outcome: T | GosocketError
        try:
            outcome = call()
        except GosocketError as exc:
            outcome = exc
        finally:
            host(owner).ctx.close()  # this worker thread's connection only
        if worker.is_cancelled:
            return
        try:
            context.run(owner.app.call_from_thread, _deliver, worker, outcome)
        except (RuntimeError, WorkerCancelled):  # the app has ended meanwhile
            return

    def _deliver(worker: Worker[Any], outcome: T | GosocketError) -> None:
        if worker.is_cancelled:  # superseded while the answer travelled
            return
        if isinstance(outcome, SessionExpired):
            owner.app.post_message(SessionEnded(outcome.message))
        elif isinstance(outcome, GosocketError):
            if failed is not None:
                failed(outcome)
            else:
                owner.app.notify(outcome.message, severity="error")
        else:
            done(outcome)

    return owner.run_worker(run, group=group, exclusive=exclusive, thread=True)


def from_worker(owner: DOMNode, callback: Callable[..., object], *args: object) -> None:
    """Run ``callback(*args)`` on the UI thread from inside a worker of ``owner`` (progress
    reports), unless that worker has been cancelled."""
    worker = get_current_worker()
    if worker.is_cancelled:
        return
    owner.app.call_from_thread(lambda: None if worker.is_cancelled else callback(*args))
