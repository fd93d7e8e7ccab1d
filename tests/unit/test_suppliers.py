from typing import Any

import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import AuditEvent, Company, SupplierLink
from gosocket_tui.errors import Duplicate, NotFound, PermissionDenied, ValidationError
from gosocket_tui.services import auth, suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import SupplierFilter, SupplierInput, SupplierUpdate
from gosocket_tui.services.suppliers import filters as supplier_filters
from gosocket_tui.services.taxid import compact_tax_id
from tests.conftest import PASSWORD

CO_SUPPLIER = SupplierInput(
    country="CO",
    tax_id="860.007.386-1",
    name="Cafés de Colombia SAS",
    email="Ventas@Cafe.example",
    groups="insumos, Café",
)


def add(ctx: ServiceContext, session: Session, **kw: Any) -> suppliers.SupplierDetail:
    data = {
        "country": "CL",
        "tax_id": "96.790.240-3",
        "name": "Proveedor Uno SpA",
        "email": "uno@example.com",
        **kw,
    }
    return suppliers.add_supplier(ctx, session, SupplierInput(**data))


def test_add_creates_company_and_link(ctx: ServiceContext, admin: Session) -> None:
    row = suppliers.add_supplier(ctx, admin, CO_SUPPLIER)
    assert row.tax_id == "8600073861" and row.tax_id_formatted == "860.007.386-1"
    assert row.email == "Ventas@cafe.example"  # domain normalised, local part kept
    assert row.groups == ("insumos", "café") and row.state == "not_invited"
    assert Company.get(Company.tax_id == "8600073861").registered_at is None
    assert (
        AuditEvent.select()
        .where(AuditEvent.action == "supplier.add", AuditEvent.outcome == "ok")
        .count()
        == 1
    )


@pytest.mark.parametrize("notation", ["76.086.428-5", "760864285", " 76086428 - 5 ", "76086428-5"])
def test_duplicate_in_any_notation(
    ctx: ServiceContext, other_admin: Session, notation: str
) -> None:
    first = add(ctx, other_admin, tax_id="76.086.428-5", name="Comercial Andes SpA")
    links = SupplierLink.select().count()
    with pytest.raises(Duplicate, match="already one of your suppliers") as info:
        add(ctx, other_admin, tax_id=notation, name="Another name")
    assert info.value.existing_id == first.id
    assert SupplierLink.select().count() == links


def test_registered_company_shows_registered(ctx: ServiceContext, other_admin: Session) -> None:
    # CL:76.086.428-5 is a registered buyer company in the network.
    row = add(ctx, other_admin, tax_id="760864285", name="ignored, network name wins")
    assert row.registered and row.name == "Comercial Andes SpA"


def test_nothing_written_on_error(ctx: ServiceContext, admin: Session) -> None:
    before = (Company.select().count(), SupplierLink.select().count())
    for bad in [
        {"tax_id": "96.790.240-4"},
        {"email": "not-an-email"},
        {"name": "  "},
        {"country": "ZZ"},
        {"tax_id": "76.086.428-5"},
    ]:
        with pytest.raises(ValidationError):
            add(ctx, admin, **bad)
    assert (Company.select().count(), SupplierLink.select().count()) == before


def test_field_of_validation_error(ctx: ServiceContext, admin: Session) -> None:
    with pytest.raises(ValidationError) as info:
        add(ctx, admin, email="a@b")
    assert info.value.field == "email"
    with pytest.raises(ValidationError) as info:
        add(ctx, admin, tax_id="123")
    assert info.value.field == "tax_id" and "76.086.428-5" in info.value.message


def test_only_admins_write(ctx: ServiceContext, admin: Session, viewer: Session) -> None:
    row = add(ctx, admin)
    calls = [
        lambda: add(ctx, viewer, tax_id="77.777.777-7"),
        lambda: suppliers.update_supplier(ctx, viewer, row.id, SupplierUpdate(email="x@y.cl")),
        lambda: suppliers.remove_supplier(ctx, viewer, row.id),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    refused = AuditEvent.select().where(AuditEvent.outcome == "refused").count()
    assert refused == 3
    # ... but they can read.
    assert suppliers.list_suppliers(ctx, viewer).rows[0].id == row.id


def test_tenant_isolation(ctx: ServiceContext, admin: Session, other_admin: Session) -> None:
    row = add(ctx, admin)
    assert suppliers.list_suppliers(ctx, other_admin).rows == []
    assert suppliers.count_suppliers(ctx, other_admin) == 0
    with pytest.raises(NotFound):
        suppliers.get_supplier(ctx, other_admin, row.id)
    with pytest.raises(NotFound):
        suppliers.update_supplier(ctx, other_admin, row.id, SupplierUpdate(email="a@b.cl"))
    with pytest.raises(NotFound):
        suppliers.remove_supplier(ctx, other_admin, row.id)
    assert suppliers.find_supplier(ctx, other_admin, "CL", "96.790.240-3") is None
    assert suppliers.get_supplier(ctx, admin, row.id).email == "uno@example.com"


def test_filters_and_keyset_paging(demo_ctx: ServiceContext, clock: FixedClock) -> None:
    from gosocket_tui.services.demo import DEMO_PASSWORD

    session = auth.authenticate(demo_ctx, "ana.admin", DEMO_PASSWORD)
    total = suppliers.count_suppliers(demo_ctx, session)
    assert total == 241  # 240 generated + the buyer that supplies it
    seen: list[int] = []
    page = suppliers.list_suppliers(demo_ctx, session, limit=50)
    while True:
        seen.extend(r.id for r in page.rows)
        if not page.has_after:
            break
        page = suppliers.list_suppliers(
            demo_ctx, session, cursor=page.rows[-1].key("tax_id"), limit=50
        )
    assert len(seen) == total == len(set(seen))
    tax_ids = [suppliers.get_supplier(demo_ctx, session, i).tax_id for i in seen[:60]]
    assert tax_ids == sorted(tax_ids)
    last = suppliers.list_suppliers(demo_ctx, session, direction="backward", limit=50)
    assert [r.id for r in last.rows] == seen[-50:] and last.has_before and not last.has_after
    back = suppliers.list_suppliers(
        demo_ctx, session, cursor=last.rows[0].key("tax_id"), direction="backward", limit=50
    )
    assert [r.id for r in back.rows] == seen[-100:-50]

    # Tax ID prefix in any notation
    some = suppliers.get_supplier(demo_ctx, session, seen[10])
    prefix = some.tax_id_formatted[:6]
    found = suppliers.list_suppliers(demo_ctx, session, SupplierFilter(tax_id=prefix))
    assert some.id in [r.id for r in found.rows]
    assert all(r.tax_id.startswith(compact_tax_id("", prefix)) for r in found.rows)

    # Name contains, through the trigram index, and short needles
    word = some.name.split()[1][:5]
    by_name = suppliers.list_suppliers(
        demo_ctx, session, SupplierFilter(name=word.upper()), limit=1000
    )
    assert some.id in [r.id for r in by_name.rows]
    assert all(word.lower() in r.name.lower() for r in by_name.rows)
    assert suppliers.list_suppliers(demo_ctx, session, SupplierFilter(name="zzqqxx")).rows == []
    short = suppliers.list_suppliers(demo_ctx, session, SupplierFilter(name="S."), limit=1000)
    assert short.rows and all("s." in r.name.lower() for r in short.rows)

    # Status and group
    by_state = {
        state: suppliers.count_suppliers(demo_ctx, session, SupplierFilter(status=state))
        for state in suppliers.STATUSES
    }
    assert sum(by_state.values()) == total  # the states part the list (the demo's history)
    assert by_state["registered"] > 0 and by_state["not_invited"] > 0
    grouped = suppliers.list_suppliers(
        demo_ctx, session, SupplierFilter(group="Logistica"), limit=1000
    )
    assert grouped.rows and all("logistica" in r.groups for r in grouped.rows)
    with pytest.raises(ValidationError):
        suppliers.list_suppliers(demo_ctx, session, SupplierFilter(status="bogus"))

    # Sort by name
    named = suppliers.list_suppliers(demo_ctx, session, SupplierFilter(sort="name"), limit=300)
    names = [r.name for r in named.rows]
    assert names == sorted(names)


def test_expired_is_computed_from_the_clock(
    ctx: ServiceContext, admin: Session, clock: FixedClock
) -> None:
    row = add(ctx, admin)
    SupplierLink.update(
        status="invited", status_at=clock.now(), expires_at=clock.now().replace(day=5)
    ).where(SupplierLink.id == row.id).execute()
    assert suppliers.get_supplier(ctx, admin, row.id).state == "invited"
    assert suppliers.count_suppliers(ctx, admin, SupplierFilter(status="invited")) == 1
    clock.advance(days=4)
    admin = auth.authenticate(ctx, "ana", PASSWORD)  # a new day, a new session
    assert suppliers.get_supplier(ctx, admin, row.id).state == "expired"
    assert suppliers.count_suppliers(ctx, admin, SupplierFilter(status="expired")) == 1
    assert suppliers.count_suppliers(ctx, admin, SupplierFilter(status="invited")) == 0


def test_update_and_remove(ctx: ServiceContext, admin: Session) -> None:
    row = add(ctx, admin)
    updated = suppliers.update_supplier(
        ctx,
        admin,
        row.id,
        SupplierUpdate(email="otro@example.com", groups=["A", "b", "a"], city="Talca"),
    )
    assert (updated.email, updated.groups, updated.city) == (
        "otro@example.com",
        ("a", "b"),
        "Talca",
    )
    with pytest.raises(ValidationError):
        suppliers.update_supplier(ctx, admin, row.id, SupplierUpdate(email="nope"))
    suppliers.remove_supplier(ctx, admin, row.id)
    assert suppliers.list_suppliers(ctx, admin).rows == []
    assert Company.get_or_none(Company.tax_id == "967902403") is not None


def test_clients_tab(ctx: ServiceContext, admin: Session, other_admin: Session) -> None:
    # PE buyer adds the CL buyer as its supplier: CL sees PE among its clients.
    add(ctx, other_admin, tax_id="76.086.428-5", name="x")
    clients = suppliers.list_clients(ctx, admin)
    assert [c.name for c in clients.rows] == ["Distribuidora del Pacífico SAC"]
    assert suppliers.list_clients(ctx, admin, suppliers.ClientFilter(tax_id="2010")).rows
    assert not suppliers.list_clients(ctx, admin, suppliers.ClientFilter(tax_id="99")).rows
    assert suppliers.list_clients(ctx, other_admin).rows == []


@pytest.mark.sqlite_only
def test_common_words_take_the_sorted_scan_with_same_results(
    demo_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gosocket_tui.services.demo import DEMO_PASSWORD

    session = auth.authenticate(demo_ctx, "ana.admin", DEMO_PASSWORD)
    filt = SupplierFilter(name="ercia")
    via_index = suppliers.list_suppliers(demo_ctx, session, filt, limit=1000).rows
    monkeypatch.setattr(supplier_filters, "NAME_INDEX_MAX_IDS", 3)
    via_scan = suppliers.list_suppliers(demo_ctx, session, filt, limit=1000).rows
    assert len(via_index) > 3 and via_index == via_scan
    percent = suppliers.list_suppliers(demo_ctx, session, SupplierFilter(name="10%_x")).rows
    assert percent == []


def test_group_index_follows_every_change(
    ctx: ServiceContext, admin: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = add(ctx, admin, groups='insumos, "Logística"')
    other = add(ctx, admin, tax_id="77.777.777-7", groups="insumos")

    def members(group: str) -> list[int]:
        page = suppliers.list_suppliers(ctx, admin, SupplierFilter(group=group))
        return sorted(r.id for r in page.rows)

    assert members("Insumos") == sorted([row.id, other.id])
    assert members("logística") == [row.id]
    suppliers.update_supplier(ctx, admin, row.id, SupplierUpdate(groups="transporte"))
    assert members("insumos") == [other.id] and members("transporte") == [row.id]
    monkeypatch.setattr(supplier_filters, "NAME_INDEX_MAX_IDS", 0)  # the scan path agrees
    assert members("insumos") == [other.id]
    monkeypatch.undo()
    suppliers.remove_supplier(ctx, admin, other.id)
    assert members("insumos") == []
    count = ctx.db.execute_sql("SELECT COUNT(*) FROM supplier_group").fetchone()[0]
    assert count == 1


def test_control_characters_in_groups_never_break_the_group_index(
    ctx: ServiceContext, admin: Session
) -> None:
    """ESC, NUL-like and other C0/C1 controls in a group name used to reach the group index's
    JSON and fail the insert with "malformed JSON"; group names are tags, the controls go."""
    row = add(ctx, admin, groups="log\x1bística, nor\x01te, \x9bsur")
    assert row.groups == ("logística", "norte", "sur")
    page = suppliers.list_suppliers(ctx, admin, SupplierFilter(group="norte"))
    assert [r.id for r in page.rows] == [row.id]
    updated = suppliers.update_supplier(ctx, admin, row.id, SupplierUpdate(groups="\x07este"))
    assert updated.groups == ("este",)


def test_locate_keeps_a_filter_that_lists_the_supplier_and_clears_one_that_hides_it(
    ctx: ServiceContext, admin: Session, other_admin: Session
) -> None:
    """ "Show me this one" (after adding a supplier): the filter that lists it, and its key."""
    cafe = suppliers.add_supplier(ctx, admin, CO_SUPPLIER)
    add(ctx, admin)
    grouped = SupplierFilter(group="insumos", sort="name")
    found = suppliers.locate_supplier(ctx, admin, grouped, cafe.id)
    assert found == suppliers.SupplierLocation(grouped, (cafe.name, cafe.id))
    hiding = SupplierFilter(name="Proveedor", status="not_invited", group="insumos")
    found = suppliers.locate_supplier(ctx, admin, hiding, cafe.id)
    assert found == suppliers.SupplierLocation(SupplierFilter(), (cafe.tax_id, cafe.id))
    with pytest.raises(NotFound):
        suppliers.locate_supplier(ctx, other_admin, SupplierFilter(), cafe.id)
    with pytest.raises(ValidationError):
        suppliers.locate_supplier(ctx, admin, SupplierFilter(status="[b]x"), cafe.id)
