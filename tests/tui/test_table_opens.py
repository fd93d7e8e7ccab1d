"""Opening the shell shows the Suppliers table's frame at once and fills it when the first page
arrives; the garbage collector stays out of the way until then (``tui/collector.py``).

The first page is held back by a gate in front of the real query (a real database answers once
the test opens the gate), which is how a slow database looks to the screen.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gosocket_tui.services.demo import DEMO_PASSWORD
from gosocket_tui.services.session import Session
from gosocket_tui.tui import collector as collector_module
from gosocket_tui.tui.views.suppliers_panel import SuppliersPanel
from gosocket_tui.tui.widgets.supplier_table import SupplierTable
from gosocket_tui.tui.widgets.table_window import Direction, Key, PageData
from tests.tui.conftest import AppFactory
from tests.tui.flows import ADMIN
from tests.tui.helpers import wait_for

GATE_SECONDS = 30.0


@pytest.fixture
def held_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every page of the Suppliers table waits for the returned event, then reads the
    database as usual."""
    gate = threading.Event()
    real_fetch = SupplierTable.fetch

    def held(
        self: SupplierTable,
        session: Session,
        key: Key | None,
        direction: Direction,
        limit: int,
        inclusive: bool,
    ) -> PageData[Any]:
        gate.wait(GATE_SECONDS)
        return real_fetch(self, session, key, direction, limit, inclusive)

    monkeypatch.setattr(SupplierTable, "fetch", held)
    yield gate
    gate.set()  # a failed test must not leave a worker waiting


def line(table: SupplierTable, y: int) -> str:
    return table.render_line(y).text


async def test_frame_and_loading_line_first_then_the_rows(
    demo_app: AppFactory, held_pages: threading.Event
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*ADMIN, "enter", *DEMO_PASSWORD, "enter")
        await wait_for(pilot, lambda: bool(app.screen.query(SupplierTable)))
        table = app.screen.query_one(SupplierTable)
        panel = app.screen.query_one(SuppliersPanel)
        # The page is held: the screen is painted with the table's frame and a loading line.
        await wait_for(pilot, lambda: table.size.height > 2 and table.fetching)
        await pilot.pause()
        assert "Tax ID" in line(table, 0) and "Name" in line(table, 0)
        assert line(table, 2).strip() == "Loading…"
        assert not table.loaded and table.rows_painted == 0
        assert "Loading…" in str(panel.query_one("#supplier-summary").render())

        held_pages.set()
        await wait_for(pilot, lambda: table.rows_painted > 0 and not table.fetching)
        rows = table.rows
        assert rows, "the demo buyer has suppliers"
        assert rows[0].tax_id_formatted in line(table, 1)
        assert "Loading…" not in line(table, 2)
        await wait_for(pilot, lambda: table.total is not None)
        assert str(panel.query_one("#supplier-summary").render()).startswith("Showing 1–")
        await app.workers.wait_for_complete()


@pytest.fixture
def collector() -> Iterator[None]:
    """Start with nothing frozen (an earlier app in this process may have frozen its heap);
    leave the collector as it was found."""
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


async def test_the_first_login_freezes_the_startup_heap_once(
    demo_app: AppFactory, collector: None
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*ADMIN, "enter", *DEMO_PASSWORD, "enter")
        await wait_for(pilot, lambda: bool(app.screen.query(SupplierTable)))
        frozen = gc.get_freeze_count()
        assert frozen > 0
        table = app.screen.query_one(SupplierTable)
        await wait_for(pilot, lambda: table.loaded and table.total is not None)
        # Log out and in again: the first shell is garbage now, and must stay collectable.
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: not app.screen.query(SupplierTable))
        await pilot.press(*ADMIN, "enter", *DEMO_PASSWORD, "enter")
        await wait_for(pilot, lambda: bool(app.screen.query(SupplierTable)))
        # Frozen objects still go when nothing refers to them: the count only falls.
        assert gc.get_freeze_count() <= frozen
        await app.workers.wait_for_complete()


async def test_collections_wait_until_the_first_rows_are_painted(
    demo_app: AppFactory, held_pages: threading.Event, collector: None
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert gc.isenabled()
        await pilot.press(*ADMIN, "enter", *DEMO_PASSWORD, "enter")
        await wait_for(pilot, lambda: bool(app.screen.query(SupplierTable)))
        table = app.screen.query_one(SupplierTable)
        await wait_for(pilot, lambda: table.size.height > 2 and table.fetching)
        assert not gc.isenabled()  # the shell is painted, its rows are not yet
        held_pages.set()
        await wait_for(pilot, lambda: table.rows_painted > 0)
        await pilot.pause()
        assert gc.isenabled()
        await app.workers.wait_for_complete()


async def test_collections_go_on_after_a_while_when_no_rows_come(
    demo_app: AppFactory,
    held_pages: threading.Event,
    collector: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector_module, "OPEN_PAUSE_SECONDS", 0.2)
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*ADMIN, "enter", *DEMO_PASSWORD, "enter")
        await wait_for(pilot, lambda: bool(app.screen.query(SupplierTable)))
        table = app.screen.query_one(SupplierTable)
        await wait_for(pilot, lambda: gc.isenabled(), timeout=5)
        assert table.rows_painted == 0  # the page is still held
        held_pages.set()
        await app.workers.wait_for_complete()


async def test_an_earlier_openings_limit_does_not_end_the_next_pause(
    demo_app: AppFactory, collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Log in, rows shown, log out and in again at once: the first opening's time limit
    passes during the second opening, which stays paused until its own rows or limit."""
    monkeypatch.setattr(collector_module, "OPEN_PAUSE_SECONDS", 0.4)
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pause = collector_module.OpeningPause()
        started = time.monotonic()
        pause.start(app)  # the first opening (limit at 0.4 s)
        pause.end()  # its rows are painted
        await pilot.pause(0.2)
        pause.start(app)  # the second opening (limit at 0.6 s)
        await pilot.pause(max(0.0, started + 0.5 - time.monotonic()))
        assert not gc.isenabled()
        await wait_for(pilot, gc.isenabled, timeout=5)  # its own limit ends it
        assert time.monotonic() - started >= 0.55


async def test_an_app_that_ends_while_opening_gives_the_collector_back(
    demo_app: AppFactory, held_pages: threading.Event, collector: None
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*ADMIN, "enter", *DEMO_PASSWORD, "enter")
        await wait_for(pilot, lambda: bool(app.screen.query(SupplierTable)))
        assert not gc.isenabled()
        held_pages.set()
        app.exit()
    assert gc.isenabled()
