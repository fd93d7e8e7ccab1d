"""The bulk writer's set-based moves keep every index a single-row write keeps.

The import writes each batch with one statement per table and, on SQLite, indexes the new
links per set with the per-row triggers dropped for that moment (``db/bulk.py``). These tests
import files spread over several batches (``WRITE_ROWS`` made small) on the engine the suite
runs on, then check what the triggers would have done: name search finds every imported
name, the group index holds exactly the groups of each link, and ordinary single-row writes
(Add Supplier, edit) are indexed afterwards as before.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import peewee
import pytest
from stdnum.cl import rut

from gosocket_tui.db import bulk as fast
from gosocket_tui.db.connection import is_sqlite, transaction
from gosocket_tui.services import suppliers
from gosocket_tui.services.bulk import ImportOptions, import_file, writer
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import SupplierFilter, SupplierInput, SupplierUpdate

CL = ImportOptions(default_country="CL")
ROWS = 23
GROUPS = ["", "insumos", "ferretería, logística", "Servicios;insumos", ""]
# Names a COPY stream or a hand-built JSON array would trip on, and markup.
ODD_NAMES = ["Ñandú \\N SpA", 'Comillas "dobles" Ltda', "Tab\\tand \\\\ back", "[@click=x] 50% ?"]


def rut_of(i: int) -> str:
    body = str(30_000_000 + i * 13)
    return body + rut.calc_check_digit(body)


def name_of(i: int) -> str:
    return ODD_NAMES[i] if i < len(ODD_NAMES) else f"Proveedora Única {i:03d} Ltda"


def write_file(path: Path, rows: int = ROWS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["Tax ID*", "Name*", "Email*", "Groups", "Notify*"])
        for i in range(rows):
            notify = "1" if i % 4 == 0 else "0"
            out.writerow([rut_of(i), name_of(i), f"p{i}@x.example", GROUPS[i % 5], notify])
    return path


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several staged batches for a small file (a partial one at the end)."""
    monkeypatch.setattr(writer, "WRITE_ROWS", 5)


def triggers(ctx: ServiceContext) -> list[tuple[str, str]]:
    """The triggers of supplier_link with their definitions, on either engine."""
    if is_sqlite(ctx.db):
        sql = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'supplier_link' ORDER BY name"
        )
    else:
        sql = (
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = 'supplier_link'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
    return [(str(a), str(b)) for a, b in ctx.db.execute_sql(sql).fetchall()]


def group_rows(ctx: ServiceContext) -> set[tuple[int, int, str]]:
    return {
        (int(link), int(buyer), str(name))
        for link, buyer, name in ctx.db.execute_sql(
            "SELECT link_id, buyer_id, name FROM supplier_group"
        ).fetchall()
    }


def groups_from_links(ctx: ServiceContext) -> set[tuple[int, int, str]]:
    """What the group triggers derive from each link's groups column."""
    return {
        (int(link), int(buyer), name)
        for link, buyer, groups in ctx.db.execute_sql(
            "SELECT id, buyer_id, groups FROM supplier_link"
        ).fetchall()
        for name in str(groups).split(",")
        if name
    }


def names_found(ctx: ServiceContext, session: Session, name: str) -> list[str]:
    page = suppliers.list_suppliers(ctx, session, SupplierFilter(name=name), limit=50)
    return [row.name for row in page.rows]


def fts_check(ctx: ServiceContext) -> None:
    """SQLite: the FTS index agrees with its content table, row for row."""
    if is_sqlite(ctx.db):
        ctx.db.execute_sql(
            "INSERT INTO supplier_link_fts (supplier_link_fts) VALUES ('integrity-check')"
        )


def test_name_search_finds_every_imported_name(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    summary = import_file(ctx, other_admin, write_file(tmp_path / "s.csv"), CL)
    assert summary.added == ROWS
    fts_check(ctx)
    for i in range(ROWS):
        assert names_found(ctx, other_admin, name_of(i)) == [name_of(i)], name_of(i)
    assert len(names_found(ctx, other_admin, "Proveedora Única")) == ROWS - len(ODD_NAMES)


def test_groups_of_imported_rows(
    ctx: ServiceContext, other_admin: Session, admin: Session, tmp_path: Path
) -> None:
    """Groups per link, for two buyers (the group index is per buyer) and an update."""
    path = write_file(tmp_path / "s.csv")
    import_file(ctx, other_admin, path, CL)
    import_file(ctx, admin, path, ImportOptions(default_country="CL", valid_only=True))
    expected = groups_from_links(ctx)
    assert group_rows(ctx) == expected
    assert {name for _link, _buyer, name in expected} == {
        "insumos",
        "ferretería",
        "logística",
        "servicios",
    }
    insumos = suppliers.count_suppliers(ctx, other_admin, SupplierFilter(group="insumos"))
    assert insumos == sum(1 for i in range(ROWS) if "insumos" in GROUPS[i % 5].lower())
    # Policy "update" writes the file's groups over the stored ones: the index follows.
    with (tmp_path / "u.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["Tax ID*", "Name*", "Email*", "Groups", "Notify*"])
        out.writerow([rut_of(0), name_of(0), "p0@x.example", "nuevo", "0"])
        out.writerow([rut_of(1), name_of(1), "p1@x.example", "", "0"])
    update = ImportOptions(default_country="CL", on_existing="update")
    assert import_file(ctx, other_admin, tmp_path / "u.csv", update).updated == 2
    assert group_rows(ctx) == groups_from_links(ctx)
    assert suppliers.count_suppliers(ctx, other_admin, SupplierFilter(group="nuevo")) == 1


def test_single_row_writes_are_indexed_after_an_import(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    """The import leaves the triggers exactly as they were: Add Supplier and edit still index."""
    before = triggers(ctx)
    import_file(ctx, other_admin, write_file(tmp_path / "s.csv"), CL)
    assert triggers(ctx) == before
    added = suppliers.add_supplier(
        ctx,
        other_admin,
        SupplierInput(
            country="CL",
            tax_id=rut_of(500),
            name="Agregada Después SpA",
            email="a@x.example",
            groups="tardíos",
        ),
    )
    assert names_found(ctx, other_admin, "Agregada Después") == ["Agregada Después SpA"]
    assert suppliers.count_suppliers(ctx, other_admin, SupplierFilter(group="tardíos")) == 1
    suppliers.update_supplier(ctx, other_admin, added.id, SupplierUpdate(groups="otros"))
    assert suppliers.count_suppliers(ctx, other_admin, SupplierFilter(group="tardíos")) == 0
    assert suppliers.count_suppliers(ctx, other_admin, SupplierFilter(group="otros")) == 1
    assert group_rows(ctx) == groups_from_links(ctx)
    fts_check(ctx)


@pytest.mark.sqlite_only
def test_a_failed_batch_leaves_the_triggers(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error while SQLite's index triggers are dropped (here: indexing the new links)
    undoes the whole import, and the triggers are back. (PostgreSQL drops none.)"""
    before = triggers(ctx)
    counts_before = suppliers.count_suppliers(ctx, other_admin)

    def broken(links: str, params: Sequence[object]) -> None:
        raise RuntimeError("disk on fire")

    original = fast.link_triggers_deferred

    @contextmanager
    def failing(db: peewee.Database) -> Iterator[fast.LinkIndexer]:
        with original(db):
            yield broken

    monkeypatch.setattr(fast, "link_triggers_deferred", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_file(ctx, other_admin, write_file(tmp_path / "s.csv"), CL)
    assert triggers(ctx) == before
    assert suppliers.count_suppliers(ctx, other_admin) == counts_before


@pytest.mark.sqlite_only
def test_only_the_known_index_triggers_are_deferred(ctx: ServiceContext) -> None:
    """Both per-row insert triggers migrations made are deferred (the fast path is in use);
    one whose text changed keeps firing per row, and every one is back after the block."""
    before = dict(triggers(ctx))
    assert set(fast.SQLITE_LINK_INSERT_TRIGGERS) <= set(before)

    def inside() -> set[str]:
        with fast.link_triggers_deferred(ctx.db):
            return {name for name, _sql in triggers(ctx)}

    assert transaction(inside) == set(before) - set(fast.SQLITE_LINK_INSERT_TRIGGERS)
    assert dict(triggers(ctx)) == before
    changed = before["supplier_link_fts_ai"].replace("BEGIN ", "BEGIN SELECT 1; ")
    ctx.db.execute_sql("DROP TRIGGER supplier_link_fts_ai")
    ctx.db.execute_sql(changed)
    assert "supplier_link_fts_ai" in transaction(inside)
    assert dict(triggers(ctx))["supplier_link_fts_ai"] == changed
