"""The states a supplier shows in, and their labels.

Every state is stored on the link; "expired" is written by the expiry sweep
(``services/expiry.py``). Between two sweeps an invitation past its expiry already shows
as expired (``display_state``), so no screen ever shows a dead code as pending.
"""

from __future__ import annotations

from datetime import datetime

from gosocket_tui.i18n import _

STATUSES = (
    "registered",
    "not_invited",
    "queued",
    "invited",
    "expired",
    "delivery_failed",
    "cancelled",
)


def display_state(status: str, expires_at: datetime | None, now: datetime) -> str:
    """The state a user sees: 'invited' past its expiry is 'expired' even before the sweep."""
    if status == "invited" and expires_at is not None and expires_at <= now:
        return "expired"
    return status


def state_label(state: str) -> str:
    """Translated name of a display state."""
    labels = {
        "registered": _("Registered"),
        "not_invited": _("Not invited"),
        "queued": _("Queued"),
        "invited": _("Invited"),
        "expired": _("Expired"),
        "delivery_failed": _("Delivery failed"),
        "cancelled": _("Cancelled"),
    }
    return labels.get(state, state)


def invitation_label(state: str, reminders: int, *, short: bool = False) -> str:
    """The Invitation column's text: the state, and how many reminders went out
    ("Invited · reminded 2×"; ``short``: "Invited · 2×" for a narrow column). Pure, so
    every view shows it alike."""
    label = state_label(state)
    if reminders > 0 and state in ("invited", "expired"):
        if short:
            return f"{label} · {reminders}×"
        return _("{state} · reminded {count}×", state=label, count=reminders)
    return label
