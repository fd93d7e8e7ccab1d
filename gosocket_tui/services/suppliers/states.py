"""The states a supplier shows in: stored invitation states plus "expired", never stored."""

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
    """The state a user sees: 'invited' past its expiry shows as 'expired' (never stored)."""
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
