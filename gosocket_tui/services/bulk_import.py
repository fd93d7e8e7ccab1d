"""Bulk supplier registration ("Agregar Proveedores Masivo"): validate a file, then import it.

Two entry points share one streaming pass over the file (``bulk_files.open_supplier_file``):

* :func:`validate` checks every row and writes nothing: Tax ID for its country, name, email,
  Notify, optional field lengths, groups, duplicates inside the file (on the compact form, so
  "76.086.428-5" and "760864285" collide) and suppliers the company already has. It returns a
  :class:`ValidationReport` (counts and the first ``max_issues`` problems).
* :func:`import_file` runs the same pass again inside ONE transaction and writes as it goes:
  companies new to the network, the supplier links, updates of existing links (policy
  ``update``), one audit row per written supplier and the invitations of ``Notify=1`` rows
  (queued through the outbox by the invitations service). All or nothing: a row with a problem
  rolls everything back unless ``valid_only`` asks to skip such rows. Ctrl+C or a killed
  process leaves the database as it was, because nothing is written outside that transaction.

Decisions (shown to the user, documented here once):

* **Notify** accepts exactly ``1`` (send the invitation now) and ``0`` (do not send yet), as
  the template says. ``yes``, ``sí``, ``true`` or an empty cell are reported, not guessed:
  this flag sends email to a third party, so a typo must not decide it.
* **Existing suppliers** (same country and compact Tax ID in the company's list):
  ``skip`` leaves them untouched; ``update`` writes the file's email, groups and the optional
  fields that are not empty in the file (an empty cell never erases data; the name is not
  changed) and queues an invitation for ``Notify=1`` when one may be sent; ``error`` reports
  them as rows with a problem.
* **Country**: the Country column when the file has one and the cell is filled, else the
  import's default country (the acting company's country unless chosen).
* The file's name is the importing buyer's own name for an unregistered supplier (the
  network's company row carries no buyer's name; another buyer having the supplier changes
  nothing); a registered supplier shows its own profile name, is linked as ``registered``
  and never invited.

Memory stays flat for a million rows: rows are streamed, looked up 500 at a time and written
5,000 at a time with cursor ``executemany`` (``db/bulk.py``), the duplicate check keeps one
short string per row, and the issue list is capped (counts stay exact).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import operator
import os
import re
import tempfile
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal

import email_validator
import peewee
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from gosocket_tui.db import bulk as fast
from gosocket_tui.db.connection import describe_database_error, transaction
from gosocket_tui.db.models import Company, SupplierLink
from gosocket_tui.errors import DatabaseError, UserError, ValidationError
from gosocket_tui.i18n import _, translate
from gosocket_tui.mail.compose import make_message_id
from gosocket_tui.services import audit, invitations
from gosocket_tui.services.bulk_files import (
    ColumnMapping,
    FileRefused,
    RawRow,
    SourceInfo,
    SupplierFile,
    header_label,
    open_supplier_file,
    write_report_csv,
)
from gosocket_tui.services.companies import clean_name
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_admin
from gosocket_tui.services.suppliers import MAX_FIELD, normalize_email, normalize_groups
from gosocket_tui.services.taxid import canonical_compact, format_tax_id, parse_tax_id

__all__ = [
    "MAX_ISSUES",
    "POLICIES",
    "ImportCancelled",
    "ImportOptions",
    "ImportRefused",
    "ImportSummary",
    "Issue",
    "Policy",
    "Progress",
    "ProgressCallback",
    "ValidationReport",
    "import_file",
    "validate",
    "write_issue_report",
]

Policy = Literal["skip", "update", "error"]
Phase = Literal["validate", "import"]
Severity = Literal["error", "warning"]
POLICIES: Final[tuple[Policy, ...]] = ("skip", "update", "error")
MAX_ISSUES: Final = 10_000
LOOKUP_ROWS: Final = 500  # Tax IDs per lookup query
WRITE_ROWS: Final = 5_000  # rows per executemany batch
VALUE_CHARS: Final = 40
PROGRESS_EVERY_ROWS: Final = 1_000
PROGRESS_EVERY_SECONDS: Final = 0.1
OPTIONAL_FIELDS: Final = ("description", "address", "city", "province", "phone", "fax")
INVITABLE: Final = frozenset({"not_invited", "delivery_failed", "cancelled"})

_LINK_COLUMNS: Final = (
    "buyer_id",
    "supplier_id",
    "country",
    "tax_id",
    "name",
    "email",
    "description",
    "address",
    "city",
    "province",
    "phone",
    "fax",
    "groups",
    "status",
    "status_at",
    "added_by_id",
    "added_at",
    "updated_at",
)
# An empty cell keeps the stored value: ``update`` never erases what the buyer typed before.
_UPDATE_SQL: Final = (
    "UPDATE supplier_link SET email = ?, "
    + ", ".join(f"{name} = COALESCE(NULLIF(?, ''), {name})" for name in OPTIONAL_FIELDS)
    + ", groups = COALESCE(NULLIF(?, ''), groups), updated_at = ? WHERE id = ?"
)
_INVITATION_COLUMNS: Final = (
    "link_id",
    "buyer_id",
    "supplier_id",
    "email",
    "language",
    "status",
    "attempts",
    "created_at",
    "invited_by_id",
)
_OUTBOX_COLUMNS: Final = (
    "buyer_id",
    "invitation_id",
    "kind",
    "recipient",
    "subject",
    "language",
    "message_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)
_AUDIT_COLUMNS: Final = (
    "at",
    "actor_id",
    "actor_name",
    "company_id",
    "action",
    "target",
    "outcome",
    "detail",
)

# Addresses this pattern accepts are plain ASCII ones that email_validator accepts unchanged
# except for the domain's case (tests compare both on generated input). Anything else (IDN,
# quoting, special-use domains, role mailboxes it lower-cases) takes the full validator.
# The fast path matters: email_validator costs ~50 µs, a third of a row's budget.
_SIMPLE_EMAIL: Final = re.compile(
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)


# Tax ID fast path (see ``fast_tax_id``): plain ASCII input of the main markets is checked
# on the separator-free form with stdnum's rules for that shape, skipping stdnum's Unicode
# cleaning (which each validate() repeats) and parse_tax_id's display form. Tests compare
# the result with parse_tax_id on generated input.
_FAST_TAX_INPUT: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z .-]{1,38}")
_DROP_SEPARATORS: Final = str.maketrans("", "", " .-")
# Whitespace that " ".join(text.split()) would change: runs of spaces, tabs, line breaks,
# and Unicode spaces (re's \s follows str.isspace for str patterns).
_SQUEEZE: Final = re.compile(r"[^\S ]| {2}")
_CL_SHAPE: Final = re.compile(r"[0-9]{7,8}[0-9K]")
_PE_SHAPE: Final = re.compile(r"(?:10|15|17|20)[0-9]{9}")
_CO_SHAPE: Final = re.compile(r"[0-9]{8,16}")
_MX_COMPANY_SHAPE: Final = re.compile(r"[A-Z]{3}[0-9]{6}[0-9A-Z]{3}")


# stdnum's check-digit formulas with the weights spelled out, summed in C (map/operator):
# ~1 µs instead of ~4 µs a row. The property tests compare them with parse_tax_id.
_CL_WEIGHTS: Final = (9, 8, 7, 6, 5, 4) * 2
_PE_WEIGHTS: Final = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_CO_WEIGHTS: Final = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(map(operator.mul, map(int, digits), weights))


def _fast_cl(plain: str) -> bool:
    if not _CL_SHAPE.fullmatch(plain):
        return False
    return "0123456789K"[_weighted(plain[-2::-1], _CL_WEIGHTS) % 11] == plain[-1]


def _fast_pe(plain: str) -> bool:
    if not _PE_SHAPE.fullmatch(plain):
        return False
    return str((11 - _weighted(plain[:10], _PE_WEIGHTS) % 11) % 10) == plain[-1]


def _fast_co(plain: str) -> bool:
    if not _CO_SHAPE.fullmatch(plain):
        return False
    return "01987654321"[_weighted(plain[-2::-1], _CO_WEIGHTS) % 11] == plain[-1]


def _fast_mx(plain: str) -> bool:
    # Companies (12 characters): letters, a YYMMDD date, homoclave; the check digit stays
    # off as in taxid. Persons (13) have a word blacklist: they take the full path.
    if not _MX_COMPANY_SHAPE.fullmatch(plain):
        return False
    try:
        date(2000 + int(plain[3:5]), int(plain[5:7]), int(plain[7:9]))
    except ValueError:
        return False
    return True


_FAST_TAX: Final[dict[str, Callable[[str], bool]]] = {
    "CL": _fast_cl,
    "PE": _fast_pe,
    "CO": _fast_co,
    "MX": _fast_mx,
}


class ImportCancelled(UserError):
    """The user stopped the validation or the import; nothing was written."""


class ImportRefused(UserError):
    """All-or-nothing import of a file with problem rows: nothing was written.

    ``report`` lists the problems (the CLI writes it with ``--report``, the TUI shows it).
    """

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class ImportOptions:
    """How to read and judge the file.

    ``default_country`` is the country of rows without a Country value ("" = the acting
    company's country). ``valid_only`` imports the valid rows and skips the others instead of
    refusing the whole file.
    """

    default_country: str = ""
    on_existing: Policy = "skip"
    valid_only: bool = False
    max_issues: int = MAX_ISSUES


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


@dataclass(frozen=True)
class Progress:
    """Where a pass is: rows done, fraction of the file read, speed and time left."""

    phase: Phase
    rows: int
    fraction: float
    elapsed: float
    rows_per_second: float
    eta_seconds: float | None


ProgressCallback = Callable[[Progress], None]


@dataclass
class ValidationReport:
    """What a pass over the file found. Counts are exact; ``issues`` holds the first ones.

    ``rows`` data rows = ``valid`` + ``invalid``. Of the valid rows, ``new`` are not yet
    suppliers and ``existing`` already are (skipped or updated per the policy; under ``error``
    existing rows are counted as invalid instead). ``notify`` is how many invitations the
    import will queue.
    """

    file_name: str
    source: SourceInfo
    options: ImportOptions
    default_country: str
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    new: int = 0
    existing: int = 0
    notify: int = 0
    warnings: int = 0
    errors: int = 0
    issues: list[Issue] = field(default_factory=list)
    seconds: float = 0.0
    _spool: _Spool | None = field(default=None, repr=False, compare=False)

    def reusable(self, path: str | os.PathLike[str], default_country: str, company_id: int) -> bool:
        """True when an import of ``path`` may replay this validation (file unchanged)."""
        spool = self._spool
        return spool is not None and spool.matches(_fingerprint(path), default_country, company_id)

    def discard(self) -> None:
        """Drop the stored rows (the report itself stays usable)."""
        if self._spool is not None:
            self._spool.discard()
            self._spool = None

    @property
    def ok(self) -> bool:
        """True when every row can be imported as it is."""
        return self.invalid == 0

    @property
    def issues_total(self) -> int:
        return self.errors + self.warnings

    @property
    def truncated(self) -> int:
        """How many issues were counted but not kept in ``issues``."""
        return self.issues_total - len(self.issues)

    @property
    def policy(self) -> Policy:
        return self.options.on_existing

    def report_rows(self) -> Iterator[list[str]]:
        """The issue report as CSV rows (header first), for ``write_report_csv``."""
        yield [_("Row"), _("Column"), _("Value"), _("Problem"), _("Type")]
        for issue in self.issues:
            kind = _("Error") if issue.severity == "error" else _("Warning")
            yield [str(issue.row), issue.column, issue.value, issue.message, kind]
        if self.truncated:
            yield ["", "", "", _("… and {count} more not listed", count=self.truncated), ""]


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote. ``skipped`` counts existing suppliers left as they were and, with
    ``valid_only``, the ``invalid`` rows are not imported. How many companies were new to the
    network is deliberately not told: it would say which suppliers other buyers have."""

    file_name: str
    rows: int
    added: int
    updated: int
    skipped: int
    invalid: int
    invitations_queued: int
    seconds: float
    report: ValidationReport


# --------------------------------------------------------------------------- row checks


@dataclass(slots=True)
class _Candidate:
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


@dataclass(slots=True)
class _Known:
    """An existing supplier link of the acting company, as the import needs it."""

    id: int
    supplier_id: int
    name: str
    status: str
    expires_at: datetime | None
    registered: bool


@dataclass(slots=True)
class _Company:
    id: int
    name: str
    registered_at: datetime | None


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


def fast_tax_id(country: str, value: str) -> tuple[str, str]:
    """``(country, compact)`` as ``parse_tax_id`` gives it, skipping its general machinery
    (Unicode folding, every candidate, the display form) for plain ASCII input of the main
    markets; anything else, and every error, goes through ``parse_tax_id`` itself.

    Reading a million rows, parse_tax_id's ~17 µs a row was the largest single cost.
    """
    check = _FAST_TAX.get(country)
    if check is not None and _FAST_TAX_INPUT.fullmatch(value):
        plain = value.translate(_DROP_SEPARATORS).upper()
        if plain.strip("0") and check(plain):
            return country, canonical_compact(country, plain)
    tax = parse_tax_id(country, value)
    return tax.country, tax.compact


class _Checker:
    """Judges rows one at a time: field checks and duplicates inside the file."""

    def __init__(self, session: Session, info: SourceInfo, default_country: str) -> None:
        self.columns: dict[str, ColumnMapping] = {
            c.field: c for c in info.columns if c.field is not None
        }
        self.has_country = info.has_country
        self.default_country = default_country
        self.own_key = f"{session.company_country}:{session.company_tax_id}"
        self.optional = [name for name in OPTIONAL_FIELDS if name in self.columns]
        self.has_groups = "groups" in self.columns
        # First row of each "CC:compact" seen: plain strings and ints, ~130 bytes a row.
        self.seen: dict[str, int] = {}
        self.notify_message = _(
            "{column} must be 1 (invite now) or 0 (not yet)",
            column=header_label("notify"),
        )

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

    def check(self, raw: RawRow) -> tuple[_Candidate | None, list[Issue]]:
        """The row as a candidate (None when a field is wrong) and its issues."""
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
        if compact:
            key = f"{country}:{compact}"
            first = self.seen.get(key)
            if first is not None:
                errors = True
                issues.append(
                    self.issue(
                        raw,
                        "tax_id",
                        _(
                            "Same supplier as row {row} (the same Tax ID, perhaps written "
                            "differently); keep one of the two rows",
                            row=first,
                        ),
                    )
                )
            else:
                self.seen[key] = raw.row_number
                if key == self.own_key:
                    errors = True
                    issues.append(
                        self.issue(raw, "tax_id", _("A company cannot be its own supplier."))
                    )
        name = ""
        try:
            name = clean_name(values["name"])
        except ValidationError as exc:
            errors = True
            issues.append(self.issue(raw, "name", exc.message))
        email = ""
        try:
            email = fast_email(values["email"])
        except ValidationError as exc:
            errors = True
            issues.append(self.issue(raw, "email", exc.message))
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
        if errors:
            return None, issues
        candidate = _Candidate(
            row=raw.row_number,
            country=country,
            compact=compact,
            name=name,
            email=email,
            optional=tuple(optional),
            groups=groups,
            notify=notify_text == "1",
            key=f"{country}:{compact}",
        )
        return candidate, issues


# --------------------------------------------------------------------------- the pass


@dataclass(slots=True)
class _Action:
    """What to do with one valid row, decided once its lookups are done."""

    candidate: _Candidate
    kind: Literal["add", "update", "skip"]
    invite: bool
    company: _Company | None = None
    link: _Known | None = None


class _Writer:
    """Writes decided rows, ``WRITE_ROWS`` at a time, inside the caller's transaction."""

    def __init__(self, ctx: ServiceContext, session: Session, file_name: str) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.session = session
        self.file_name = file_name
        self.now = ctx.clock.now()
        self.now_db = fast.db_datetime(self.db, self.now)
        self.added_by = None if session.is_system else session.user_id
        self.actor_id = None if session.is_system else session.user_id
        self.lang = invitations._session_language(session)
        buyer = Company.get_or_none(Company.id == session.company_id)
        self.buyer_name = buyer.name if buyer is not None else session.company_name
        domain = invitations.mail_domain(ctx.config.smtp_sender)
        try:
            make_message_id(domain, "probe")
        except ValueError:
            domain = invitations.FALLBACK_MAIL_DOMAIN
        self.mail_domain = domain
        self.subject = translate(
            invitations.SUBJECT, self.lang, buyer=" ".join(self.buyer_name.split())
        )
        self.pending: list[_Action] = []
        self.added = 0
        self.updated = 0
        self.skipped = 0
        self.invitations = 0

    def add(self, action: _Action) -> None:
        if action.kind == "skip":
            self.skipped += 1
            return
        self.pending.append(action)
        if len(self.pending) >= WRITE_ROWS:
            self.flush()

    def flush(self) -> None:
        actions, self.pending = self.pending, []
        if not actions:
            return
        adds = [a for a in actions if a.kind == "add"]
        updates = [a for a in actions if a.kind == "update"]
        self._create_companies([a for a in adds if a.company is None])
        link_of = self._insert_links(adds)
        if updates:
            fast.update_rows(
                self.db,
                _UPDATE_SQL,
                [
                    (
                        a.candidate.email,
                        *a.candidate.optional,
                        a.candidate.groups,
                        self.now_db,
                        a.link.id,
                    )
                    for a in updates
                    if a.link is not None
                ],
            )
            self.updated += len(updates)
        self._audit(actions)
        self._queue_new([(a, link_of[a.candidate.key]) for a in adds if a.invite])
        again = [a for a in updates if a.invite and a.link is not None]
        if again:
            # Existing suppliers may hold an open invitation to supersede: the service's own
            # queue function does that (and is fast enough for the few rows an update has).
            invitations._queue(
                self.ctx,
                self.session,
                [
                    SupplierLink(
                        id=a.link.id,
                        buyer_id=self.session.company_id,
                        supplier_id=a.link.supplier_id,
                        email=a.candidate.email,
                    )
                    for a in again
                    if a.link is not None
                ],
                self.lang,
                self.buyer_name,
                self.now,
            )
            self.invitations += len(again)

    def _create_companies(self, actions: list[_Action]) -> None:
        """Companies new to the network; their ids come back by (country, Tax ID)."""
        if not actions:
            return
        returned = fast.insert_returning(
            self.db,
            "company",
            ("country", "tax_id", "name", "registered_at", "created_at"),
            [(a.candidate.country, a.candidate.compact, "", None, self.now_db) for a in actions],
            ("id", "country", "tax_id"),
        )
        ids = {f"{country}:{tax_id}": int(cid) for cid, country, tax_id in returned}
        for action in actions:
            action.company = _Company(ids[action.candidate.key], "", None)

    def _insert_links(self, adds: list[_Action]) -> dict[str, int]:
        """The new supplier links; returns link id by "CC:compact".

        A link that gets its invitation now is written as 'queued' at once, which is what the
        invitations service would set right after.
        """
        if not adds:
            return {}
        rows = []
        for action in adds:
            c = action.candidate
            company = action.company
            assert company is not None
            if company.registered_at is not None:
                status, status_at = "registered", fast.db_datetime(self.db, company.registered_at)
            elif action.invite:
                status, status_at = "queued", self.now_db
            else:
                status, status_at = "not_invited", None
            rows.append(
                (
                    self.session.company_id,
                    company.id,
                    c.country,
                    c.compact,
                    company.name if company.registered_at is not None else c.name,
                    c.email,
                    *c.optional,
                    c.groups,
                    status,
                    status_at,
                    self.added_by,
                    self.now_db,
                    self.now_db,
                )
            )
        returned = fast.insert_returning(
            self.db, "supplier_link", _LINK_COLUMNS, rows, ("id", "country", "tax_id")
        )
        self.added += len(adds)
        return {f"{country}:{tax_id}": int(link) for link, country, tax_id in returned}

    def _audit(self, actions: list[_Action]) -> None:
        """One audit row per written supplier: who, which Tax ID, from which file row."""
        actor = self.session.username
        where = f"import {self.file_name[:200]} row "
        fast.insert_rows(
            self.db,
            "audit_event",
            _AUDIT_COLUMNS,
            [
                (
                    self.now_db,
                    self.actor_id,
                    actor,
                    self.session.company_id,
                    "supplier.add" if a.kind == "add" else "supplier.update",
                    a.candidate.key,
                    "ok",
                    where + str(a.candidate.row),
                )
                for a in actions
            ],
        )

    def _queue_new(self, pairs: list[tuple[_Action, int]]) -> None:
        """Invitations and outbox messages of brand-new links, with cursor inserts.

        The same rows ``invitations._queue`` writes (status 'queued', no code yet: the
        deliverer creates it when it sends), minus its superseding step, which a link created
        in this transaction cannot need. ``invitations._queue`` builds peewee rows one by
        one, ~100 µs each: too slow for a file where every row says Notify=1.
        """
        if not pairs:
            return
        db = self.db
        buyer = self.session.company_id
        returned = fast.insert_returning(
            db,
            "invitation",
            _INVITATION_COLUMNS,
            [
                (
                    link_id,
                    buyer,
                    a.company.id if a.company else 0,
                    a.candidate.email,
                    self.lang,
                    "queued",
                    0,
                    self.now_db,
                    self.added_by,
                )
                for a, link_id in pairs
            ],
            ("id", "link_id"),
        )
        invitation_of = {int(link): int(inv) for inv, link in returned}
        fast.insert_rows(
            db,
            "outbox_message",
            _OUTBOX_COLUMNS,
            [
                (
                    buyer,
                    invitation_of[link_id],
                    invitations.KIND_INVITATION,
                    a.candidate.email,
                    self.subject,
                    self.lang,
                    self._message_id(invitation_of[link_id]),
                    "pending",
                    0,
                    self.now_db,
                    self.now_db,
                )
                for a, link_id in pairs
            ],
        )
        self.invitations += len(pairs)

    def _message_id(self, invitation_id: int) -> str:
        """``invitations.new_message_id`` with the sender's domain parsed once, not per row."""
        token = f"invitation-{invitation_id}-{self.ctx.rng.token_bytes(12).hex()}"
        return make_message_id(self.mail_domain, token)


class _Spool:
    """The checked rows of a validation pass, kept on disk for the import that follows.

    The import then writes exactly what was validated without reading and checking the
    file a second time (half the work for a big file), as long as the file is unchanged
    (same size, modification time and SHA-256). Batches are marshalled tuples, compressed;
    the file is private (mkstemp, 0600) and removed when the report is discarded or
    garbage-collected.
    """

    def __init__(
        self, fingerprint: tuple[str, int, int, str], default_country: str, company_id: int
    ) -> None:
        fd, name = tempfile.mkstemp(prefix="gosocket-import-", suffix=".spool")
        self.path = Path(name)
        self.fingerprint = fingerprint
        self.default_country = default_country
        self.company_id = company_id
        self.size = 0
        self._out: BinaryIO | None = os.fdopen(fd, "wb")
        self._finalizer = weakref.finalize(self, _remove_file, name)

    def write(self, batch: list[tuple[_Candidate | None, list[Issue]]]) -> None:
        assert self._out is not None
        data = zlib.compress(
            marshal.dumps(
                [
                    (None if c is None else _candidate_tuple(c), [_issue_tuple(i) for i in issues])
                    for c, issues in batch
                ]
            ),
            1,
        )
        self._out.write(len(data).to_bytes(4, "little"))
        self._out.write(data)

    def finish(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            self.size = self.path.stat().st_size

    def batches(self) -> Iterator[tuple[list[tuple[_Candidate | None, list[Issue]]], float]]:
        """Each stored batch and the fraction of the spool read after it."""
        done = 0
        with self.path.open("rb") as fh:
            while head := fh.read(4):
                length = int.from_bytes(head, "little")
                done += 4 + length
                stored = marshal.loads(zlib.decompress(fh.read(length)))
                yield (
                    [
                        (None if c is None else _Candidate(*c), [Issue(*i) for i in issues])
                        for c, issues in stored
                    ],
                    done / self.size if self.size else 1.0,
                )

    def matches(
        self, fingerprint: tuple[str, int, int, str], default_country: str, company_id: int
    ) -> bool:
        """The rows were checked from this very file, for this company and default country
        (the checks depend on both: the own-company rule, rows without a country)."""
        return (
            self._out is None
            and self.path.exists()
            and fingerprint == self.fingerprint
            and default_country == self.default_country
            and company_id == self.company_id
        )

    def discard(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self._finalizer()


def _remove_file(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)


def _candidate_tuple(c: _Candidate) -> tuple[Any, ...]:
    return (c.row, c.country, c.compact, c.name, c.email, c.optional, c.groups, c.notify, c.key)


def _issue_tuple(i: Issue) -> tuple[Any, ...]:
    return (i.row, i.letter, i.header, i.value, i.message, i.severity)


def _fingerprint(path: str | os.PathLike[str]) -> tuple[str, int, int, str]:
    """What identifies the file's content: path, size, mtime and SHA-256 (~0.3 s per 100 MB)."""
    target = Path(path).resolve()
    try:
        stat = target.stat()
        digest = hashlib.sha256()
        with target.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return (str(target), -1, -1, "")
    return (str(target), stat.st_size, stat.st_mtime_ns, digest.hexdigest())


Batch = list[tuple[_Candidate | None, list[Issue]]]


class _Pass:
    """One pass over the rows: look them up 500 at a time, count, optionally write.

    The rows come from the file (checked here, and stored in a spool when asked) or from the
    spool of an earlier validation.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        session: Session,
        options: ImportOptions,
        default_country: str,
        phase: Phase,
        progress: ProgressCallback | None,
        writer: _Writer | None,
    ) -> None:
        self.ctx = ctx
        self.session = session
        self.options = options
        self.default_country = default_country
        self.phase = phase
        self.progress = progress
        self.writer = writer
        self.now = ctx.clock.now()
        self.started = time.monotonic()
        self.last_tick = self.started
        self.fraction: Callable[[], float] = lambda: 0.0
        self.rows_seen = 0
        self.tax_column: ColumnMapping | None = None
        self.report: ValidationReport

    def _new_report(self, file_name: str, source: SourceInfo) -> None:
        self.report = ValidationReport(
            file_name=file_name,
            source=source,
            options=self.options,
            default_country=self.default_country,
        )
        self.tax_column = next((c for c in source.columns if c.field == "tax_id"), None)

    def run_file(self, opened: SupplierFile, spool: _Spool | None) -> ValidationReport:
        """Read and check every row of ``opened``."""
        self._new_report(opened.path.name, opened.info)
        self.fraction = opened.progress
        checker = _Checker(self.session, opened.info, self.default_country)
        batch: Batch = []
        self._tick(force=True)
        for raw in opened.rows():
            batch.append(checker.check(raw))
            if len(batch) >= LOOKUP_ROWS:
                if spool is not None:
                    spool.write(batch)
                self._resolve(batch)
                batch = []
        if spool is not None:
            spool.write(batch)
            spool.finish()
        self._resolve(batch)
        if self.report.rows == 0:
            raise FileRefused(
                _("{name} has no supplier rows below the headers", name=opened.path.name)
            )
        return self._done()

    def run_spool(self, spool: _Spool, validated: ValidationReport) -> ValidationReport:
        """Replay the rows a validation stored (the file is unchanged since)."""
        self._new_report(validated.file_name, validated.source)
        fraction = [0.0]
        self.fraction = lambda: fraction[0]
        self._tick(force=True)
        for batch, done in spool.batches():
            fraction[0] = done
            self._resolve(batch)
        return self._done()

    def _done(self) -> ValidationReport:
        if self.writer is not None:
            self.writer.flush()
        self._tick(force=True, done=True)
        self.report.seconds = time.monotonic() - self.started
        return self.report

    def _tick(self, *, force: bool = False, done: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last_tick < PROGRESS_EVERY_SECONDS:
            return
        self.last_tick = now
        rows = self.report.rows
        elapsed = now - self.started
        fraction = 1.0 if done else self.fraction()
        speed = rows / elapsed if elapsed > 0 else 0.0
        eta: float | None = elapsed * (1 - fraction) / fraction if 0 < fraction < 1 else None
        if done:
            eta = 0.0
        self.progress(Progress(self.phase, rows, fraction, elapsed, speed, eta))

    def _lookup(
        self, candidates: list[_Candidate]
    ) -> tuple[dict[str, _Known], dict[str, _Company]]:
        """The acting company's links and the network's companies for these Tax IDs."""
        db = self.ctx.db
        known: dict[str, _Known] = {}
        compacts = sorted({c.compact for c in candidates})
        wanted = {c.key for c in candidates}
        for row in fast.select_in(
            db,
            "SELECT l.id, l.supplier_id, l.country, l.tax_id, l.name, l.status, l.expires_at, "
            "c.registered_at FROM supplier_link AS l JOIN company AS c ON c.id = l.supplier_id "
            "WHERE l.buyer_id = ? AND l.tax_id IN ({in})",
            [self.session.company_id],
            compacts,
            batch=LOOKUP_ROWS,
        ):
            link_id, supplier_id, country, tax_id, name, status, expires_at, registered = row
            key = f"{country}:{tax_id}"
            if key in wanted:
                known[key] = _Known(
                    int(link_id),
                    int(supplier_id),
                    str(name),
                    str(status),
                    _as_datetime(expires_at),
                    registered is not None or status == "registered",
                )
        companies: dict[str, _Company] = {}
        by_country: dict[str, list[str]] = {}
        for c in candidates:
            if c.key not in known:
                by_country.setdefault(c.country, []).append(c.compact)
        for country, values in by_country.items():
            for cid, tax_id, name, registered_at in fast.select_in(
                db,
                "SELECT id, tax_id, name, registered_at FROM company "
                "WHERE country = ? AND tax_id IN ({in})",
                [country],
                values,
                batch=LOOKUP_ROWS,
            ):
                companies[f"{country}:{tax_id}"] = _Company(
                    int(cid), str(name), _as_datetime(registered_at)
                )
        return known, companies

    def _resolve(self, batch: Batch) -> None:
        """Decide each row of ``batch`` (add, update, skip or problem), count it, write it."""
        if not batch:
            return
        candidates = [c for c, _issues in batch if c is not None]
        known, companies = self._lookup(candidates) if candidates else ({}, {})
        report = self.report
        policy = self.options.on_existing
        keep = self.options.max_issues
        for candidate, issues in batch:
            report.rows += 1
            action: _Action | None = None
            if candidate is not None:
                link = known.get(candidate.key)
                if link is None:
                    company = companies.get(candidate.key)
                    registered = company is not None and company.registered_at is not None
                    action = _Action(
                        candidate, "add", candidate.notify and not registered, company=company
                    )
                    report.new += 1
                else:
                    report.existing += 1
                    if policy == "error":
                        issues = [*issues, self._existing_issue(candidate, link)]
                    elif policy == "update":
                        invite = candidate.notify and self._may_invite(link)
                        action = _Action(candidate, "update", invite, link=link)
                    else:
                        action = _Action(candidate, "skip", False, link=link)
            if action is None:
                report.invalid += 1
                if self.writer is not None and not self.options.valid_only:
                    # All or nothing and a problem row: stop writing (the caller rolls
                    # back) but keep going so the report lists every problem.
                    self.writer = None
            else:
                report.valid += 1
                if action.invite:
                    report.notify += 1
                if self.writer is not None:
                    self.writer.add(action)
            for issue in issues:
                if issue.severity == "error":
                    report.errors += 1
                else:
                    report.warnings += 1
                if len(report.issues) < keep:
                    report.issues.append(issue)
        self._tick()

    def _existing_issue(self, candidate: _Candidate, link: _Known) -> Issue:
        formatted = format_tax_id(candidate.country, candidate.compact)
        column = self.tax_column
        return Issue(
            candidate.row,
            column.letter if column else "",
            column.header if column else "",
            formatted,
            _(
                "{name} ({tax_id}) is already one of your suppliers.",
                name=link.name,
                tax_id=formatted,
            ),
        )

    def _may_invite(self, link: _Known) -> bool:
        """An existing supplier may get a new invitation (same rule as Invite/Resend)."""
        if link.registered:
            return False
        if link.status in INVITABLE:
            return True
        return link.status == "invited" and (
            link.expires_at is not None and link.expires_at <= self.now
        )


def _as_datetime(value: Any) -> datetime | None:
    """A datetime read through a raw cursor (SQLite gives text, PostgreSQL datetimes)."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


# --------------------------------------------------------------------------- entry points


def _default_country(session: Session, options: ImportOptions) -> str:
    code = (options.default_country or session.company_country).strip().upper()
    # parse_tax_id names the problem with a bad code ("Unknown country XX; use one of …").
    try:
        parse_tax_id(code, "x")
    except ValidationError as exc:
        if exc.field == "country":
            raise
    return code


def _open(ctx: ServiceContext, path: str | os.PathLike[str]) -> SupplierFile:
    return open_supplier_file(
        path, max_bytes=ctx.config.import_max_bytes, max_rows=ctx.config.import_max_rows
    )


def _check_policy(options: ImportOptions) -> None:
    if options.on_existing not in POLICIES:
        raise ValidationError(
            _(
                "Unknown policy {policy}; use one of {choices}",
                policy=str(options.on_existing)[:20],
                choices=", ".join(POLICIES),
            ),
            field="on_existing",
        )


def _validate(
    ctx: ServiceContext,
    session: Session,
    path: str | os.PathLike[str],
    options: ImportOptions,
    country: str,
    progress: ProgressCallback | None,
) -> ValidationReport:
    spool = _Spool(_fingerprint(path), country, session.company_id)
    try:
        with _open(ctx, path) as opened:
            run = _Pass(ctx, session, options, country, "validate", progress, None)
            report = run.run_file(opened, spool)
    except BaseException:
        spool.discard()
        raise
    report._spool = spool
    return report


def validate(
    ctx: ServiceContext,
    session: Session,
    path: str | os.PathLike[str],
    options: ImportOptions = ImportOptions(),
    progress: ProgressCallback | None = None,
) -> ValidationReport:
    """Check the whole file and say what an import would do; writes nothing.

    Raises ``FileRefused`` when the file cannot be read as a supplier file at all, and
    whatever ``progress`` raises (``ImportCancelled`` to stop). Pass the report to
    :func:`import_file` (``validated=``) to import without checking the file again; call
    ``report.discard()`` when it will not be imported.
    """
    session = require_admin(ctx, session, "supplier.import")
    _check_policy(options)
    country = _default_country(session, options)
    return _validate(ctx, session, path, options, country, progress)


def _refused(report: ValidationReport) -> ImportRefused:
    return ImportRefused(
        _(
            "Nothing was imported: {count} of {rows} rows have problems. Correct them, or "
            "import only the valid rows.",
            count=report.invalid,
            rows=report.rows,
        ),
        report,
    )


def _detail(report: ValidationReport, summary: dict[str, int] | None) -> str:
    parts = [
        f"rows={report.rows}",
        f"valid={report.valid}",
        f"invalid={report.invalid}",
        f"policy={report.policy}",
        f"valid_only={'yes' if report.options.valid_only else 'no'}",
        f"default_country={report.default_country}",
    ]
    if summary:
        parts += [f"{key}={value}" for key, value in summary.items()]
    return " ".join(parts)


class _Rollback(Exception):
    """Raised inside the import transaction to undo it (all-or-nothing refusal)."""


def import_file(
    ctx: ServiceContext,
    session: Session,
    path: str | os.PathLike[str],
    options: ImportOptions = ImportOptions(),
    progress: ProgressCallback | None = None,
    *,
    validated: ValidationReport | None = None,
) -> ImportSummary:
    """Import the file in one transaction (administrators only); return what was written.

    The file is validated first, without the write lock (or ``validated``, the report of an
    earlier :func:`validate` with the same options, is reused when the file is unchanged), so
    a file with problems is refused (``ImportRefused``) before anything is locked. The import
    pass then replays the checked rows, looks every Tax ID up again (another administrator
    may have added one meanwhile) and writes. Without ``valid_only`` a single problem row
    rolls everything back.
    """
    session = require_admin(ctx, session, "supplier.import")
    _check_policy(options)
    country = _default_country(session, options)
    started = time.monotonic()
    report: ValidationReport | None = None
    if validated is not None and validated.reusable(path, country, session.company_id):
        report = validated
    else:
        report = _validate(ctx, session, path, options, country, progress)
    try:
        if not report.ok and not options.valid_only:
            _audit_refused(ctx, session, report)
            raise _refused(report)
        spool = report._spool
        assert spool is not None
        summary = _commit(ctx, session, report, spool, options, country, progress)
    finally:
        if report is not validated:
            report.discard()
    return replace(summary, seconds=time.monotonic() - started)


def _commit(
    ctx: ServiceContext,
    session: Session,
    validated: ValidationReport,
    spool: _Spool,
    options: ImportOptions,
    country: str,
    progress: ProgressCallback | None,
) -> ImportSummary:
    outcome: dict[str, Any] = {}

    def write() -> None:
        writer = _Writer(ctx, session, validated.file_name)
        with fast.bulk_writes(ctx.db):
            run = _Pass(ctx, session, options, country, "import", progress, writer)
            report = run.run_spool(spool, validated)
        outcome["report"] = report
        if not report.ok and not options.valid_only:
            raise _Rollback()
        counts = {
            "added": writer.added,
            "updated": writer.updated,
            "skipped": writer.skipped,
            "invitations": writer.invitations,
        }
        audit.record(
            ctx,
            session,
            "supplier.import",
            target=validated.file_name[:200],
            detail=_detail(report, counts),
        )
        outcome["writer"] = writer

    try:
        try:
            transaction(write)
        except peewee.IntegrityError:
            # Another session added one of these companies or links meanwhile (PostgreSQL
            # reads do not wait for SQLite's write lock): run again now that it is visible.
            outcome.clear()
            transaction(write)
    except _Rollback:
        report = outcome["report"]
        _audit_refused(ctx, session, report)
        raise _refused(report) from None
    except peewee.IntegrityError as exc:
        raise DatabaseError(describe_database_error(exc)) from exc
    report = outcome["report"]
    writer = outcome["writer"]
    return ImportSummary(
        file_name=validated.file_name,
        rows=report.rows,
        added=writer.added,
        updated=writer.updated,
        skipped=writer.skipped,
        invalid=report.invalid,
        invitations_queued=writer.invitations,
        seconds=0.0,
        report=report,
    )


def _audit_refused(ctx: ServiceContext, session: Session, report: ValidationReport) -> None:
    transaction(
        lambda: audit.record(
            ctx,
            session,
            "supplier.import",
            target=report.file_name[:200],
            outcome="refused",
            detail=_detail(report, None),
        )
    )


def write_issue_report(
    path: str | os.PathLike[str],
    report: ValidationReport,
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Write the report's issues as CSV (UTF-8 with BOM, formula cells neutralised).

    ``inputs`` is the imported file: the report never replaces it (``output_files`` rules).
    """
    write_report_csv(path, report.report_rows(), force=force, inputs=inputs)
