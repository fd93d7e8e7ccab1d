"""Activity view: the company's audit trail, with a real database, through the keyboard.

Times are stored as naive UTC and shown in local time; the ``utc`` fixture sets ``TZ=UTC`` so
snapshots do not depend on the machine's zone.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, Static

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import AuditEvent, User
from gosocket_tui.errors import AuthError
from gosocket_tui.i18n import set_language
from gosocket_tui.services import activity, audit, auth, suppliers
from gosocket_tui.services.activity import AuditFilter
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, touch
from gosocket_tui.services.suppliers import SupplierInput
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.screens.login import LoginScreen
from gosocket_tui.tui.views.activity import ActivityView
from gosocket_tui.tui.views.activity_filter import FilterError, build_filter, day_start_utc
from gosocket_tui.tui.widgets.activity_table import (
    ActivityTable,
    allocate_widths,
    local_time,
)
from tests.conftest import PASSWORD
from tests.tui.conftest import AppFactory
from tests.tui.flows import open_activity, shown, type_into
from tests.tui.helpers import log_in, notices, settle

SANTIAGO = ZoneInfo("America/Santiago")


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def build_trail(ctx: ServiceContext, admin: Session, viewer: Session, clock: FixedClock) -> None:
    """A realistic morning: a supplier added and changed, a refused removal, a failed login,
    a failed delivery whose server reply holds markup and an ESC sequence."""
    clock.advance(minutes=3)
    admin = touch(ctx, admin)
    suppliers.add_supplier(
        ctx,
        admin,
        SupplierInput("CL", "96.790.240-3", "Proveedora [b]Sur[/b] Ltda", "ventas@sur.example"),
    )
    clock.advance(minutes=2)
    audit.record(
        ctx,
        admin,
        "supplier.update",
        target="CL:96.790.240-3",
        detail="email ventas@sur.example → facturas@sur.example",
    )
    clock.advance(minutes=1)
    viewer = touch(ctx, viewer)
    audit.record(
        ctx,
        viewer,
        "supplier.remove",
        target="CL:96.790.240-3",
        outcome="refused",
        detail="not an administrator",
    )
    clock.advance(minutes=1)
    with pytest.raises(AuthError):
        auth.authenticate(ctx, "carlos", "not the password")
    clock.advance(minutes=4)
    audit.record(
        ctx,
        admin,
        "invitation.delivery_failed",
        target="CL:96.790.240-3",
        outcome="failed",
        detail="550 5.1.1 [red]mailbox unavailable[/red]\x1b[2J after 8 attempts",
    )
    clock.advance(minutes=2)


def view(app: GosocketApp) -> ActivityView:
    return app.screen.query_one(ActivityView)


def table(app: GosocketApp) -> ActivityTable:
    return app.screen.query_one(ActivityTable)


def cells(app: GosocketApp, key: str) -> list[Text]:
    t = table(app)
    return [t.get_cell(row_key, key) for row_key in t.rows]


def column(app: GosocketApp, key: str) -> list[str]:
    """The shown text of a column (cut to the column's width)."""
    return [cell.plain for cell in cells(app, key)]


def loaded(app: GosocketApp, field: str) -> list[str]:
    """One field of every loaded event, in table order (not cut)."""
    return [str(getattr(event, field)) for event in table(app).events]


# ----------------------------------------------------------------------------- flows


async def test_admin_sees_logins_and_the_supplier_add_newest_first(
    make: AppFactory, ctx: ServiceContext, admin: Session, viewer: Session, clock: FixedClock
) -> None:
    build_trail(ctx, admin, viewer, clock)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_activity(pilot)
        actions = loaded(app, "action")
        assert actions[0] == "auth.login"  # this very login, newest first
        assert "supplier.add" in actions
        assert actions.count("auth.login") == 4  # ana twice, carlos once, the failure
        users = loaded(app, "user")
        assert users[0] == "ana" and "carlos" in users
        outcomes = dict(zip(actions, loaded(app, "outcome"), strict=True))
        assert outcomes["supplier.remove"] == "refused"
        assert outcomes["invitation.delivery_failed"] == "failed"
        # Refused and failed stand out; ok does not.
        styles = dict(zip(actions, (t.style for t in cells(app, "outcome")), strict=True))
        assert "bold" in str(styles["supplier.remove"])
        assert "bold" in str(styles["invitation.delivery_failed"])
        assert not styles["supplier.add"]
        # Times are local (here UTC), to the second when there is room.
        assert column(app, "time")[0] == "2026-03-02 12:13:00"
        assert app.focused is table(app)
        status = str(app.screen.query_one("#activity-status", Static).render())
        assert status == f"{len(actions)} events"
        # Other companies' events are not there.
        assert "lucia" not in users


async def test_values_from_the_database_are_shown_as_text_not_markup(
    make: AppFactory, ctx: ServiceContext, admin: Session, viewer: Session, clock: FixedClock
) -> None:
    build_trail(ctx, admin, viewer, clock)
    audit.record(ctx, admin, "note", target="[b]x[/b]\x1b[31m", detail="[link=http://e]y[/link]")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_activity(pilot)
        targets = column(app, "target")
        assert "[b]x[/b]\N{REPLACEMENT CHARACTER}[31m" in targets
        await pilot.press("down")  # the note, just under this login
        detail = str(app.screen.query_one("#activity-detail", Static).render())
        assert "[b]x[/b]\N{REPLACEMENT CHARACTER}[31m" in detail
        assert "[link=http://e]y[/link]" in detail
        assert "\x1b" not in detail


async def test_times_are_shown_in_the_local_zone(
    make: AppFactory, admin: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ActivityView, "timezone", SANTIAGO)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_activity(pilot)
        # 12:00 UTC is 09:00 in Santiago in March (UTC-3).
        assert column(app, "time")[0] == "2026-03-02 09:00:00"
        assert "09:00:00 -03" in str(app.screen.query_one("#activity-detail", Static).render())


async def test_filter_by_action_prefix_and_user_narrows_the_list(
    make: AppFactory, ctx: ServiceContext, admin: Session, viewer: Session, clock: FixedClock
) -> None:
    build_trail(ctx, admin, viewer, clock)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        everything = table(app).row_count
        await type_into(pilot, "#activity-action", "supplier")
        actions = loaded(app, "action")
        assert sorted(actions) == ["supplier.add", "supplier.remove", "supplier.update"]
        assert table(app).row_count < everything
        await type_into(pilot, "#activity-user", "carlos")
        assert loaded(app, "action") == ["supplier.remove"]
        await type_into(pilot, "#activity-action", "")
        assert set(loaded(app, "user")) == {"carlos"}
        assert loaded(app, "action").count("auth.login") == 2
        await type_into(pilot, "#activity-action", "nothing.like.this")
        assert table(app).row_count == 0
        status = str(app.screen.query_one("#activity-status", Static).render())
        assert status == "No events match these filters."


async def test_filter_by_days_and_bad_dates_are_explained_inline(
    make: AppFactory, ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    clock.advance(days=1)
    later = auth.authenticate(ctx, "ana", PASSWORD)  # 2026-03-03
    audit.record(ctx, later, "supplier.add", target="CL:96.790.240-3")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        before = table(app).row_count
        await type_into(pilot, "#activity-since", "2026-3-2")
        assert shown(app, "#activity-filter-message") == (
            "Write the date as YYYY-MM-DD, for example 2026-03-03."
        )
        assert app.screen.query_one("#activity-since", Input).has_class("-invalid")
        assert app.focused is app.screen.query_one("#activity-since", Input)
        assert table(app).row_count == before  # nothing was asked of the service
        await type_into(pilot, "#activity-since", "2026-02-30")
        assert "YYYY-MM-DD" in shown(app, "#activity-filter-message")
        await type_into(pilot, "#activity-since", "2026-03-03")
        assert shown(app, "#activity-filter-message") == ""
        assert not app.screen.query_one("#activity-since", Input).has_class("-invalid")
        assert {t[:10] for t in column(app, "time")} == {"2026-03-03"}
        await type_into(pilot, "#activity-until", "2026-03-02")
        assert shown(app, "#activity-filter-message") == "The “from” day is after the “to” day."
        await type_into(pilot, "#activity-since", "")
        await type_into(pilot, "#activity-until", "2026-03-02")
        assert {t[:10] for t in column(app, "time")} == {"2026-03-02"}


async def test_moving_down_from_the_last_row_loads_the_next_page(
    make: AppFactory, ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    for i in range(150):
        clock.advance(seconds=2)
        audit.record(ctx, admin, "test.bulk", target=f"item {i:03d}")
    total = len(activity.list_events(ctx, touch(ctx, admin), limit=1000).rows) + 1  # + UI login
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        assert table(app).row_count == ActivityView.PAGE_SIZE
        status = str(app.screen.query_one("#activity-status", Static).render())
        assert status == "100 events · ↓ at the end loads more"
        await pilot.press("end")
        await settle(pilot)
        assert table(app).row_count == ActivityView.PAGE_SIZE  # End only reached the last row
        assert table(app).cursor_row == ActivityView.PAGE_SIZE - 1
        await pilot.press("down")
        await settle(pilot)
        assert table(app).row_count == total
        assert table(app).cursor_row == ActivityView.PAGE_SIZE  # on the first new row
        items = [t for t in loaded(app, "target") if t.startswith("item")]
        assert items == [f"item {i:03d}" for i in reversed(range(150))]  # in order, no repeats
        status = str(app.screen.query_one("#activity-status", Static).render())
        assert status == f"{total} events"
        await pilot.press("end", "down", "pagedown")  # the end of the trail: nothing more
        await settle(pilot)
        assert table(app).row_count == total


async def test_the_view_refreshes_when_shown_again(
    make: AppFactory, ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        before = table(app).row_count
        await pilot.press("f2")
        await settle(pilot)
        clock.advance(seconds=5)
        audit.record(ctx, touch(ctx, admin), "supplier.add", target="CL:96.790.240-3")
        await pilot.press("f4")
        await settle(pilot)
        assert table(app).row_count == before + 1
        assert loaded(app, "action")[0] == "supplier.add"


async def test_export_writes_the_filtered_trail_with_formulas_neutralised(
    make: AppFactory, ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    audit.record(ctx, admin, "supplier.add", target='=HYPERLINK("http://evil")')
    audit.record(ctx, admin, "supplier.update", target="+1+1", detail="@SUM(A1)")
    target = tmp_path / "trail.csv"
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        path = app.screen.query_one("#activity-path", Input)
        assert path.value == "~/gosocket-activity-20260302.csv"
        await type_into(pilot, "#activity-action", "supplier", submit=False)
        await pilot.press("ctrl+s")
        assert app.focused is path
        await type_into(pilot, "#activity-path", str(target))
        rows = list(csv.reader(target.open(encoding="utf-8-sig")))
        assert rows[0] == ["time_utc", "user", "action", "target", "outcome", "detail"]
        assert len(rows) == 3  # the typed filter applies to the export (and the table)
        assert {r[3] for r in rows[1:]} == {'\'=HYPERLINK("http://evil")', "'+1+1"}
        assert any(r[5] == "'@SUM(A1)" for r in rows[1:])
        assert table(app).row_count == 2
        messages = notices(app)
        assert f"Exported 2 events to {target}." in messages
        assert not list(tmp_path.glob(".*.part"))


async def test_export_errors_are_messages_not_tracebacks(
    make: AppFactory, admin: Session, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        missing = tmp_path / "no such folder" / "trail.csv"
        await type_into(pilot, "#activity-path", str(missing))
        assert shown(app, "#activity-export-message") == (
            f"Cannot write {missing}: the folder {missing.parent} does not exist"
        )
        await type_into(pilot, "#activity-path", str(tmp_path))
        assert shown(app, "#activity-export-message") == (
            f"{tmp_path} is a folder: add a file name."
        )
        await type_into(pilot, "#activity-path", "")
        assert shown(app, "#activity-export-message") == "Enter the name of the file to write."
        await type_into(pilot, "#activity-path", str(tmp_path / "ok.csv"))
        assert shown(app, "#activity-export-message") == ""
        assert (tmp_path / "ok.csv").exists()
        assert list(tmp_path.iterdir()) == [tmp_path / "ok.csv"]
        await type_into(pilot, "#activity-path", str(tmp_path / "ok.csv"))
        # The TUI has no --force: the refusal does not suggest one.
        assert shown(app, "#activity-export-message") == (
            f"{tmp_path / 'ok.csv'} already exists; choose another name"
        )


async def test_non_admin_sees_the_refusal_and_no_table(
    make: AppFactory, ctx: ServiceContext, admin: Session
) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot, "carlos")
        refused = app.screen.query_one("#activity-refused", Static)
        assert refused.display
        assert str(refused.render()) == "Only administrators can see the activity."
        assert not app.screen.query_one("#activity-body").display
        assert table(app).row_count == 0
        assert app.focused is not table(app)
    # The view did not even ask: no refused audit.read in the trail.
    assert activity.list_events(ctx, touch(ctx, admin), AuditFilter(action="audit.read")).rows == []


async def test_an_admin_demoted_while_logged_in_is_refused_by_the_service(
    make: AppFactory, ctx: ServiceContext, admin: Session
) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        assert table(app).row_count > 0
        await pilot.press("f2")
        User.update(is_admin=False).where(User.username == "ana").execute()
        await pilot.press("f4")
        await settle(pilot)
        assert app.screen.query_one("#activity-refused", Static).display
        assert not app.screen.query_one("#activity-body").display
        assert table(app).row_count == 0
    User.update(is_admin=True).where(User.username == "ana").execute()
    refusals = activity.list_events(ctx, touch(ctx, admin), AuditFilter(action="audit.read")).rows
    assert [(r.user, r.outcome) for r in refusals] == [("ana", "refused")]


async def test_an_account_disabled_while_logged_in_is_logged_out_when_the_trail_loads(
    make: AppFactory, ctx: ServiceContext
) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        auth.set_user_active(ctx, "ana", False)
        await pilot.press("f4")
        await settle(pilot)
        reason = "Your account is no longer active. Please log in again."
        assert app.session is None
        assert isinstance(app.screen, LoginScreen)  # not a load error on the Activity view
        assert str(app.screen.query_one("#login-message", Static).render()) == reason
    logouts = AuditEvent.select().where(AuditEvent.action == "auth.logout")
    assert [event.detail for event in logouts] == [reason]


async def test_spanish_labels(make: AppFactory, admin: Session) -> None:
    app = make(lang="es")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        heading = app.screen.query_one("#activity-heading", Static)
        assert str(heading.render()) == "Actividad"
        labels = [str(c.label) for c in table(app).columns.values()]
        assert labels == ["Fecha", "Usuario", "Acción", "Objetivo", "Resultado"]
        await type_into(pilot, "#activity-since", "ayer")
        assert shown(app, "#activity-filter-message") == (
            "Escriba la fecha como AAAA-MM-DD, por ejemplo 2026-03-02."
        )


async def test_relabel_switches_the_language_in_place(make: AppFactory, admin: Session) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activity(pilot)
        rows = table(app).row_count
        set_language("es")
        view(app).relabel()
        await pilot.pause()
        assert str(app.screen.query_one("#activity-heading", Static).render()) == "Actividad"
        assert [str(c.label) for c in table(app).columns.values()][:2] == ["Fecha", "Usuario"]
        assert table(app).row_count == rows
        assert str(app.screen.query_one("#activity-status", Static).render()) == f"{rows} eventos"


# ------------------------------------------------------------------------ pure parts


def test_local_time_and_day_bounds() -> None:
    stored = datetime(2026, 3, 2, 12, 0)
    assert local_time(stored, SANTIAGO).strftime("%H:%M %Z") == "09:00 -03"
    assert local_time(stored).tzinfo is not None  # the machine's zone (UTC here)
    assert day_start_utc(date(2026, 3, 2), SANTIAGO) == datetime(2026, 3, 2, 3, 0)
    assert day_start_utc(date(2026, 3, 2)) == datetime(2026, 3, 2, 0, 0)
    plus5 = timezone(timedelta(hours=5))
    filt = build_filter(
        " supplier. ", " ana ", "2026-03-01", "2026-03-02", today=date(2026, 3, 2), tz=plus5
    )
    assert filt == AuditFilter(
        action="supplier.",
        user="ana",
        since=datetime(2026, 2, 28, 19, 0),
        until=datetime(2026, 3, 2, 19, 0),  # the whole to-day, up to its end
    )
    assert build_filter("", "", "", "", today=date(2026, 3, 2)) == AuditFilter()


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        ("20260302", "", "activity-since"),
        ("2026-W10-1", "", "activity-since"),
        ("", "2026-02-29", "activity-until"),
        ("2026-03-03", "2026-03-02", "activity-until"),
    ],
)
def test_bad_dates_name_their_field(since: str, until: str, field: str) -> None:
    with pytest.raises(FilterError) as caught:
        build_filter("", "", since, until, today=date(2026, 3, 2), tz=UTC)
    assert caught.value.field == field


@pytest.mark.parametrize("available", [40, 62, 63, 80, 103, 140])
def test_columns_fit_the_width_and_headers_are_never_cut(available: int) -> None:
    natural = {"time": 4, "user": 7, "action": 26, "target": 15, "outcome": 9, "detail": 60}
    headers = {"time": 5, "user": 7, "action": 6, "target": 8, "outcome": 9, "detail": 7}
    widths = allocate_widths(available, natural, headers)
    used = sum(widths.values()) + 2 * len(widths)
    if available >= 62:
        assert used <= available
        assert all(widths[k] >= headers[k] for k in widths)
    assert ("detail" in widths) == (available >= 80)
    assert widths["time"] == (19 if available >= 96 else 16)


# ------------------------------------------------------------------------- snapshots


def snapshot_app(
    make: AppFactory,
    ctx: ServiceContext,
    admin: Session,
    viewer: Session,
    clock: FixedClock,
    lang: str,
) -> GosocketApp:
    build_trail(ctx, admin, viewer, clock)
    return make(lang=lang)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_admin(
    snap_compare: Any,
    make: AppFactory,
    ctx: ServiceContext,
    admin: Session,
    viewer: Session,
    clock: FixedClock,
    lang: str,
    size: tuple[int, int],
) -> None:
    app = snapshot_app(make, ctx, admin, viewer, clock, lang)

    async def run_before(pilot: Pilot[None]) -> None:
        await open_activity(pilot)
        await pilot.press("down")  # the failed delivery, shown in full below the table

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_snapshot_non_admin(snap_compare: Any, make: AppFactory, admin: Session, lang: str) -> None:
    app = make(lang=lang)

    async def run_before(pilot: Pilot[None]) -> None:
        await open_activity(pilot, "carlos")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_bad_date(
    snap_compare: Any,
    make: AppFactory,
    ctx: ServiceContext,
    admin: Session,
    viewer: Session,
    clock: FixedClock,
) -> None:
    app = snapshot_app(make, ctx, admin, viewer, clock, "en")

    async def run_before(pilot: Pilot[None]) -> None:
        await open_activity(pilot)
        await type_into(pilot, "#activity-action", "supplier")
        await type_into(pilot, "#activity-until", "2026-02-31")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
