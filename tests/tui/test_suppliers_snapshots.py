"""Pictures of Network → Suppliers and Clients at 80x24 and 120x40, in English and Spanish.

The demo data with a fixed clock, a few suppliers moved to each invitation state (so the
Invitation column shows them all, the expired one dimmed), and every worker finished before
the picture is taken. After a deliberate change: ``python -m pytest
tests/tui/test_suppliers_snapshots.py --snapshot-update``, then look at every changed SVG.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from gosocket_tui.db.models import SupplierLink
from gosocket_tui.services import auth
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.demo import DEMO_PASSWORD
from gosocket_tui.tui.dialogs.add_supplier import AddSupplierScreen
from gosocket_tui.tui.views.network import NetworkView
from gosocket_tui.tui.widgets.supplier_detail import SupplierDetailPanel
from tests.tui.conftest import AppFactory
from tests.tui.flows import (
    ADMIN,
    NEW_TAX_ID,
    VIEWER,
    all_rows,
    open_suppliers,
    search_tax_id,
    wait_rows,
)
from tests.tui.helpers import RunBefore, SnapCompare, settle, wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
LANGS = pytest.mark.parametrize("lang", ["en", "es"])


@pytest.fixture
def states(demo_ctx: ServiceContext) -> ServiceContext:
    """Put a few of the first suppliers in each invitation state."""
    now = demo_ctx.clock.now()
    session = auth.authenticate(demo_ctx, ADMIN, DEMO_PASSWORD)
    candidates = [r for r in all_rows(demo_ctx, session)[:14] if r.state == "not_invited"]
    day = timedelta(days=1)
    changes: list[dict[str, Any]] = [
        {"status": "invited", "status_at": now - 3 * day, "expires_at": now + 4 * day},
        # Invited, but the code ran out: shown as expired (dimmed).
        {"status": "invited", "status_at": now - 20 * day, "expires_at": now - 13 * day},
        {"status": "delivery_failed", "status_at": now - day},
        {"status": "queued", "status_at": now},
        {"status": "cancelled", "status_at": now - 40 * day},
    ]
    for row, values in zip(candidates, changes, strict=False):
        SupplierLink.update(values).where(SupplierLink.id == row.id).execute()
    return demo_ctx


async def detail_ready(pilot: Pilot[Any]) -> None:
    """At 120x40 the detail panel shows the cursor row: wait for its full detail."""
    panel = pilot.app.screen.query_one(SupplierDetailPanel)
    if panel.display:
        table = pilot.app.screen.query_one("#supplier-table")
        row = table.cursor_row  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: row is None or panel.detail_id == row.id)
    await settle(pilot)


def suppliers_tab(username: str = ADMIN) -> RunBefore:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_suppliers(pilot, username)
        await detail_ready(pilot)

    return run_before


@SIZES
@LANGS
def test_suppliers_with_data(
    snap_compare: SnapCompare, states: ServiceContext, demo_app: AppFactory, size: Any, lang: str
) -> None:
    assert snap_compare(demo_app(lang), terminal_size=size, run_before=suppliers_tab())


@SIZES
@LANGS
def test_suppliers_not_found(
    snap_compare: SnapCompare, demo_app: AppFactory, size: Any, lang: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        panel = await open_suppliers(pilot)
        await search_tax_id(pilot, panel, NEW_TAX_ID)
        await settle(pilot)

    assert snap_compare(demo_app(lang), terminal_size=size, run_before=run_before)


@SIZES
@LANGS
def test_add_supplier_validation_error(
    snap_compare: SnapCompare, demo_app: AppFactory, size: Any, lang: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        panel = await open_suppliers(pilot)
        panel.table.focus()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, AddSupplierScreen))
        await pilot.press(*"76.086.428-0", "enter", *"Comercial Nueva", "enter")
        await pilot.press(*"ventas@", "ctrl+s")
        await settle(pilot)

    assert snap_compare(demo_app(lang), terminal_size=size, run_before=run_before)


@SIZES
@LANGS
def test_suppliers_read_only(
    snap_compare: SnapCompare, states: ServiceContext, demo_app: AppFactory, size: Any, lang: str
) -> None:
    assert snap_compare(demo_app(lang), terminal_size=size, run_before=suppliers_tab(VIEWER))


@SIZES
@LANGS
def test_clients_tab(snap_compare: SnapCompare, demo_app: AppFactory, size: Any, lang: str) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_suppliers(pilot)
        network = pilot.app.screen.query_one(NetworkView)
        network.show_tab("clients")
        await wait_for(pilot, lambda: network.clients is not None)
        clients = network.clients
        assert clients is not None
        await wait_rows(pilot, clients.table)
        network.focus_content()
        await settle(pilot)

    assert snap_compare(demo_app(lang), terminal_size=size, run_before=run_before)
