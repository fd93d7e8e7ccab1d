"""The invitation email of one claimed message, built at send time with a fresh code.

The plain code exists only in memory and in the email (``Prepared.email``); the database gets
its salted hash, stored before the email is handed to SMTP (``outcomes.reserve_code``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gosocket_tui.config import Config
from gosocket_tui.errors import ConfigError
from gosocket_tui.i18n import _
from gosocket_tui.mail.compose import ComposedEmail, compose_invitation
from gosocket_tui.services.codes import generate_code, hash_code, new_salt
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery.outcomes import Job
from gosocket_tui.services.taxid import format_tax_id


@dataclass(frozen=True)
class Prepared:
    """A job with its email built; ``email`` None means cancelled or ``build_error``."""

    job: Job
    email: ComposedEmail | None
    code_hash: str
    expires_at: datetime
    build_error: str | None


def code_lifetime(config: Config, now: datetime) -> timedelta:
    """The configured code lifetime; ConfigError when no expiry date can be computed from it."""
    hours = config.activation_code_lifetime_hours
    try:
        lifetime = timedelta(hours=hours)
        if now + lifetime <= now:
            raise ValueError(hours)
    except (OverflowError, ValueError, TypeError):
        raise ConfigError(
            _("The activation code lifetime of {hours} hours is out of range.", hours=hours)
        ) from None
    return lifetime


def check_activation_url(config: Config, sender: str) -> None:
    """A bad activation URL would fail every message: ConfigError before any is sent."""
    try:
        compose_invitation(
            lang="en",
            sender=sender,
            recipient="check@example.com",
            message_id="<check@example.com>",
            buyer_name="-",
            buyer_tax_id_formatted="-",
            buyer_country="CL",
            supplier_name="-",
            supplier_tax_id_formatted="-",
            code="0000-0000-0000",
            expires_at=datetime(2000, 1, 1),
            activation_url=config.activation_url or None,
            now=datetime(2000, 1, 1),
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def compose_job_email(
    ctx: ServiceContext, job: Job, sender: str, code: str, expires_at: datetime
) -> ComposedEmail:
    """The email of one job (invitation or reminder), with the company's note and reply-to:
    the one composer the deliverer and the Settings preview share. ValueError when it
    cannot be built."""
    return compose_invitation(
        lang=job.language,
        sender=sender,
        recipient=job.recipient,
        message_id=job.message_id,
        buyer_name=job.buyer_name,
        buyer_tax_id_formatted=job.buyer_tax_id,
        buyer_country=job.buyer_country,
        supplier_name=job.supplier_name,
        supplier_tax_id_formatted=format_tax_id(job.supplier_country, job.supplier_tax_id),
        supplier_country=job.supplier_country,
        code=code,
        expires_at=expires_at,
        activation_url=ctx.config.activation_url or None,
        now=ctx.clock.now(),
        note=job.note,
        reply_to=job.reply_to,
        reminder=job.is_reminder,
    )


def prepare(ctx: ServiceContext, job: Job, sender: str, lifetime: timedelta) -> Prepared:
    """Create the code and the email; the plain code never leaves this email.

    A message whose invitation no longer waits for it gets no code (``email`` None): an
    invitation email needs its invitation queued, a reminder needs it sent and not expired.
    """
    now = ctx.clock.now()
    if job.is_reminder:
        # A reminder's code expires with the invitation: the deadline never moves.
        expires_at = job.invitation_expires_at or now
        if job.invitation_id is None or job.invitation_status != "sent" or expires_at <= now:
            return Prepared(job, None, "", datetime.min, None)
    elif job.invitation_id is None or job.invitation_status != "queued":
        return Prepared(job, None, "", datetime.min, None)
    else:
        expires_at = now + lifetime
    code = generate_code(ctx.rng)
    code_hash = hash_code(code, new_salt(ctx.rng))
    try:
        email = compose_job_email(ctx, job, sender, code, expires_at)
    except ValueError as exc:  # a recipient no server could take: no point retrying
        return Prepared(job, None, "", expires_at, f"message not built: {exc}")
    # The plain code now lives only inside ``email``; the database gets the hash.
    return Prepared(job, email, code_hash, expires_at, None)
