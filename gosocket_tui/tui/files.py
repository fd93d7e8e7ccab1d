"""The file place of a screen's session, asked of the app (see ``services/exchange.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.dom import DOMNode

from gosocket_tui.services.exchange import FilePlace, files_for, is_remote_environment

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session


def files_of(node: DOMNode, ctx: ServiceContext, session: Session) -> FilePlace:
    """The session's place through the app; outside the Gosocket app, decided from the
    environment (never less confined than the app would be)."""
    from gosocket_tui.tui.app import GosocketApp

    app = node.app
    if isinstance(app, GosocketApp):
        return app.files_for(session)
    return files_for(ctx.config, session.company_id, remote=is_remote_environment())
