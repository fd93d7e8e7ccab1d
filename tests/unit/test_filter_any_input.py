"""Any text typed or pasted into a filter is a valid filter or an empty result, never a crash.

U+10FFFF made the Tax ID prefix range overflow (``chr`` ValueError), a prefix ending in U+D7FF
made its upper bound a lone surrogate, and lone surrogates (a non-UTF-8 command line) or NUL
cannot reach the database driver at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import ClientFilter, SupplierFilter, SupplierInput
from tests.cli_helpers import Cli

HOSTILE = [
    "\U0010ffff",
    "76\U0010ffff",
    "\U0010ffff\U0010ffff",
    "\ud7ff",
    "\ud800",
    "\udcff",
    "\ufdd0",
    "\uffff",
    "\x00",
    "7" * 5000,
]


@pytest.fixture
def supplier(ctx: ServiceContext, admin: Session, other_admin: Session) -> None:
    data = SupplierInput(country="CL", tax_id="96.790.240-3", name="Uno SpA", email="u@x.cl")
    suppliers.add_supplier(ctx, admin, data)
    # The PE buyer lists the CL buyer among its suppliers: the CL buyer has one client.
    client = SupplierInput(country="CL", tax_id="76.086.428-5", name="x", email="c@x.cl")
    suppliers.add_supplier(ctx, other_admin, client)


@pytest.mark.parametrize("value", HOSTILE, ids=ascii)
@pytest.mark.parametrize("field", ["tax_id", "name", "group"])
def test_supplier_filter_takes_any_text(
    ctx: ServiceContext, admin: Session, supplier: None, field: str, value: str
) -> None:
    page = suppliers.list_suppliers(ctx, admin, SupplierFilter(**{field: value}))
    assert page.rows == []
    assert suppliers.count_suppliers(ctx, admin, SupplierFilter(**{field: value})) == 0


@pytest.mark.parametrize("value", HOSTILE, ids=ascii)
@pytest.mark.parametrize("field", ["tax_id", "name"])
def test_client_filter_takes_any_text(
    ctx: ServiceContext, admin: Session, supplier: None, field: str, value: str
) -> None:
    assert suppliers.list_clients(ctx, admin, ClientFilter(**{field: value})).rows == []


def test_prefix_filter_still_finds(ctx: ServiceContext, admin: Session, supplier: None) -> None:
    for prefix in ("96.79", "9", "967902403"):
        rows = suppliers.list_suppliers(ctx, admin, SupplierFilter(tax_id=prefix)).rows
        assert [r.tax_id for r in rows] == ["967902403"]
    assert suppliers.list_clients(ctx, admin, ClientFilter(tax_id="2010")).rows


@pytest.mark.parametrize("value", ["\U0010ffff", "\ud7ff", "\ufdd0", "\x00"], ids=ascii)
def test_cli_list_with_any_tax_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    cli = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    ref = "CL:76.086.428-5"
    assert cli("company", "add", "--country", "CL", "--tax-id", ref[3:], "--name", "A").code == 0
    result = cli("suppliers", "list", "--company", ref, "--tax-id", value, "--format", "json")
    assert (result.code, result.out.strip(), result.err) == (0, "[]", "")
