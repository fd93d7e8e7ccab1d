"""Companies in the network, identified by (country, compact Tax ID)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import Company
from gosocket_tui.errors import Duplicate, NotFound, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services import audit
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.taxid import TaxId, format_tax_id, parse_company_ref, parse_tax_id


@dataclass(frozen=True)
class CompanyInfo:
    id: int
    country: str
    tax_id: str
    tax_id_formatted: str
    name: str
    registered_at: datetime | None

    @property
    def ref(self) -> str:
        """The ``COUNTRY:TAXID`` form used on the command line."""
        return f"{self.country}:{self.tax_id}"


def company_info(company: Company) -> CompanyInfo:
    return CompanyInfo(
        id=company.id,
        country=company.country,
        tax_id=company.tax_id,
        tax_id_formatted=format_tax_id(company.country, company.tax_id),
        name=company.name,
        registered_at=company.registered_at,
    )


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError(_("The name is required."), field="name")
    if len(cleaned) > 200:
        raise ValidationError(_("The name must have at most 200 characters."), field="name")
    return cleaned


def find_company(tax_id: TaxId) -> Company | None:
    return Company.get_or_none(
        (Company.country == tax_id.country) & (Company.tax_id == tax_id.compact)
    )


def get_company_by_ref(ctx: ServiceContext, ref: str) -> CompanyInfo:
    """Look up ``COUNTRY:TAXID`` (any notation); NotFound when it is not in the network."""
    tax_id = parse_company_ref(ref)
    company = find_company(tax_id)
    if company is None:
        raise NotFound(_("No company with Tax ID {ref} in the network.", ref=ref))
    return company_info(company)


def create_company(ctx: ServiceContext, country: str, tax_id: str, name: str) -> CompanyInfo:
    """Create a buyer company (system administration from the CLI; no acting user)."""
    parsed = parse_tax_id(country, tax_id)
    cleaned = clean_name(name)

    def write() -> Company:
        existing = find_company(parsed)
        if existing is not None:
            raise Duplicate(
                _("A company with Tax ID {tax_id} already exists.", tax_id=parsed.formatted),
                existing_id=existing.id,
            )
        now = ctx.clock.now()
        company = Company.create(
            country=parsed.country,
            tax_id=parsed.compact,
            name=cleaned,
            registered_at=now,
            created_at=now,
        )
        audit.record(
            ctx,
            None,
            "company.create",
            target=f"{parsed.country}:{parsed.compact}",
            company_id=company.id,
            actor_name="system",
        )
        return company

    return company_info(transaction(write))
