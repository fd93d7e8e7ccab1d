"""Judging one row of a supplier file: field checks and duplicates inside the file.

Decisions (shown to the user, documented here once):

* **Notify** accepts exactly ``1`` (send the invitation now) and ``0`` (do not send yet), as
  the template says. ``yes``, ``sí``, ``true`` or an empty cell are reported, not guessed:
  this flag sends email to a third party, so a typo must not decide it.
* **Country**: the Country column when the file has one and the cell is filled, else the
  import's default country (the acting company's country unless chosen).
* **Language**: ``es``, ``pt`` or ``en`` (or the language's name); an empty cell is the
  country's default for a new supplier and leaves an existing supplier's as it is. Any other
  value is a problem of the row: mail to a supplier in a language it does not read is lost.
* Duplicates inside the file are found on the compact Tax ID, so "76.086.428-5" and
  "760864285" collide; the check keeps one short string per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final, Literal

import email_validator
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services.bulk.headers import FIELDS, ColumnMapping, header_label
from gosocket_tui.services.bulk.source import RawRow, SourceInfo
from gosocket_tui.services.companies import clean_name
from gosocket_tui.services.session import Session
from gosocket_tui.services.supplier_language import parse_language, unknown_language
from gosocket_tui.services.suppliers import (
    MAX_FIELD,
    OPTIONAL_FIELDS,
    normalize_email,
    normalize_groups,
)
from gosocket_tui.services.taxid import fast_tax_id

Severity = Literal["error", "warning"]
VALUE_CHARS: Final = 40

# Addresses this pattern accepts are plain ASCII ones that email_validator accepts unchanged
# except for the domain's case (tests compare both on generated input). Anything else (IDN,
# quoting, special-use domains, role mailboxes it lower-cases) takes the full validator.
# The fast path matters: email_validator costs ~50 µs, a third of a row's budget.
_SIMPLE_EMAIL: Final = re.compile(
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)


# Whitespace that " ".join(text.split()) would change: runs of spaces, tabs, line breaks,
# and Unicode spaces (re's \s follows str.isspace for str patterns).
_SQUEEZE: Final = re.compile(r"[^\S ]| {2}")


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem (or warning) of one row, located as a spreadsheet user looks for it."""

    row: int
    letter: str
    header: str
    value: str
    message: str
    severity: Severity = "error"

    @property
    def column(self) -> str:
        """``B (Name*)``: the letter and the header as written in the file."""
        if not self.letter:
            return ""
        return f"{self.letter} ({self.header})" if self.header else self.letter


@dataclass(slots=True)
class Candidate:
    """A row whose every field is valid (it may still be a duplicate of a supplier)."""

    row: int
    country: str
    compact: str
    name: str
    email: str
    optional: tuple[str, ...]
    groups: str
    notify: bool
    key: str  # "CC:compact", the identity inside the file and in the network
    language: str  # "es", "pt", "en", or "" (the cell was empty)


# A checked row as plain tuples (what workers send back, the spool stores and a pass reads):
# the candidate's fields (None for a row with a problem) and its issues' fields.
Fields = tuple[Any, ...]
Stored = tuple[Fields | None, list[Fields]]
# Positions in a candidate's fields (``candidate_fields``) and an issue's (``issue_fields``).
ROW, COUNTRY, COMPACT, NOTIFY, KEY = 0, 1, 2, 7, 8
SEVERITY = 5


def candidate_fields(c: Candidate) -> tuple[Any, ...]:
    """The candidate as a plain tuple (``Candidate(*fields)`` rebuilds it): cheap to pickle."""
    return (
        c.row,
        c.country,
        c.compact,
        c.name,
        c.email,
        c.optional,
        c.groups,
        c.notify,
        c.key,
        c.language,
    )


def issue_fields(i: Issue) -> tuple[Any, ...]:
    """The issue as a plain tuple (``Issue(*fields)`` rebuilds it)."""
    return (i.row, i.letter, i.header, i.value, i.message, i.severity)


def _short(value: str) -> str:
    """The value on one line, at most ``VALUE_CHARS`` characters, for the report."""
    flat = " ".join(value.split())
    return flat if len(flat) <= VALUE_CHARS else flat[: VALUE_CHARS - 1] + "…"


def _special_use(domain: str) -> bool:
    """email_validator's special-use test (``local``, ``test``…), read from its live list."""
    names = email_validator.SPECIAL_USE_DOMAIN_NAMES
    if domain.rpartition(".")[2] in names:
        return True
    return any(domain == name or domain.endswith("." + name) for name in names if "." in name)


def fast_email(text: str) -> str:
    """``normalize_email`` with a fast path for plain ASCII addresses (same results)."""
    value = text.strip()
    match = _SIMPLE_EMAIL.fullmatch(value)
    if match is not None and len(value) <= 254:
        local, domain = match.group(1), match.group(2).lower()
        if (
            len(local) <= 64
            and len(domain) <= 253
            and "--" not in domain
            and not _special_use(domain)
            and local.lower() not in CASE_INSENSITIVE_MAILBOX_NAMES
        ):
            return f"{local}@{domain}"
    return normalize_email(value)


# A row's text as plain tuples (row number, values in ``FIELDS`` order, reading notes): what a
# chunk in flight holds and a worker receives, cheaper to keep and to pickle than a RawRow.
RowText = tuple[int, tuple[str, ...], tuple[str, ...]]
field_values: Final = itemgetter(*FIELDS)


def as_raw(row: RowText) -> RawRow:
    number, values, notes = row
    return RawRow(number, dict(zip(FIELDS, values, strict=True)), None, notes)


# One checked row as the field checks leave it: the candidate (None when a field is wrong), its
# issues, and its "CC:compact" key ("" when the Tax ID is not valid) for the file-wide checks.
Checked = tuple[Candidate | None, list[Issue], str]
# The same as plain tuples, as a worker sends it back.
CheckedFields = tuple[Fields | None, list[Fields], str]


class RowChecker:
    """The field checks of one row. Nothing is shared between rows, so any process may check
    any chunk of rows (``pool``); what needs the rows before (duplicates in the file, the
    company itself) is :class:`FileChecker`'s, in file order."""

    def __init__(
        self, columns: list[ColumnMapping], has_country: bool, default_country: str
    ) -> None:
        self.columns: dict[str, ColumnMapping] = {c.field: c for c in columns if c.field}
        self.has_country = has_country
        self.default_country = default_country
        self.notify_message = _(
            "{column} must be 1 (invite now) or 0 (not yet)",
            column=header_label("notify"),
        )
        self.language_message = unknown_language()

    @classmethod
    def for_file(cls, info: SourceInfo, default_country: str) -> RowChecker:
        return cls(info.columns, info.has_country, default_country)

    def issue(
        self, raw: RawRow, name: str | None, message: str, severity: Severity = "error"
    ) -> Issue:
        column = self.columns.get(name) if name else None
        if column is None:
            return Issue(raw.row_number, "", "", "", message, severity)
        return Issue(
            raw.row_number,
            column.letter,
            column.header,
            _short(raw.values.get(name or "", "")),
            message,
            severity,
        )

    def _too_long(self, raw: RawRow, name: str) -> Issue:
        column = self.columns[name]
        message = _(
            "{column} must have at most {max} characters",
            column=column.header or column.letter,
            max=MAX_FIELD,
        )
        return self.issue(raw, name, message)

    def _cleaned(
        self, raw: RawRow, name: str, clean: Callable[[str], str], issues: list[Issue]
    ) -> str | None:
        """The field as ``clean`` stores it, or None with its issue added to ``issues``."""
        try:
            return clean(raw.values[name])
        except ValidationError as exc:
            issues.append(self.issue(raw, name, exc.message))
            return None

    def check(self, raw: RawRow) -> Checked:
        """The row's field checks; the file-wide ones come after (:class:`FileChecker`)."""
        values = raw.values
        issues: list[Issue] = (
            [self.issue(raw, None, note, "warning") for note in raw.warnings]
            if raw.warnings
            else []
        )
        errors = False
        country = (values["country"] if self.has_country else "") or self.default_country
        compact = ""
        try:
            country, compact = fast_tax_id(country, values["tax_id"])
        except ValidationError as exc:
            errors = True
            where = "country" if exc.field == "country" and self.has_country else "tax_id"
            issues.append(self.issue(raw, where, exc.message))
        name = self._cleaned(raw, "name", clean_name, issues)
        email = self._cleaned(raw, "email", fast_email, issues)
        notify_text = values["notify"]
        if notify_text not in ("0", "1"):
            errors = True
            issues.append(self.issue(raw, "notify", self.notify_message))
        optional = []
        for key_name in OPTIONAL_FIELDS:
            text = values[key_name]
            if text and _SQUEEZE.search(text):
                text = " ".join(text.split())  # as the Add Supplier form stores it
            if len(text) > MAX_FIELD:
                errors = True
                issues.append(self._too_long(raw, key_name))
            optional.append(text)
        groups = normalize_groups(values["groups"]) if values["groups"] else ""
        language = values["language"]
        if language:
            language = parse_language(language) or ""
            if not language:
                errors = True
                issues.append(self.issue(raw, "language", self.language_message))
        key = f"{country}:{compact}" if compact else ""
        if errors or name is None or email is None:
            return None, issues, key
        candidate = Candidate(
            row=raw.row_number,
            country=country,
            compact=compact,
            name=name,
            email=email,
            optional=tuple(optional),
            groups=groups,
            notify=notify_text == "1",
            key=key,
            language=language,
        )
        return candidate, issues, key


class FileChecker:
    """The checks that need the rows before this one, applied in file order: the same supplier
    twice in the file, and the acting company as its own supplier.

    A chunk's keys are settled against one dict of the first row of each "CC:compact" seen
    (plain strings and ints, ~130 bytes a row); the issue goes where the single-pass check put
    it, right after the row's reading notes.
    """

    def __init__(self, session: Session, rows: RowChecker) -> None:
        self.rows = rows
        self.own_key = f"{session.company_country}:{session.company_tax_id}"
        self.seen: dict[str, int] = {}

    def settle(self, chunk: list[tuple[RawRow | RowText, CheckedFields]]) -> list[Stored]:
        """The chunk's rows with the file-wide checks added, in the order given."""
        seen = self.seen
        out: list[Stored] = []
        for row, (fields, issues, key) in chunk:
            if key:
                number = row.row_number if isinstance(row, RawRow) else row[0]
                first = seen.setdefault(key, number)
                if first != number:
                    fields = None
                    raw = row if isinstance(row, RawRow) else as_raw(row)
                    issues.insert(len(raw.warnings), issue_fields(self._duplicate(raw, first)))
                elif key == self.own_key:
                    fields = None
                    raw = row if isinstance(row, RawRow) else as_raw(row)
                    own = self.rows.issue(raw, "tax_id", _("A company cannot be its own supplier."))
                    issues.insert(len(raw.warnings), issue_fields(own))
            out.append((fields, issues))
        return out

    def _duplicate(self, raw: RawRow, first: int) -> Issue:
        return self.rows.issue(
            raw,
            "tax_id",
            _(
                "Same supplier as row {row} (the same Tax ID, perhaps written "
                "differently); keep one of the two rows",
                row=first,
            ),
        )
