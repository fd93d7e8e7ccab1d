import csv
from pathlib import Path

import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.errors import PermissionDenied
from gosocket_tui.services import activity, audit, suppliers
from gosocket_tui.services.activity import AuditFilter
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, touch
from gosocket_tui.services.suppliers import SupplierInput


def test_trail_is_per_company_newest_first_and_paged(
    ctx: ServiceContext, admin: Session, other_admin: Session, clock: FixedClock
) -> None:
    for i in range(5):
        clock.advance(minutes=1)
        admin = touch(ctx, admin)
        suppliers.add_supplier(
            ctx,
            admin,
            SupplierInput(
                "CL",
                ["96.790.240-3", "77.777.777-7", "11.111.111-1", "22.222.222-2", "33.333.333-3"][i],
                f"=Proveedor {i}",
                f"p{i}@example.com",
            ),
        )
    page = activity.list_events(ctx, admin, AuditFilter(action="supplier"), limit=3)
    assert [r.target for r in page.rows] == [
        "CL:33.333.333-3",
        "CL:22.222.222-2",
        "CL:11.111.111-1",
    ]
    assert page.has_after
    rest = activity.list_events(
        ctx, admin, AuditFilter(action="supplier"), cursor=(page.rows[-1].at, page.rows[-1].id)
    )
    assert len(rest.rows) == 2 and not rest.has_after
    assert all(r.user == "ana" for r in page.rows + rest.rows)
    # The other company sees none of it.
    theirs = activity.list_events(ctx, other_admin, AuditFilter(action="supplier"))
    assert theirs.rows == []
    assert activity.list_events(ctx, admin, AuditFilter(user="lucia")).rows == []


def test_date_filter(ctx: ServiceContext, admin: Session, clock: FixedClock) -> None:
    start = clock.now()
    clock.advance(hours=1)
    admin = touch(ctx, admin)
    suppliers.add_supplier(ctx, admin, SupplierInput("CL", "96.790.240-3", "X", "x@example.com"))
    later = activity.list_events(ctx, admin, AuditFilter(since=start.replace(minute=30)))
    assert [r.action for r in later.rows] == ["supplier.add"]


def test_only_admins_read_the_trail(ctx: ServiceContext, viewer: Session) -> None:
    with pytest.raises(PermissionDenied):
        activity.list_events(ctx, viewer)


def test_export_neutralises_formulas(ctx: ServiceContext, admin: Session, tmp_path: Path) -> None:
    suppliers.add_supplier(ctx, admin, SupplierInput("CL", "96.790.240-3", "X", "x@example.com"))
    path = tmp_path / "trail.csv"
    audit.record(ctx, admin, "test.note", target="=cmd|' /C calc'!A0")
    count = activity.export_events_csv(ctx, admin, path)
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert len(rows) == count + 1
    assert any(row[3] == "'=cmd|' /C calc'!A0" for row in rows)
