"""The Overview view (F1): the demo's twelve weeks of onboarding in one screen, at 80x24 and
120x40, in English and Spanish and under ``NO_COLOR``; its row action; an empty company."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher, Static

from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.demo import DEMO_PASSWORD
from gosocket_tui.tui.views.overview import OverviewView, PendingTable
from gosocket_tui.tui.widgets.overview_charts import (
    ACTIVATED_GLYPH,
    INVITED_GLYPH,
    WeeklyChart,
)
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import SnapCompare, log_in, settle, wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
LANGS = pytest.mark.parametrize("lang", ["en", "es"])


async def open_overview(pilot: Pilot[Any], username: str = "ana.admin") -> OverviewView:
    await log_in(pilot, username, DEMO_PASSWORD)
    await pilot.press("f1")
    await settle(pilot)
    view = pilot.app.screen.query_one(OverviewView)
    await wait_for(pilot, lambda: view.figures is not None)
    table = view.query_one(PendingTable)

    def laid_out() -> bool:  # the rows arrived and the table has its height for them
        figures = view.figures
        rows = len(figures.oldest_pending) if figures is not None else 0
        return table.row_count == rows and (rows == 0 or table.size.height > 1)

    await wait_for(pilot, laid_out)
    await settle(pilot)
    return view


async def run_before(pilot: Pilot[Any]) -> None:
    await open_overview(pilot)


@SIZES
@LANGS
def test_overview(snap_compare: SnapCompare, make_demo: AppFactory, size: Any, lang: str) -> None:
    assert snap_compare(make_demo(lang=lang), terminal_size=size, run_before=run_before)


def test_overview_no_color(
    snap_compare: SnapCompare, make_demo: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without colour the two series still differ: by glyph, named in the legend."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_demo(), terminal_size=(80, 24), run_before=run_before)


async def test_login_lands_on_network_and_f1_shows_the_demo_history(
    make_demo: AppFactory,
) -> None:
    app = make_demo()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana.admin", DEMO_PASSWORD)
        assert app.screen.query_one("#content", ContentSwitcher).current == "network"
        await pilot.press("f1")
        await settle(pilot)
        view = app.screen.query_one(OverviewView)
        await wait_for(pilot, lambda: view.figures is not None)
        figures = view.figures
        assert figures is not None
        assert sum(w.invited for w in figures.weeks) > 50
        assert sum(w.activated for w in figures.weeks) > 30
        assert figures.median_days is not None and figures.median_days < 3
        assert all(figures.counts[state] for state in figures.counts)
        assert len(figures.oldest_pending) == 10
        chart = str(app.screen.query_one(WeeklyChart).render())
        assert INVITED_GLYPH in chart and ACTIVATED_GLYPH in chart


async def test_r_resends_the_oldest_pending_invitation(
    make_demo: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = make_demo()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_overview(pilot)
        table = app.screen.query_one(PendingTable)
        table.focus()
        oldest = table.pending[0].row
        assert oldest.state == "expired"
        await pilot.press("R")
        await settle(pilot)
        await wait_for(pilot, lambda: view.figures is not None and bool(app.notices))
        assert app.session is not None
        assert suppliers.get_supplier(demo_ctx, app.session, oldest.id).state == "queued"
        await wait_for(pilot, lambda: oldest.id not in {p.row.id for p in table.pending[:1]})


async def test_an_empty_company_shows_zeros_and_no_chart_error(make: AppFactory) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "carlos", PASSWORD)
        await pilot.press("f1")
        await settle(pilot)
        view = app.screen.query_one(OverviewView)
        await wait_for(pilot, lambda: view.figures is not None)
        assert not app.screen.query_one(PendingTable).display
        times = str(app.screen.query_one("#overview-times", Static).render())
        assert "no activation yet" in times
