"""What every shell view has: the service context and the acting session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical

from gosocket_tui.tui.host import host

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session


class View(Vertical):
    """A self-contained view of the shell, built with the app's ``ctx`` and ``session``.

    Call services through :func:`~gosocket_tui.tui.workers.call_service` with
    ``self.session`` (always the app's current session, whose idle timer the key presses keep
    fresh; the one given at construction goes stale). Services re-check the rights on every
    write; ``session.is_admin`` here only decides what to show.
    """

    def __init__(self, ctx: ServiceContext, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ctx = ctx
        self._initial_session = session

    @property
    def session(self) -> Session:
        current = host(self).session
        return current if current is not None else self._initial_session

    def focus_content(self) -> bool:
        """Move the focus into the view (Enter on the sidebar); False when it has nothing
        to focus yet, so the focus stays on the sidebar."""
        return False
