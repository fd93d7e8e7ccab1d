"""Pictures of the login screen and the shell at 80x24 and 120x40 (pytest-textual-snapshot).

After a deliberate change: ``python -m pytest tests/tui --snapshot-update``, then look at every
changed SVG in ``tests/tui/__snapshots__/`` before committing it.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.helpers import RunBefore, SnapCompare, log_in, settle

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def typing(username: str, password: str) -> RunBefore:
    async def run_before(pilot: Pilot[Any]) -> None:
        await log_in(pilot, username, password)

    return run_before


async def wait(pilot: Pilot[Any]) -> None:
    await settle(pilot)


@SIZES
def test_login(snap_compare: SnapCompare, make: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(make(), terminal_size=size, run_before=wait)


@SIZES
def test_login_spanish(snap_compare: SnapCompare, make: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(make(lang="es"), terminal_size=size, run_before=wait)


@SIZES
def test_login_error(snap_compare: SnapCompare, make: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(make(), terminal_size=size, run_before=typing("ana", "not my password"))


@SIZES
def test_login_locked(snap_compare: SnapCompare, make: AppFactory, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "carlos", "wrong 1")
        for attempt in range(2, 6):
            await pilot.press(*f"wrong {attempt}", "enter")
            await settle(pilot)
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)

    assert snap_compare(make(), terminal_size=size, run_before=run_before)


@SIZES
def test_login_demo(
    snap_compare: SnapCompare, make_demo: AppFactory, size: tuple[int, int]
) -> None:
    assert snap_compare(make_demo(), terminal_size=size, run_before=wait)


@SIZES
def test_login_demo_spanish(
    snap_compare: SnapCompare, make_demo: AppFactory, size: tuple[int, int]
) -> None:
    assert snap_compare(make_demo(lang="es"), terminal_size=size, run_before=wait)


@SIZES
def test_shell_admin(snap_compare: SnapCompare, make: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(make(), terminal_size=size, run_before=typing("ana", PASSWORD))


@SIZES
def test_shell_non_admin_network(
    snap_compare: SnapCompare, make: AppFactory, size: tuple[int, int]
) -> None:
    assert snap_compare(make(), terminal_size=size, run_before=typing("carlos", PASSWORD))


@SIZES
def test_shell_admin_spanish(
    snap_compare: SnapCompare, make: AppFactory, size: tuple[int, int]
) -> None:
    assert snap_compare(make(lang="es"), terminal_size=size, run_before=typing("lucia", PASSWORD))


@SIZES
def test_logged_out_after_idle(
    snap_compare: SnapCompare, make: AppFactory, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "ana", PASSWORD)
        app: Any = pilot.app
        app.ctx.clock.advance(minutes=16)
        app.check_session()
        await settle(pilot)

    assert snap_compare(make(), terminal_size=size, run_before=run_before)


@SIZES
def test_login_demo_after_f2(
    snap_compare: SnapCompare, make_demo: AppFactory, size: tuple[int, int]
) -> None:
    """Switched to Spanish on the login screen: every label re-rendered, none cut off."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(make_demo(), terminal_size=size, run_before=run_before)
