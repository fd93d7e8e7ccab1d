"""Invite suppliers, resend, change the email and resend, cancel; name suppliers by Tax ID.

Inviting only queues: one transaction writes the Invitation (status ``queued``, no code yet),
its OutboxMessage and the link's denormalised state. The activation code is created by the
deliverer (``services/delivery/``) at the moment it sends, and only its hash is stored, so the
plain code never reaches the database (SECURITY.md). Every function takes the acting Session,
writes only for administrators and only touches the acting company's suppliers.

Link states (``SupplierLink.status``) move like this::

    not_invited ─invite→ queued ─sent→ invited ─activate→ registered
                           │             └─code expired (services/expiry.py)→ expired
                           └─failed→ delivery_failed
    queued / invited ─cancel→ cancelled;  any but registered ─resend→ queued (new code)

While ``invited``, the deliverer may send reminders (``services/delivery/reminders.py``);
each carries one more working code and the link counts them (``reminders``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, get_args

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import Company, Invitation, SupplierLink
from gosocket_tui.errors import NotFound, UserError, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services import audit
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.invitation_queue import (
    close_open_invitations,
    queue_invitations,
)
from gosocket_tui.services.session import Session, require_admin, require_session
from gosocket_tui.services.supplier_links import link_ref, not_in_list, own_link
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


# --- small helpers --------------------------------------------------------------------------


def invitation_state(link: HasInvitationState, now: datetime) -> State:
    """The state to show: ``expired`` is stored by the sweep, and an ``invited`` past its
    expiry already shows as ``expired`` before the sweep runs."""
    state = display_state(link.status, link.expires_at, now)
    return state if state in STATES else "not_invited"


def _user_id(session: Session) -> int | None:
    """The acting user's id; None for the system actor, which has no user row."""
    return None if session.is_system else session.user_id


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


def _is_registered(link: SupplierLink) -> bool:
    if link.status == "registered":
        return True
    supplier = Company.get_or_none(Company.id == link.supplier_id)
    return supplier is not None and supplier.registered_at is not None


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
                    InviteOutcome(link_id, "", "", "", False, "not_found", not_in_list().message)
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
                events.append((link_ref(link), "ok", f"to {link.email}"))
                message = _("Invitation to {name} queued.", name=link.name)
            else:
                events.append((link_ref(link), "skipped", reason))
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
        queue_invitations(ctx, to_queue, buyer_name, now, invited_by=_user_id(session))
        audit.record_many(ctx, session, "invitation.invite", events)
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
    """Resend (optionally to a new address): the old code stops working, a new one is queued.

    The new mail is written in the supplier's language, like the first one."""

    def write() -> SupplierLink | UserError:
        now = ctx.clock.now()
        link = own_link(session.company_id, link_id)
        if link is None:
            return _refuse(ctx, session, action, f"link {link_id}", not_in_list())
        if _is_registered(link):
            return _refuse(
                ctx,
                session,
                action,
                link_ref(link),
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
                target=link_ref(link),
                detail=f"email {old} -> {new_email}",
            )
        if not link.email:
            return _refuse(
                ctx,
                session,
                action,
                link_ref(link),
                ValidationError(_skip_message("no_email", link.name), field="email"),
            )
        buyer_name = Company.get_by_id(session.company_id).name
        queue_invitations(ctx, [link], buyer_name, now, invited_by=_user_id(session))
        audit.record(ctx, session, action, target=link_ref(link), detail=f"to {link.email}")
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
        link = own_link(session.company_id, link_id)
        if link is None:
            return _refuse(ctx, session, "invitation.cancel", f"link {link_id}", not_in_list())
        if link.status not in ("queued", "invited"):
            return _refuse(
                ctx,
                session,
                "invitation.cancel",
                link_ref(link),
                ValidationError(_("{name} has no pending invitation to cancel.", name=link.name)),
            )
        close_open_invitations(Invitation.link == link.id, "cancelled", now)
        SupplierLink.update(
            status="cancelled", status_at=now, expires_at=None, updated_at=now
        ).where(SupplierLink.id == link.id).execute()
        audit.record(ctx, session, "invitation.cancel", target=link_ref(link))
        return SupplierLink.get_by_id(link.id)

    result = transaction(write)
    if isinstance(result, UserError):
        raise result
    return _info(result, ctx.clock.now())


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
