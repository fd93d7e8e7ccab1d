"""What screens, views and widgets may ask of the app, and the messages they send it.

Screens never reach the app by duck typing (``getattr(self.app, …)``): they read the few
things in :class:`AppHost` through :func:`host`, and tell the app what happened with the
bubbling messages below, which :class:`~gosocket_tui.tui.app.GosocketApp` handles.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from textual.message import Message

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.exchange import FilePlace
    from gosocket_tui.services.session import Session
    from gosocket_tui.tui.tour import Seen


class AppHost(Protocol):
    """The app as its screens see it (``GosocketApp`` is checked against it by mypy)."""

    @property
    def ctx(self) -> ServiceContext:
        """The service context; each worker thread closes its own connection."""

    @property
    def session(self) -> Session | None:
        """The logged-in session, refreshed on every key press; None on the login screen."""

    @property
    def remote(self) -> bool:
        """The person is on another machine: files come and go through the exchange folder."""

    @property
    def maildir(self) -> Path | None:
        """A local mail sink's Maildir to show in the Mailbox, or None."""

    def files_for(self, session: Session) -> FilePlace:
        """Where ``session`` may read and write files: when remote, only its exchange folder."""

    def push_bulk_import(self, done: Callable[[bool], object]) -> None:
        """Open Bulk add suppliers over the shell at once (keys typed behind the key that
        opened it go to it); ``done(True)`` when it closes after an import."""


def host(node: DOMNode) -> AppHost:
    """The app of ``node``, typed as what screens may ask of it."""
    return cast("AppHost", node.app)


class SessionEnded(Message):
    """A service refused the session (timed out, account disabled): log out with ``reason``.

    Posted by :func:`~gosocket_tui.tui.workers.call_service`, so every screen ends an expired
    session the same way instead of showing it as a load error.
    """

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class InvitationsQueued(Message):
    """Invitation emails were queued: the app's background delivery sends them now."""


class Happened(Message):
    """Something a trainer's guided tour watches for happened (``tui/tour.py``): a search
    run, a supplier added, an invitation queued … The app feeds it to the tour, if one runs."""

    def __init__(self, seen: Seen) -> None:
        super().__init__()
        self.seen = seen
