"""A user's command names a company: only her own is accepted (commands sent over SSH).

On the server, ``--company`` chooses the company the operator acts for. A command ana sends
over SSH acts as ana, so ``--company`` may be left out or name her own company; any other
value is refused with the same line whether that company exists or not (a user learns
nothing about the network by trying), and the attempt is audited.
"""

from __future__ import annotations

from gosocket_tui.errors import GosocketError, PermissionDenied
from gosocket_tui.i18n import _
from gosocket_tui.safe_text import plain
from gosocket_tui.services.audit import record
from gosocket_tui.services.companies import get_company_by_ref
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_session


def own_company_session(ctx: ServiceContext, session: Session, company_ref: str | None) -> Session:
    """``session`` re-checked, when ``company_ref`` is None or names its own company."""
    current = require_session(ctx, session)
    if company_ref is None:
        return current
    try:
        named = get_company_by_ref(ctx, company_ref).id
    except GosocketError:
        named = None
    if named != current.company_id:
        record(
            ctx,
            current,
            "company.access",
            target=plain(company_ref)[:64],
            outcome="refused",
            detail="not the user's company",
        )
        raise PermissionDenied(
            _(
                "You can act only for your own company, {name} ({country}:{tax_id}).",
                name=current.company_name,
                country=current.company_country,
                tax_id=current.company_tax_id,
            )
        )
    return current
