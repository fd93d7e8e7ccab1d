"""The name filter through the name index, on both engines: nothing found when nothing matches,
every match found otherwise, case ignored and accents kept (as the filter has always done), and
on PostgreSQL an index whose pending entries stay few (every search reads them all)."""

from __future__ import annotations

import pytest

from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import SupplierFilter, SupplierInput
from tests.conftest import on_postgres

NAMES = {
    "12.345.678-5": "Agrícola Valle Norte SpA",
    "96.790.240-3": "Comercial Andes Ltda.",
    "77.777.777-7": "Transportes Roble Sur S.A.",
}


@pytest.fixture
def listed(ctx: ServiceContext, admin: Session) -> dict[str, int]:
    """Three suppliers of the admin's company, by name: their link ids."""
    ids = {}
    for tax_id, name in NAMES.items():
        row = suppliers.add_supplier(
            ctx, admin, SupplierInput(country="CL", tax_id=tax_id, name=name, email="a@b.example")
        )
        ids[name] = row.id
    return ids


def names(ctx: ServiceContext, session: Session, text: str) -> list[str]:
    filt = SupplierFilter(name=text, sort="name")
    page = suppliers.list_suppliers(ctx, session, filt, limit=100)
    assert suppliers.count_suppliers(ctx, session, filt) == len(page.rows)
    return [row.name for row in page.rows]


@pytest.mark.parametrize(
    "text",
    [
        "zzqx nothing 0",
        "Andes Norte",
        "Agricola",
        "Roble Sur S.B.",
        "\u202e\x1b[31mAndes",
        "%",
        "_",
    ],
)
def test_a_name_that_matches_nothing_lists_nothing(
    ctx: ServiceContext, admin: Session, listed: dict[str, int], text: str
) -> None:
    assert names(ctx, admin, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Andes", ["Comercial Andes Ltda."]),
        ("comercial ANDES", ["Comercial Andes Ltda."]),
        ("  roble   sur ", ["Transportes Roble Sur S.A."]),
        ("Agrícola", ["Agrícola Valle Norte SpA"]),
        ("AGRÍCOLA VALLE", ["Agrícola Valle Norte SpA"]),
        ("S.A", ["Transportes Roble Sur S.A."]),
        ("or", ["Agrícola Valle Norte SpA", "Transportes Roble Sur S.A."]),
        ("a", list(sorted(NAMES.values()))),
    ],
)
def test_a_name_that_matches_lists_every_match(
    ctx: ServiceContext, admin: Session, listed: dict[str, int], text: str, expected: list[str]
) -> None:
    assert names(ctx, admin, text) == expected


def test_another_company_finds_none_of_them(
    ctx: ServiceContext, other_admin: Session, listed: dict[str, int]
) -> None:
    assert names(ctx, other_admin, "Andes") == []


@pytest.mark.skipif(not on_postgres(), reason="the pending list is PostgreSQL's GIN")
def test_the_name_index_keeps_its_pending_list_short(ctx: ServiceContext) -> None:
    options = ctx.db.execute_sql(
        "SELECT reloptions FROM pg_class WHERE relname = 'supplier_link_name_trgm'"
    ).fetchone()[0]
    assert options is not None and "gin_pending_list_limit=256" in options
