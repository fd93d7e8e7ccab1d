"""``gosocket-tui suppliers stats``: the Overview's figures on the command line.

``--format json`` writes stable English keys (the states by their stored names, days as
numbers, times in ISO 8601) for scripts; ``table`` is for people, in the user's language.
"""

from __future__ import annotations

from typing import Any

import click

from gosocket_tui.cli.base import COMPANY_HELP, CliState, pass_state
from gosocket_tui.cli.suppliers_group import suppliers
from gosocket_tui.i18n import _, format_decimal, format_int
from gosocket_tui.safe_text import json_text, plain
from gosocket_tui.services.overview import BESIDE, FUNNEL, Overview, overview
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import state_label
from gosocket_tui.services.taxid import format_tax_id


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def stats_record(session: Session, figures: Overview) -> dict[str, Any]:
    """The figures as plain data: the ``json`` output."""

    def counts(states: tuple[str, ...]) -> dict[str, Any]:
        return {
            state: {"count": figures.counts[state], "percent": round(figures.percent(state), 1)}
            for state in states
        }

    return {
        "company": {"country": session.company_country, "tax_id": session.company_tax_id},
        "total": figures.total,
        "funnel": counts(FUNNEL),
        "beside": counts(BESIDE),
        "days_to_activation": {
            "activations": figures.activations,
            "median": _days(figures.median_days),
            "p90": _days(figures.p90_days),
        },
        "weeks": [
            {"week_start": w.start.isoformat(), "invited": w.invited, "activated": w.activated}
            for w in figures.weeks
        ],
        "oldest_pending": [
            {
                "country": p.row.country,
                "tax_id": p.row.tax_id,
                "tax_id_formatted": p.row.tax_id_formatted,
                "name": p.row.name,
                "invited_at": p.invited_at.isoformat() if p.invited_at else None,
                "age_days": p.age_days,
                "state": p.row.state,
            }
            for p in figures.oldest_pending
        ],
    }


def _days_text(value: float | None) -> str:
    return "–" if value is None else format_decimal(value)


def stats_lines(session: Session, figures: Overview) -> list[str]:
    """The figures as a table for people."""
    country = session.company_country
    company = f"{country}:{format_tax_id(country, session.company_tax_id)}"
    lines = [
        _(
            "{company} ({ref}): {count} suppliers",
            company=plain(session.company_name),
            ref=company,
            count=format_int(figures.total),
        ),
        "",
    ]
    for state in (*FUNNEL, *BESIDE):
        if state == BESIDE[0]:
            lines.append("")
        lines.append(
            f"  {state_label(state):<18} {format_int(figures.counts[state]):>10}"
            f" {format_decimal(figures.percent(state)):>6}%"
        )
    lines += [
        "",
        _(
            "Days from invitation to activation: median {median}, 90th percentile {p90} "
            "({count} activations)",
            median=_days_text(figures.median_days),
            p90=_days_text(figures.p90_days),
            count=format_int(figures.activations),
        ),
        "",
        f"  {_('Week of'):<12} {_('Invited'):>10} {_('Activated'):>10}",
    ]
    lines += [
        f"  {w.start.isoformat():<12} {format_int(w.invited):>10} {format_int(w.activated):>10}"
        for w in figures.weeks
    ]
    lines += ["", _("Oldest pending invitations")]
    if not figures.oldest_pending:
        lines.append("  " + _("None: no invitation is waiting."))
    for p in figures.oldest_pending:
        invited = p.invited_at.strftime("%Y-%m-%d") if p.invited_at else ""
        lines.append(
            f"  {p.row.country} {p.row.tax_id_formatted:<18} {invited:<10} "
            f"{_('{days} d', days=format_int(p.age_days)):>7} {state_label(p.row.state):<12} "
            f"{plain(p.row.name)[:40]}"
        )
    return lines


@suppliers.command("stats")
@click.option("--company", "company_ref", metavar="COUNTRY:TAXID", help=COMPANY_HELP)
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "json"]))
@pass_state
def stats_command(state: CliState, company_ref: str | None, fmt: str) -> None:
    """Onboarding figures of a company, as the Overview shows them."""
    session = state.acting(company_ref)
    figures = overview(state.services(), session)
    if fmt == "json":
        click.echo(json_text(stats_record(session, figures), indent=2))
        return
    for line in stats_lines(session, figures):
        click.echo(line)
