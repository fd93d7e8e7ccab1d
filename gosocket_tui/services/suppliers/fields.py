"""A supplier's contact fields as a buyer types them: email, groups and the optional texts.

The Add Supplier form, the edit command, invitations and bulk files all clean them here, so a
value is stored the same way whichever door it came in by.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Final

from email_validator import EmailNotValidError, validate_email

from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _

MAX_FIELD = 300
OPTIONAL_FIELDS: Final = ("description", "address", "city", "province", "phone", "fax")


def _email_reason(exc: EmailNotValidError) -> str:
    """email-validator's reason, translated when it is one of its fixed sentences; the
    sentences that name characters ("…: SPACE.") translate their fixed start."""
    reason = str(exc)
    head, colon, detail = reason.partition(": ")
    if colon and _(head + ":") != head + ":":
        return f"{_(head + ':')} {detail}"
    return _(reason)


def normalize_email(email: str, *, required: bool = True) -> str:
    """Syntax check only (no DNS lookup): a terminal on a server may have no resolver."""
    text = email.strip()
    if not text:
        if required:
            raise ValidationError(_("The email is required."), field="email")
        return ""
    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValidationError(
            _(
                "Invalid email address {email}: {reason}",
                email=text[:80],
                reason=_email_reason(exc),
            ),
            field="email",
        ) from None


def normalize_groups(groups: Sequence[str] | str) -> str:
    """Groups are stored as one comma-separated, lower-case, de-duplicated string.

    Quotes, backslashes and control characters are dropped: group names are tags, and the
    database's group index reads the string as JSON, where those would break it.
    """
    items = groups.replace(";", ",").split(",") if isinstance(groups, str) else list(groups)
    seen: list[str] = []
    for item in items:
        kept = "".join(ch for ch in item if ch not in '"\\' and unicodedata.category(ch) != "Cc")
        name = " ".join(kept.split()).lower()
        if name and name not in seen:
            seen.append(name[:40])
    return ",".join(seen)


def clean_optional(name: str, value: str) -> str:
    """One of :data:`OPTIONAL_FIELDS`: white space folded, at most :data:`MAX_FIELD` long."""
    text = " ".join(value.split())
    if len(text) > MAX_FIELD:
        raise ValidationError(
            _("{field} must have at most {max} characters.", field=name, max=MAX_FIELD),
            field=name,
        )
    return text
