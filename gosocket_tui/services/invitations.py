"""Invite suppliers, resend, change the email and resend, cancel, and the delivery evidence.

Inviting only queues: one transaction writes the Invitation (status ``queued``, no code yet),
its OutboxMessage and the link's denormalised state. The activation code is created by the
deliverer (``services/delivery.py``) at the moment it sends, and only its hash is stored, so the
plain code never reaches the database (SECURITY.md). Every function takes the acting Session,
writes only for administrators and only touches the acting company's suppliers.

Link states (``SupplierLink.status``) move like this::

    not_invited ─invite→ queued ─sent→ invited ─activate→ registered
                           │             │ (expires_at passed: shown as "expired")
                           └─failed→ delivery_failed
    queued / invited ─cancel→ cancelled;  any but registered ─resend→ queued (new code)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Literal, Protocol, get_args

import peewee

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import (
    AuditEvent,
    Company,
    DeliveryAttempt,
    Invitation,
    InvitationCode,
    OutboxMessage,
    SupplierLink,
)
from gosocket_tui.db.models import User as UserModel
from gosocket_tui.errors import NotFound, UserError, ValidationError
from gosocket_tui.i18n import _, get_language, normalize_language, translate
from gosocket_tui.mail.compose import make_message_id
from gosocket_tui.services import audit
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_admin, require_session
from gosocket_tui.services.suppliers import display_state, normalize_email
from gosocket_tui.services.suppliers import state_label as state_label  # re-exported
from gosocket_tui.services.taxid import (
    ZERO_INSIGNIFICANT,
    compact_tax_id,
    format_tax_id,
    parse_company_ref,
)

SkipReason = Literal["registered", "already_invited", "already_queued", "no_email", "not_found"]
State = Literal[
    "not_invited", "queued", "invited", "expired", "delivery_failed", "registered", "cancelled"
]
STATES: tuple[State, ...] = get_args(State)

#: Invitations whose code may still be sent or used; everything else is history.
OPEN_STATUSES = ("queued", "sent")
SUBJECT = "Invitation to the Gosocket network from {buyer}"
KIND_INVITATION = "invitation"
FALLBACK_MAIL_DOMAIN = "gosocket.local"
_CHUNK = 200  # links per transaction: keeps the write lock short during a big invite


class HasInvitationState(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def expires_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class InviteOutcome:
    """What happened to one supplier of an invite: queued, or skipped with a reason."""

    link_id: int
    country: str
    tax_id_formatted: str
    name: str
    queued: bool
    reason: SkipReason | None
    message: str


@dataclass(frozen=True)
class InviteResult:
    outcomes: list[InviteOutcome]

    @property
    def queued(self) -> list[InviteOutcome]:
        return [o for o in self.outcomes if o.queued]

    @property
    def skipped(self) -> list[InviteOutcome]:
        return [o for o in self.outcomes if not o.queued]


@dataclass(frozen=True)
class InvitationInfo:
    """One supplier's invitation state after a resend, change of email or cancel."""

    link_id: int
    country: str
    tax_id_formatted: str
    name: str
    email: str
    state: str
    state_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class AttemptInfo:
    """One SMTP try: when, how it ended, and what the receiving server answered."""

    at: datetime
    outcome: str
    code: int | None
    reply: str


@dataclass(frozen=True)
class DeliveryLogEntry:
    """One invitation email with every try at delivering it: the support evidence."""

    id: int
    link_id: int | None
    supplier_name: str
    supplier_ref: str
    created_at: datetime
    recipient: str
    subject: str
    language: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    server_reply: str | None
    last_error: str | None
    tries: tuple[AttemptInfo, ...]


# --- small helpers --------------------------------------------------------------------------


def invitation_state(link: HasInvitationState, now: datetime) -> State:
    """The state to show: ``invited`` past its expiry is ``expired`` (never stored)."""
    state = display_state(link.status, link.expires_at, now)
    return state if state in STATES else "not_invited"


def mail_domain(sender: str) -> str:
    """The domain of the configured sender, used on the right of every Message-ID."""
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    return domain or FALLBACK_MAIL_DOMAIN


def new_message_id(ctx: ServiceContext, invitation_id: int) -> str:
    """A Message-ID unique in the database (it holds the invitation id) and unguessable."""
    token = f"invitation-{invitation_id}-{ctx.rng.token_bytes(12).hex()}"
    try:
        return make_message_id(mail_domain(ctx.config.smtp_sender), token)
    except ValueError:
        return make_message_id(FALLBACK_MAIL_DOMAIN, token)


def _user_id(session: Session) -> int | None:
    """The acting user's id; None for the system actor, which has no user row."""
    return None if session.is_system else session.user_id


def mail_language(user_id: int | None) -> str:
    """The language an administrator's invitations are written in: their saved one, else the
    interface's (``None``, the system actor, takes the interface's).

    Public for the bulk import, which queues invitations in the same language.
    """
    if user_id is not None:
        user = UserModel.get_or_none(UserModel.id == user_id)
        if user is not None and user.language:
            lang = normalize_language(user.language)
            if lang:
                return lang
    return get_language()


def _ref(link: SupplierLink) -> str:
    return f"{link.country}:{link.tax_id}"


def _info(link: SupplierLink, now: datetime) -> InvitationInfo:
    return InvitationInfo(
        link_id=link.id,
        country=link.country,
        tax_id_formatted=format_tax_id(link.country, link.tax_id),
        name=link.name,
        email=link.email,
        state=invitation_state(link, now),
        state_at=link.status_at,
        expires_at=link.expires_at,
    )


def _own_link(session: Session, link_id: int) -> SupplierLink | None:
    return SupplierLink.get_or_none(
        (SupplierLink.id == link_id) & (SupplierLink.buyer == session.company_id)
    )


def _not_found() -> NotFound:
    return NotFound(_("This supplier is not in your list."))


def _is_registered(link: SupplierLink) -> bool:
    if link.status == "registered":
        return True
    supplier = Company.get_or_none(Company.id == link.supplier_id)
    return supplier is not None and supplier.registered_at is not None


def drop_codes(invitation_ids: Sequence[int]) -> None:
    """Forget every code hash of these invitations (used, closed or failed: none may work)."""
    InvitationCode.delete().where(InvitationCode.invitation.in_(list(invitation_ids))).execute()


def close_open_invitations(condition: peewee.Expression, status: str, now: datetime) -> list[int]:
    """Mark the open invitations matching ``condition`` (inside a transaction).

    ``status`` is 'superseded' (a new code replaces it) or 'cancelled'. Their code hashes
    are dropped (a closed invitation's codes must never work again) and their mail that has
    not left yet is cancelled; a message a deliverer holds right now is left to it, and it
    checks the invitation again before sending.
    """
    ids = [
        row.id
        for row in Invitation.select(Invitation.id).where(
            condition & Invitation.status.in_(OPEN_STATUSES)
        )
    ]
    if not ids:
        return ids
    changes: dict[str, object] = {"status": status}
    if status == "cancelled":
        changes["cancelled_at"] = now
    Invitation.update(changes).where(Invitation.id.in_(ids)).execute()
    drop_codes(ids)
    OutboxMessage.update(status="cancelled").where(
        OutboxMessage.invitation.in_(ids) & (OutboxMessage.status == "pending")
    ).execute()
    return ids


def queue_invitations(
    ctx: ServiceContext,
    links: Sequence[SupplierLink],
    lang: str,
    buyer_name: str,
    now: datetime,
    *,
    invited_by: int | None,
) -> None:
    """Queue one invitation per link (inside the caller's transaction, after its checks).

    Any open invitation of those links is superseded first (its code stops working), then
    the invitations (status 'queued', no code yet), their outbox messages and the links'
    state are written with one statement each, so inviting a thousand suppliers stays quick.
    Public for the bulk import's updated suppliers; it authorises nothing itself, so it
    takes the inviting user's id (None for the system actor), not a session.
    """
    if not links:
        return
    ids = [link.id for link in links]
    close_open_invitations(Invitation.link.in_(ids), "superseded", now)
    Invitation.insert_many(
        [
            {
                "link": link.id,
                "buyer": link.buyer_id,
                "supplier": link.supplier_id,
                "email": link.email,
                "language": lang,
                "status": "queued",
                "attempts": 0,
                "created_at": now,
                "invited_by": invited_by,
            }
            for link in links
        ]
    ).execute()
    invitation_of = {
        row.link_id: row.id
        for row in Invitation.select(Invitation.id, Invitation.link).where(
            Invitation.link.in_(ids) & (Invitation.status == "queued")
        )
    }
    subject = translate(SUBJECT, lang, buyer=" ".join(buyer_name.split()))
    OutboxMessage.insert_many(
        [
            {
                "buyer": link.buyer_id,
                "invitation": invitation_of[link.id],
                "kind": KIND_INVITATION,
                "recipient": link.email,
                "subject": subject,
                "language": lang,
                "message_id": new_message_id(ctx, invitation_of[link.id]),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for link in links
        ]
    ).execute()
    SupplierLink.update(status="queued", status_at=now, expires_at=None, updated_at=now).where(
        SupplierLink.id.in_(ids)
    ).execute()


def _audit_many(
    ctx: ServiceContext, session: Session, action: str, rows: list[tuple[str, str, str]]
) -> None:
    """``audit.record`` for many (target, outcome, detail) rows in one statement."""
    if not rows:
        return
    now = ctx.clock.now()
    AuditEvent.insert_many(
        [
            {
                "at": now,
                "actor_id": None if session.is_system else session.user_id,
                "actor_name": session.username,
                "company_id": session.company_id,
                "action": action,
                "target": target[:500],
                "outcome": outcome,
                "detail": detail[:1000],
            }
            for target, outcome, detail in rows
        ]
    ).execute()


# --- invite ---------------------------------------------------------------------------------


def _skip_message(reason: SkipReason, name: str) -> str:
    messages = {
        "registered": _("{name} is already registered: no invitation needed.", name=name),
        "already_invited": _(
            "{name} was already invited and the code has not expired; use Resend for a new code.",
            name=name,
        ),
        "already_queued": _("An invitation to {name} is already on its way.", name=name),
        "no_email": _("{name} has no email address: add one first.", name=name),
        "not_found": _("This supplier is not in your list."),
    }
    return messages[reason]


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))


def invite(ctx: ServiceContext, session: Session, link_ids: Sequence[int]) -> InviteResult:
    """Queue an invitation for each supplier that can take one; say why for the others.

    Skipped: registered suppliers, a code still valid (suggest Resend), an invitation already
    queued, no email, and ids that are not the acting company's (reported as not found, so
    nothing about another company's list leaks). An expired or failed invitation is replaced.
    """
    session = require_admin(ctx, session, "invitation.invite")
    lang = mail_language(_user_id(session))
    ids = _unique(link_ids)
    outcomes: dict[int, InviteOutcome] = {}

    def write(chunk: list[int]) -> list[InviteOutcome]:
        now = ctx.clock.now()
        buyer_name = Company.get_by_id(session.company_id).name
        links = {
            link.id: link
            for link in SupplierLink.select().where(
                SupplierLink.id.in_(chunk) & (SupplierLink.buyer == session.company_id)
            )
        }
        registered = {
            row.id
            for row in Company.select(Company.id).where(
                Company.id.in_([link.supplier_id for link in links.values()])
                & Company.registered_at.is_null(False)
            )
        }
        done: list[InviteOutcome] = []
        to_queue: list[SupplierLink] = []
        events: list[tuple[str, str, str]] = []
        for link_id in chunk:
            link = links.get(link_id)
            if link is None:
                events.append((f"link {link_id}", "refused", "not found"))
                done.append(
                    InviteOutcome(link_id, "", "", "", False, "not_found", _not_found().message)
                )
                continue
            reason: SkipReason | None = None
            if link.status == "registered" or link.supplier_id in registered:
                reason = "registered"
            elif link.status == "queued":
                reason = "already_queued"
            elif invitation_state(link, now) == "invited":
                reason = "already_invited"
            elif not link.email:
                reason = "no_email"
            if reason is None:
                to_queue.append(link)
                events.append((_ref(link), "ok", f"to {link.email}"))
                message = _("Invitation to {name} queued.", name=link.name)
            else:
                events.append((_ref(link), "skipped", reason))
                message = _skip_message(reason, link.name)
            done.append(
                InviteOutcome(
                    link_id=link.id,
                    country=link.country,
                    tax_id_formatted=format_tax_id(link.country, link.tax_id),
                    name=link.name,
                    queued=reason is None,
                    reason=reason,
                    message=message,
                )
            )
        queue_invitations(ctx, to_queue, lang, buyer_name, now, invited_by=_user_id(session))
        _audit_many(ctx, session, "invitation.invite", events)
        return done

    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for outcome in transaction(functools.partial(write, chunk)):
            outcomes[outcome.link_id] = outcome
    return InviteResult([outcomes[i] for i in ids])


# --- resend, change email, cancel -----------------------------------------------------------


def _refuse(
    ctx: ServiceContext, session: Session, action: str, target: str, error: UserError
) -> UserError:
    audit.record(ctx, session, action, target=target, outcome="refused", detail=error.message)
    return error


def _requeue(
    ctx: ServiceContext,
    session: Session,
    link_id: int,
    action: str,
    new_email: str | None,
) -> InvitationInfo:
    """Resend (optionally to a new address): the old code stops working, a new one is queued."""
    lang = mail_language(_user_id(session))

    def write() -> SupplierLink | UserError:
        now = ctx.clock.now()
        link = _own_link(session, link_id)
        if link is None:
            return _refuse(ctx, session, action, f"link {link_id}", _not_found())
        if _is_registered(link):
            return _refuse(
                ctx,
                session,
                action,
                _ref(link),
                ValidationError(
                    _("{name} is already registered: no invitation needed.", name=link.name)
                ),
            )
        if new_email is not None and new_email != link.email:
            old = link.email
            SupplierLink.update(email=new_email, updated_at=now).where(
                SupplierLink.id == link.id
            ).execute()
            link.email = new_email
            audit.record(
                ctx,
                session,
                "supplier.update",
                target=_ref(link),
                detail=f"email {old} -> {new_email}",
            )
        if not link.email:
            return _refuse(
                ctx,
                session,
                action,
                _ref(link),
                ValidationError(_skip_message("no_email", link.name), field="email"),
            )
        buyer_name = Company.get_by_id(session.company_id).name
        queue_invitations(ctx, [link], lang, buyer_name, now, invited_by=_user_id(session))
        audit.record(ctx, session, action, target=_ref(link), detail=f"to {link.email}")
        return SupplierLink.get_by_id(link.id)

    result = transaction(write)
    if isinstance(result, UserError):
        raise result
    return _info(result, ctx.clock.now())


def resend(ctx: ServiceContext, session: Session, link_id: int) -> InvitationInfo:
    """Send a new code; the previous one stops working at once (status 'superseded').

    Used for expired, failed and cancelled invitations too: a code is never sent twice.
    """
    session = require_admin(ctx, session, "invitation.resend")
    return _requeue(ctx, session, link_id, "invitation.resend", None)


def change_email(ctx: ServiceContext, session: Session, link_id: int, email: str) -> InvitationInfo:
    """Correct the supplier's email and resend to it, in one step (a common support action)."""
    session = require_admin(ctx, session, "invitation.change_email")
    try:
        cleaned = normalize_email(email)
    except ValidationError as exc:
        message = exc.message
        transaction(
            lambda: audit.record(
                ctx,
                session,
                "invitation.change_email",
                target=f"link {link_id}",
                outcome="refused",
                detail=message,
            )
        )
        raise
    return _requeue(ctx, session, link_id, "invitation.change_email", cleaned)


def cancel(ctx: ServiceContext, session: Session, link_id: int) -> InvitationInfo:
    """Withdraw a queued or sent invitation: its mail is not sent, its code stops working."""
    session = require_admin(ctx, session, "invitation.cancel")

    def write() -> SupplierLink | UserError:
        now = ctx.clock.now()
        link = _own_link(session, link_id)
        if link is None:
            return _refuse(ctx, session, "invitation.cancel", f"link {link_id}", _not_found())
        if link.status not in ("queued", "invited"):
            return _refuse(
                ctx,
                session,
                "invitation.cancel",
                _ref(link),
                ValidationError(_("{name} has no pending invitation to cancel.", name=link.name)),
            )
        close_open_invitations(Invitation.link == link.id, "cancelled", now)
        SupplierLink.update(
            status="cancelled", status_at=now, expires_at=None, updated_at=now
        ).where(SupplierLink.id == link.id).execute()
        audit.record(ctx, session, "invitation.cancel", target=_ref(link))
        return SupplierLink.get_by_id(link.id)

    result = transaction(write)
    if isinstance(result, UserError):
        raise result
    return _info(result, ctx.clock.now())


# --- the delivery evidence ------------------------------------------------------------------


def _entries(query: peewee.Query) -> list[DeliveryLogEntry]:
    rows: list[OutboxMessage] = list(query)
    tries: dict[int, list[AttemptInfo]] = {row.id: [] for row in rows}
    links: dict[int, SupplierLink] = {}
    if rows:
        for attempt in (
            DeliveryAttempt.select()
            .where(DeliveryAttempt.message.in_(list(tries)))
            .order_by(DeliveryAttempt.at, DeliveryAttempt.id)
        ):
            tries[attempt.message_id].append(
                AttemptInfo(attempt.at, attempt.outcome, attempt.code, attempt.reply)
            )
        invitation_ids = {row.invitation_id for row in rows if row.invitation_id is not None}
        for invitation in (
            Invitation.select(Invitation.id, SupplierLink)
            .join(SupplierLink)
            .where(Invitation.id.in_(list(invitation_ids)))
        ):
            links[invitation.id] = invitation.link
    entries = []
    for row in rows:
        link = links.get(row.invitation_id) if row.invitation_id is not None else None
        entries.append(
            DeliveryLogEntry(
                id=row.id,
                link_id=link.id if link is not None else None,
                supplier_name=link.name if link is not None else "",
                supplier_ref=_ref(link) if link is not None else "",
                created_at=row.created_at,
                recipient=row.recipient,
                subject=row.subject,
                language=row.language,
                message_id=row.message_id,
                status=row.status,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
                sent_at=row.sent_at,
                server_reply=row.server_reply,
                last_error=row.last_error,
                tries=tuple(tries[row.id]),
            )
        )
    return entries


def _messages_query(session: Session) -> peewee.Query:
    return OutboxMessage.select().where(OutboxMessage.buyer == session.company_id)


def delivery_log(ctx: ServiceContext, session: Session, link_id: int) -> list[DeliveryLogEntry]:
    """Every invitation email sent (or tried) to one supplier, oldest first, with each try."""
    session = require_admin(ctx, session, "invitation.delivery_log")
    if _own_link(session, link_id) is None:
        raise _not_found()
    query = (
        _messages_query(session)
        .where(
            OutboxMessage.invitation.in_(
                Invitation.select(Invitation.id).where(Invitation.link == link_id)
            )
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return _entries(query)


def recent_deliveries(
    ctx: ServiceContext, session: Session, *, limit: int = 100, before_id: int | None = None
) -> list[DeliveryLogEntry]:
    """The acting company's invitation emails, newest first (the Mailbox delivery log)."""
    session = require_admin(ctx, session, "invitation.delivery_log")
    query = _messages_query(session)
    if before_id is not None:
        query = query.where(OutboxMessage.id < before_id)
    query = query.order_by(OutboxMessage.id.desc()).limit(max(1, min(limit, 1000)))
    return _entries(query)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


def delivery_label(status: str) -> str:
    """Translated name of an outbox status or of a try's outcome."""
    labels = {
        "pending": _("Waiting to be sent"),
        "sending": _("Sending"),
        "sent": _("Sent"),
        "failed": _("Failed"),
        "cancelled": _("Cancelled"),
        "temporary": _("Temporary failure"),
        "permanent": _("Permanent failure"),
        "server": _("Mail server problem (not counted as an attempt)"),
    }
    return labels.get(status, status)


def delivery_log_text(ctx: ServiceContext, session: Session, link_id: int) -> str:
    """The delivery log as plain text, to paste into a support ticket."""
    entries = delivery_log(ctx, session, link_id)
    link = _own_link(session, link_id)
    assert link is not None  # delivery_log checked it
    lines = [
        _("Delivery log for {name} ({ref})", name=link.name, ref=_ref(link)),
        _("Exported {when}", when=_when(ctx.clock.now())),
        "",
    ]
    if not entries:
        lines.append(_("No invitation email was queued for this supplier."))
    for entry in entries:
        lines += [
            f"{_('Queued')}: {_when(entry.created_at)}",
            f"  {_('Recipient')}: {entry.recipient}",
            f"  {_('Subject')}: {entry.subject}",
            f"  Message-ID: {entry.message_id}",
            f"  {_('Status')}: {delivery_label(entry.status)}",
            f"  {_('Attempts')}: {entry.attempts}",
            f"  {_('Sent')}: {_when(entry.sent_at)}",
        ]
        if entry.next_attempt_at:
            lines.append(f"  {_('Next attempt')}: {_when(entry.next_attempt_at)}")
        if entry.server_reply:
            lines.append(f"  {_('Server reply')}: {entry.server_reply}")
        if entry.last_error:
            lines.append(f"  {_('Error')}: {entry.last_error}")
        for attempt in entry.tries:
            outcome = delivery_label(attempt.outcome)
            lines.append(f"    - {_when(attempt.at)} {outcome}: {attempt.reply}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- for the command line -------------------------------------------------------------------


def resolve_suppliers(ctx: ServiceContext, session: Session, refs: Sequence[str]) -> list[int]:
    """Link ids of the acting company's suppliers named by Tax ID (``CO:…`` or a bare number).

    A bare number is looked up in every country; when it matches suppliers of two countries the
    ``COUNTRY:TAXID`` form is required. Unknown ones raise NotFound naming the Tax ID.
    """
    require_session(ctx, session)
    ids: list[int] = []
    for ref in refs:
        if ":" in ref:
            tax = parse_company_ref(ref)
            condition = (SupplierLink.country == tax.country) & (SupplierLink.tax_id == tax.compact)
        else:
            condition = SupplierLink.tax_id == compact_tax_id("", ref)
            for country in ZERO_INSIGNIFICANT:
                condition |= (SupplierLink.country == country) & (
                    SupplierLink.tax_id == compact_tax_id(country, ref)
                )
        found = list(
            SupplierLink.select(SupplierLink.id, SupplierLink.country)
            .where((SupplierLink.buyer == session.company_id) & condition)
            .limit(2)
        )
        if not found:
            raise NotFound(_("No supplier with Tax ID {tax_id} in your list.", tax_id=ref))
        if len(found) > 1:
            raise ValidationError(
                _(
                    "Tax ID {tax_id} matches suppliers in several countries; "
                    "write it as COUNTRY:TAXID.",
                    tax_id=ref,
                ),
                field="tax_id",
            )
        ids.append(found[0].id)
    return ids
