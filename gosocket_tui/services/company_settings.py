"""A company's own settings for its invitations: reminders, a personal note, a reply-to.

Only the company's administrators read or change them, and only their own company's (the
session names it; no function takes a company id from the caller). Every change is audited.
Everything is checked here, so the CLI and the Settings view give the same answers:

- the reminder schedule is at most ``MAX_REMINDERS`` whole days after the invitation,
  strictly increasing, each before the code expires (a reminder carries a code that must
  still work);
- the note is plain text of at most ``NOTE_MAX_CHARS`` characters and ``NOTE_MAX_LINES``
  lines: no control character but the line break, no bidi override. It is never read as
  markup: ``<b>`` or ``[@click=…]`` are kept as typed, escaped in the HTML part and shown
  as literal text on screen;
- the reply-to is one address, checked with email-validator (no DNS lookup) and kept in
  ASCII (the domain as IDNA; a local part that is not ASCII is refused), so the header of
  every invitation is ASCII and no server needs SMTPUTF8 for it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import CompanySettings
from gosocket_tui.errors import PermissionDenied, UserError, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services import audit
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_session

MAX_REMINDERS = 3
DEFAULT_REMINDER_DAYS = (2, 5)
NOTE_MAX_CHARS = 500
NOTE_MAX_LINES = 8
REPLY_TO_MAX_CHARS = 254
_MAX_DAYS_TEXT = 40  # "2,5" and friends; anything longer is refused before parsing
_DAYS_RE = re.compile(r"^\s*\d{1,3}\s*(,\s*\d{1,3}\s*)*$")


@dataclass(frozen=True)
class CompanySettingsInfo:
    """A company's settings as they apply now (the defaults when it never changed them)."""

    reminders_enabled: bool
    reminder_days: tuple[int, ...]
    note: str
    reply_to: str
    updated_at: datetime | None = None

    @property
    def reminder_days_text(self) -> str:
        return ",".join(str(day) for day in self.reminder_days)


DEFAULTS = CompanySettingsInfo(False, DEFAULT_REMINDER_DAYS, "", "")


def lifetime_days(lifetime_hours: int) -> float:
    return lifetime_hours / 24


def effective_days(days: tuple[int, ...], lifetime_hours: int) -> tuple[int, ...]:
    """The scheduled days still before the code's expiry (the lifetime may have shrunk since
    the schedule was saved: a reminder must always carry a code that works)."""
    return tuple(day for day in days if day < lifetime_days(lifetime_hours))


def _stored_days(text: str) -> tuple[int, ...]:
    """The schedule as stored (already checked when saved)."""
    return tuple(int(part) for part in text.split(",") if part.strip().isdigit())


def settings_of(company_id: int) -> CompanySettingsInfo:
    """The settings of one company, for the deliverer and the other services (no session:
    the caller has already authorised, or is the system)."""
    row = CompanySettings.get_or_none(CompanySettings.company == company_id)
    if row is None:
        return DEFAULTS
    return CompanySettingsInfo(
        reminders_enabled=bool(row.reminders_enabled),
        reminder_days=_stored_days(row.reminder_days),
        note=row.note,
        reply_to=row.reply_to,
        updated_at=row.updated_at,
    )


# -- checks ---------------------------------------------------------------------------------


def parse_reminder_days(text: str, lifetime_hours: int) -> tuple[int, ...]:
    """``"2,5"`` → ``(2, 5)``; ValidationError (field 'reminder_days') for anything else."""
    if len(text) > _MAX_DAYS_TEXT or not _DAYS_RE.match(text):
        raise ValidationError(
            _("Write the reminder days as whole numbers separated by commas, for example 2,5."),
            field="reminder_days",
        )
    days = tuple(int(part) for part in text.split(","))
    if len(days) > MAX_REMINDERS:
        raise ValidationError(
            _("At most {count} reminders.", count=MAX_REMINDERS), field="reminder_days"
        )
    if any(day < 1 for day in days):
        raise ValidationError(
            _("A reminder goes at least 1 day after the invitation."), field="reminder_days"
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        raise ValidationError(
            _("The reminder days must increase, for example 2,5."), field="reminder_days"
        )
    limit = lifetime_days(lifetime_hours)
    if days[-1] >= limit:
        raise ValidationError(
            _(
                "Every reminder must go before the code expires ({days} days after the "
                "invitation).",
                days=f"{limit:g}",
            ),
            field="reminder_days",
        )
    return days


def _refused_character(ch: str) -> bool:
    if ch == "\n":
        return False
    # Cc: C0/C1 controls (ESC, CSI U+009B, tab, CR); Cf: bidi overrides, zero-width marks.
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def check_note(text: str) -> str:
    """The note as stored: line ends made ``\\n``, outer blank space trimmed; plain text only."""
    note = text.replace("\r\n", "\n").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError(
            _("The note is too long: at most {count} characters.", count=NOTE_MAX_CHARS),
            field="note",
        )
    if note.count("\n") >= NOTE_MAX_LINES:
        raise ValidationError(
            _("The note is too long: at most {count} lines.", count=NOTE_MAX_LINES),
            field="note",
        )
    if any(_refused_character(ch) for ch in note):
        raise ValidationError(
            _("The note may hold only text: no control or direction-changing characters."),
            field="note",
        )
    return note


def check_reply_to(text: str) -> str:
    """One email address, normalised; empty clears it (replies go to the sender)."""
    address = text.strip()
    if not address:
        return ""
    if (
        len(address) > REPLY_TO_MAX_CHARS
        or any(_refused_character(ch) for ch in address)
        # An RFC 2047 encoded word: legal in a local part, but readers decode it into
        # another address than the one the header holds.
        or "=?" in address
    ):
        raise ValidationError(_("The reply-to address is not valid."), field="reply_to")
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_("The reply-to address is not valid."), field="reply_to") from None
    # The Reply-To header goes to every supplier, over servers that may not speak SMTPUTF8:
    # the domain in its ASCII form (IDNA), and a local part only ASCII can carry.
    if checked.ascii_email is None:
        raise ValidationError(
            _("The reply-to address must be written in ASCII before the @."), field="reply_to"
        )
    return str(checked.ascii_email)


# -- reading and changing -------------------------------------------------------------------


def _settings_admin(ctx: ServiceContext, session: Session, action: str) -> Session | UserError:
    """The session re-checked, or the refusal (audited: the caller's transaction commits it)."""
    current = require_session(ctx, session)
    if not current.is_admin:
        audit.record(ctx, current, action, outcome="refused", detail="not an administrator")
        return PermissionDenied(_("Only administrators can see or change the company settings."))
    return current


def get_settings(ctx: ServiceContext, session: Session) -> CompanySettingsInfo:
    """The acting company's settings (administrators only)."""
    current = transaction(lambda: _settings_admin(ctx, session, "settings.read"))
    if isinstance(current, UserError):
        raise current
    return settings_of(current.company_id)


def update_settings(
    ctx: ServiceContext,
    session: Session,
    *,
    reminders_enabled: bool | None = None,
    reminder_days: str | None = None,
    note: str | None = None,
    reply_to: str | None = None,
) -> CompanySettingsInfo:
    """Change the given settings of the acting company (None: unchanged); audited.

    Every value is checked before anything is written: one bad value changes nothing.
    """

    def write() -> CompanySettingsInfo | UserError:
        current = _settings_admin(ctx, session, "settings.update")
        if isinstance(current, UserError):
            return current
        before = settings_of(current.company_id)
        try:
            changes: dict[str, object] = {}
            if reminders_enabled is not None:
                changes["reminders_enabled"] = bool(reminders_enabled)
            if reminder_days is not None:
                days = parse_reminder_days(reminder_days, ctx.config.activation_code_lifetime_hours)
                changes["reminder_days"] = ",".join(str(day) for day in days)
            if note is not None:
                changes["note"] = check_note(note)
            if reply_to is not None:
                changes["reply_to"] = check_reply_to(reply_to)
        except ValidationError as exc:
            audit.record(
                ctx,
                current,
                "settings.update",
                outcome="refused",
                detail=f"{exc.field}: {exc.message}"[:500],
            )
            return exc
        old = {
            "reminders_enabled": before.reminders_enabled,
            "reminder_days": before.reminder_days_text,
            "note": before.note,
            "reply_to": before.reply_to,
        }
        changed = {key: value for key, value in changes.items() if old[key] != value}
        if not changed:
            return before
        now = ctx.clock.now()
        row = {
            **old,
            **changed,
            "updated_at": now,
            "updated_by": None if current.is_system else current.user_id,
        }
        (
            CompanySettings.insert(company=current.company_id, **row)
            .on_conflict(conflict_target=[CompanySettings.company], update=row)
            .execute()
        )
        audit.record(ctx, current, "settings.update", detail=_describe(old, changed))
        return settings_of(current.company_id)

    result = transaction(write)
    if isinstance(result, UserError):
        raise result
    return result


def _describe(old: dict[str, object], changed: dict[str, object]) -> str:
    """What changed, for the audit trail (the note by its length: it is the company's text)."""
    parts = []
    for key, value in changed.items():
        if key == "note":
            parts.append(f"note {len(str(old[key]))} -> {len(str(value))} chars")
        else:
            parts.append(f"{key} {old[key]} -> {value}")
    return "; ".join(parts)
