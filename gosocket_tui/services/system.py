"""The system actor: the server's own administrator acting for a company from the CLI.

Whoever runs ``gosocket-tui`` commands on the server already holds the database file, so the
CLI acts as "system" with administrator rights for the company it names. Its audit rows say
``system``; the TUI never creates such a session (only ``auth.authenticate`` does there).
"""

from __future__ import annotations

from gosocket_tui.services.companies import get_company_by_ref
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session

SYSTEM_USERNAME = "system"


def system_session(ctx: ServiceContext, company_ref: str) -> Session:
    """A session acting for ``COUNTRY:TAXID`` with administrator rights."""
    company = get_company_by_ref(ctx, company_ref)
    now = ctx.clock.now()
    return Session(
        user_id=0,
        username=SYSTEM_USERNAME,
        company_id=company.id,
        company_name=company.name,
        company_country=company.country,
        company_tax_id=company.tax_id,
        is_admin=True,
        started_at=now,
        last_seen_at=now,
        is_system=True,
    )
