"""The invitation email as it will be sent, for the Settings view's preview.

Built by the deliverer's own code (``message.compose_job_email``, the composer the deliverer
calls) from a sample supplier and a placeholder code, so what the administrator reads is what
a supplier gets: the headers that carry the company's words (From, Reply-To, To, Subject) and
the text part, read back from the message's bytes with the email package. The HTML part
carries the same words (a test checks both); raw HTML would be noise in a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from gosocket_tui.db.models import Company
from gosocket_tui.errors import PermissionDenied
from gosocket_tui.i18n import _, translate
from gosocket_tui.mail.compose import parse_message
from gosocket_tui.services import audit
from gosocket_tui.services.company_settings import check_note, check_reply_to
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery.message import code_lifetime, compose_job_email
from gosocket_tui.services.delivery.outcomes import Job
from gosocket_tui.services.invitation_queue import KIND_INVITATION, KIND_REMINDER
from gosocket_tui.services.session import Session, require_session
from gosocket_tui.services.supplier_language import clean_language
from gosocket_tui.services.taxid import format_tax_id

#: Shown where the real email has its code: never a working code.
PLACEHOLDER_CODE = "XXXX-XXXX-XXXX"
SAMPLE_RECIPIENT = "supplier@example.com"
SHOWN_HEADERS = ("From", "Reply-To", "To", "Subject")


@dataclass(frozen=True)
class EmailPreview:
    headers: tuple[tuple[str, str], ...]
    text: str


def preview_invitation(
    ctx: ServiceContext,
    session: Session,
    *,
    note: str,
    reply_to: str,
    reminder: bool = False,
    language: str | None = None,
) -> EmailPreview:
    """The acting company's invitation (or reminder) with this note and reply-to, not yet
    saved; administrators only. ValidationError for a value Save would refuse too.

    Written in ``language`` (es, pt or en), by default the one a supplier of the company's
    own country gets: each supplier receives its own language, never the administrator's."""
    current = require_session(ctx, session)
    if not current.is_admin:
        audit.record(ctx, current, "settings.preview", outcome="refused")
        raise PermissionDenied(_("Only administrators can see or change the company settings."))
    buyer = Company.get_by_id(current.company_id)
    now = ctx.clock.now()
    lang = clean_language(language, buyer.country)
    job = Job(
        id=0,
        message_id="<preview@gosocket.local>",
        recipient=SAMPLE_RECIPIENT,
        language=lang,
        attempts=0,
        invitation_id=None,
        invitation_status=None,
        link_id=None,
        buyer_id=buyer.id,
        buyer_name=buyer.name,
        buyer_country=buyer.country,
        buyer_tax_id=format_tax_id(buyer.country, buyer.tax_id),
        supplier_name=translate("Example Supplier Ltd", lang),
        supplier_country=buyer.country,
        supplier_tax_id=buyer.tax_id,
        kind=KIND_REMINDER if reminder else KIND_INVITATION,
        note=check_note(note),
        reply_to=check_reply_to(reply_to),
    )
    email = compose_job_email(
        ctx,
        job,
        ctx.config.smtp_sender,
        PLACEHOLDER_CODE,
        now + code_lifetime(ctx.config, now),
    )
    message = parse_message(email.raw)
    headers = tuple(
        (name, str(message[name])) for name in SHOWN_HEADERS if message[name] is not None
    )
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return EmailPreview(headers=headers, text=str(text).replace("\r\n", "\n"))
