"""``gosocket-tui suppliers list`` and ``suppliers add``: the Suppliers tab on the command line."""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from gosocket_tui.cli.base import COMPANY_HELP, CliState, pass_state
from gosocket_tui.cli.suppliers_group import suppliers
from gosocket_tui.safe_text import json_text, plain
from gosocket_tui.services import suppliers as service
from gosocket_tui.services.exports import neutralize_cell
from gosocket_tui.services.taxid import country_name

COLUMNS = (
    "country",
    "tax_id",
    "tax_id_formatted",
    "name",
    "email",
    "registered",
    "invitation",
    "invitation_at",
    "expires_at",
    "groups",
)


def _record(row: service.SupplierRow) -> dict[str, Any]:
    return {
        "country": row.country,
        "tax_id": row.tax_id,
        "tax_id_formatted": row.tax_id_formatted,
        "name": row.name,
        "email": row.email,
        "registered": row.registered,
        "invitation": row.state,
        "invitation_at": row.state_at.isoformat() if row.state_at else None,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "groups": list(row.groups),
    }


@suppliers.command("list")
@click.option("--company", "company_ref", metavar="COUNTRY:TAXID", help=COMPANY_HELP)
@click.option("--tax-id", default="", help="Tax ID prefix, any notation.")
@click.option("--name", default="", help="Name contains.")
@click.option(
    "--status", default="", type=click.Choice(["", *service.STATUSES]), help="Invitation state."
)
@click.option("--group", default="")
@click.option("--sort", default="tax_id", type=click.Choice(["tax_id", "name"]))
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "csv", "json"]))
@pass_state
def list_command(
    state: CliState,
    company_ref: str | None,
    tax_id: str,
    name: str,
    status: str,
    group: str,
    sort: str,
    limit: int | None,
    fmt: str,
) -> None:
    """List a company's suppliers, streamed page by page."""
    session = state.acting(company_ref)
    ctx = state.services()
    filt = service.SupplierFilter(
        tax_id=tax_id,
        name=name,
        status=status,
        group=group,
        sort="name" if sort == "name" else "tax_id",
    )
    writer = csv.writer(sys.stdout, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(COLUMNS)
    if fmt == "json":
        click.echo("[", nl=False)
    emitted = 0
    cursor: tuple[str, int] | None = None
    while True:
        page = service.list_suppliers(ctx, session, filt, cursor=cursor, limit=500)
        for row in page.rows:
            if limit is not None and emitted >= limit:
                break
            record = _record(row)
            if writer:
                writer.writerow([neutralize_cell(_cell(record[c])) for c in COLUMNS])
            elif fmt == "json":
                click.echo(
                    ("," if emitted else "") + "\n  " + json_text(record),
                    nl=False,
                )
            else:
                mark = "✓" if row.registered else " "
                click.echo(
                    f"{row.country} {row.tax_id_formatted:<18} {mark} "
                    f"{row.state:<15} {plain(row.name)[:40]:<40} {plain(row.email)}"
                )
            emitted += 1
        if not page.has_after or not page.rows or (limit is not None and emitted >= limit):
            break
        cursor = page.rows[-1].key(filt.sort)
    if fmt == "json":
        click.echo("\n]" if emitted else "]")
    elif fmt == "table" and emitted == 0:
        click.echo("No suppliers match.", err=True)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(value)
    return "" if value is None else str(value)


@suppliers.command("add")
@click.option("--company", "company_ref", metavar="COUNTRY:TAXID", help=COMPANY_HELP)
@click.option("--country", required=True, help="The supplier's country, e.g. CO.")
@click.option("--tax-id", required=True)
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--description", default="")
@click.option("--address", default="")
@click.option("--city", default="")
@click.option("--province", default="")
@click.option("--phone", default="")
@click.option("--fax", default="")
@click.option("--groups", default="", help="Comma-separated group names.")
@click.option(
    "--language",
    default="",
    metavar="es|pt|en",
    help="The language of the supplier's mail; default: by its country (BR pt, else es).",
)
@pass_state
def add_command(state: CliState, /, company_ref: str | None, **fields: str) -> None:
    """Add a supplier, as the Add Supplier form does."""
    session = state.acting(company_ref)
    ctx = state.services()
    row = service.add_supplier(ctx, session, service.SupplierInput(**fields))
    status = "registered" if row.registered else "not invited"
    click.echo(
        f"Added {row.name} ({row.country}:{row.tax_id_formatted}, "
        f"{country_name(row.country)}), {status}, mail in {row.language}."
    )
