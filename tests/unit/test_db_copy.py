from pathlib import Path

import pytest

from gosocket_tui.config import Config
from gosocket_tui.db.connection import is_postgres
from gosocket_tui.db.copy import copy_database
from gosocket_tui.db.models import ALL_MODELS
from gosocket_tui.errors import UserError
from gosocket_tui.services import auth, suppliers
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.services.demo import DEMO_PASSWORD, load_fixture, seed_demo


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    ctx = open_context(Config(db=url))
    try:
        return {
            m._meta.table_name: [tuple(r) for r in m.select().order_by(m.id).tuples()]
            for m in ALL_MODELS
        }
    finally:
        ctx.close()


def test_copy_there_and_back_loses_nothing(tmp_path: Path, db_url: str) -> None:
    source = f"sqlite:///{tmp_path / 'demo.db'}"
    ctx = open_context(Config(db=source))
    seed_demo(ctx, load_fixture())
    ctx.close()
    before = snapshot(source)
    report = copy_database(source, db_url)
    assert report.counts["supplier_link"] == 4 * 241
    back = f"sqlite:///{tmp_path / 'back.db'}"
    copy_database(db_url, back)
    assert snapshot(back) == before
    # The copy is a working installation: log in, search by name (index), add a supplier.
    ctx2: ServiceContext = open_context(Config(db=db_url))
    # The Overview's counts were rebuilt by the target's triggers, not copied.
    counted = ctx2.db.execute_sql(
        "SELECT buyer_id, status, COUNT(*) FROM supplier_link GROUP BY buyer_id, status"
    ).fetchall()
    kept = ctx2.db.execute_sql("SELECT buyer_id, status, n FROM supplier_state_count WHERE n <> 0")
    assert sorted(map(tuple, kept.fetchall())) == sorted(map(tuple, counted))
    if is_postgres(ctx2.db):
        # Vacuumed and analysed, so counts can read an index alone (the visibility map).
        done = ctx2.db.execute_sql(
            "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL "
            "FROM pg_stat_user_tables WHERE relname = 'supplier_link'"
        )
        assert done.fetchone()[0]
    session = auth.authenticate(ctx2, "ana.admin", DEMO_PASSWORD)
    some = suppliers.list_suppliers(ctx2, session, limit=1).rows[0]
    by_name = suppliers.list_suppliers(ctx2, session, suppliers.SupplierFilter(name=some.name))
    assert some.id in [r.id for r in by_name.rows]
    added = suppliers.add_supplier(
        ctx2, session, suppliers.SupplierInput("CL", "96.790.240-3", "Nuevo", "n@example.com")
    )
    assert added.id > max(r[0] for r in before["supplier_link"])
    ctx2.close()


def test_refuses_non_empty_target_unless_replace(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'a.db'}"
    target = f"sqlite:///{tmp_path / 'b.db'}"
    for url in (source, target):
        ctx = open_context(Config(db=url))
        seed_demo(ctx, load_fixture())
        ctx.close()
    with pytest.raises(UserError, match="not empty"):
        copy_database(source, target)
    assert copy_database(source, target, replace=True).counts["company"] > 0
