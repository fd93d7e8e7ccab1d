"""Ending the session from anywhere in the TUI.

A service refuses an expired session (``SessionExpired``) in whatever worker happens to run;
the widget that got the answer hands it to the app, which logs out and shows the login screen
with the reason.
"""

from __future__ import annotations

import inspect

from textual.widget import Widget


async def end_session(widget: Widget, reason: str) -> None:
    """The session expired while a service ran: log out with the reason (the app's method)."""
    method = getattr(widget.app, "end_session", None)
    if method is None:
        return
    result = method(reason=reason, notice=reason)
    if inspect.isawaitable(result):
        await result
