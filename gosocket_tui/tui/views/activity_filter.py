"""The Activity view's filter fields turned into the service's :class:`AuditFilter`.

Action prefix (with suggestions of the known actions), user, and a from/to day in local time
(``YYYY-MM-DD``); a badly written day is a :class:`FilterError` naming its field, which the
view explains under the filters.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo

from gosocket_tui.i18n import _
from gosocket_tui.services.activity import AuditFilter

KNOWN_ACTIONS: tuple[str, ...] = (
    "auth.",
    "auth.login",
    "auth.logout",
    "auth.lockout",
    "supplier.",
    "supplier.add",
    "supplier.update",
    "supplier.remove",
    "supplier.activate",
    "supplier.registered",
    "invitation.",
    "invitation.blocked",
    "invitation.cancel",
    "invitation.change_email",
    "invitation.delivery_failed",
    "invitation.reminded",
    "invitation.reminder_failed",
    "user.",
    "user.create",
    "user.disable",
    "user.enable",
    "user.unlock",
    "company.create",
    "settings.update",
    "audit.read",
)
"""Suggestions for the action filter (a prefix such as ``supplier.`` matches a family)."""

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
FILTER_IDS = ("activity-action", "activity-user", "activity-since", "activity-until")


class FilterError(ValueError):
    """A filter field holds something that is not a filter; ``field`` is its input id."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_day(value: str, field: str, today: date) -> date | None:
    """``YYYY-MM-DD`` → a date; empty → None; anything else → :class:`FilterError`."""
    value = value.strip()
    if not value:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(
            _(
                "Write the date as YYYY-MM-DD, for example {example}.",
                example=today.isoformat(),
            ),
            field,
        ) from None


def day_start_utc(day: date, tz: tzinfo | None = None) -> datetime:
    """Midnight at the start of ``day`` in ``tz`` (local when None) as a naive UTC time."""
    start = datetime.combine(day, time.min)
    aware = start.replace(tzinfo=tz) if tz is not None else start.astimezone()
    return aware.astimezone(UTC).replace(tzinfo=None)


def build_filter(
    action: str, user: str, since: str, until: str, *, today: date, tz: tzinfo | None = None
) -> AuditFilter:
    """The service filter for what the fields say; the to-day is included in full."""
    first = parse_day(since, "activity-since", today)
    last = parse_day(until, "activity-until", today)
    if first is not None and last is not None and first > last:
        raise FilterError(_("The “from” day is after the “to” day."), "activity-until")
    return AuditFilter(
        action=action.strip(),
        user=user.strip(),
        since=day_start_utc(first, tz) if first is not None else None,
        until=day_start_utc(date.fromordinal(last.toordinal() + 1), tz)
        if last is not None
        else None,
    )
