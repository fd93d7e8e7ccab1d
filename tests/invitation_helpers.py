"""Invitation helpers shared by the service, CLI, TUI and reliability tests: add a supplier,
deliver the queued mail to a sink, read the code from a delivered message."""

from __future__ import annotations

import re

from gosocket_tui.db.models import InvitationCode
from gosocket_tui.mail.maildir import SinkMessage
from gosocket_tui.mail.smtp_settings import SmtpSettings
from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery.deliverer import Deliverer
from gosocket_tui.services.delivery.report import DeliveryReport
from gosocket_tui.services.session import Session

CODE_RE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
CO_TAX = "860.007.386-1"


def add_supplier(
    ctx: ServiceContext,
    session: Session,
    *,
    country: str = "CO",
    tax_id: str = CO_TAX,
    name: str = "Cafés de Colombia SAS",
    email: str = "ventas@cafe.example",
) -> int:
    row = suppliers.add_supplier(
        ctx,
        session,
        suppliers.SupplierInput(country=country, tax_id=tax_id, name=name, email=email),
    )
    return row.id


def smtp_settings(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        username=None,
        password=None,
        sender="Gosocket <no-reply@gosocket.example>",
        timeout=5.0,
    )


def deliver(ctx: ServiceContext, port: int, worker: str = "test") -> DeliveryReport:
    return Deliverer(ctx, smtp_settings(port), worker).deliver_due()


def code_hashes(invitation_id: int) -> list[str]:
    """Every stored hash of an invitation's codes (each email sent may carry one)."""
    return [
        row.code_hash
        for row in InvitationCode.select().where(InvitationCode.invitation == invitation_id)
    ]


def code_in(message: SinkMessage) -> str:
    found = CODE_RE.search(message.text)
    assert found, message.text
    return found.group(1)
