"""Network → Suppliers and Clients with Pilot and a real database (the trainers' demo data).

The article's flow: filter by Tax ID, Search, not found, Add Supplier prefilled with that Tax
ID, saved, selected in the table; plus duplicates, the read-only view, paging to the very last
row, the count, marks, details and the Clients tab.
"""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console
from textual.widgets import Button, Input, Select, Static

from gosocket_tui.clock import FixedClock
from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.dialogs.add_supplier import AddSupplierScreen
from gosocket_tui.tui.dialogs.supplier_detail import SupplierDetailScreen
from gosocket_tui.tui.screens.login import LoginScreen
from gosocket_tui.tui.views.clients_panel import ClientsPanel
from gosocket_tui.tui.views.network import NetworkView
from gosocket_tui.tui.views.suppliers_panel import SuppliersPanel
from gosocket_tui.tui.widgets.supplier_table import SupplierTable
from tests.tui.conftest import AppFactory
from tests.tui.flows import NEW_TAX_ID, VIEWER, all_rows, open_suppliers, search_tax_id, wait_rows
from tests.tui.helpers import notices, settle, wait_for

# ----------------------------------------------------------------------------- helpers


def panel_of(app: GosocketApp) -> SuppliersPanel:
    return app.screen.query_one(SuppliersPanel)


def table_of(app: GosocketApp) -> SupplierTable:
    return app.screen.query_one(SupplierTable)


def session_of(app: GosocketApp) -> Session:
    assert app.session is not None
    return app.session


def text_of(widget: Static, width: int = 100) -> str:
    """What a Static shows, as plain text (its content may be a Rich table)."""
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def summary(panel: SuppliersPanel) -> str:
    return str(panel.query_one("#supplier-summary", Static).render())


# ------------------------------------------------------------------------------- flows


async def test_search_not_found_then_add_prefilled_saved_and_selected(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        assert suppliers.find_supplier(demo_ctx, session, "CL", NEW_TAX_ID) is None

        await search_tax_id(pilot, panel, NEW_TAX_ID)
        assert panel.is_empty
        empty = panel.table.empty_text()
        assert f"No supplier with Tax ID {NEW_TAX_ID}." in empty
        assert "Add Supplier" in empty
        add = panel.query_one("#supplier-add", Button)
        assert add.display and app.focused is add

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AddSupplierScreen))
        form = app.screen
        assert form.query_one("#add-tax_id", Input).value == NEW_TAX_ID
        assert form.query_one("#add-country", Select).value == "CL"
        assert "76.086.429-3" in str(form.query_one("#note-tax_id", Static).render())
        assert app.focused is form.query_one("#add-name", Input)

        await pilot.press(*"Ferretería Nueva SpA", "enter", *"ventas@nueva.example")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, AddSupplierScreen))
        await wait_rows(pilot, panel.table)

        added = suppliers.find_supplier(demo_ctx, session, "CL", NEW_TAX_ID)
        assert added is not None and added.name == "Ferretería Nueva SpA"
        row = panel.table.cursor_row
        assert row is not None and row.id == added.id
        assert not panel.is_empty
        assert app.focused is panel.table
        assert any("was added to your suppliers" in n for n in notices(app))
        await wait_for(pilot, lambda: panel.table.total == 1)
        assert "of 1 supplier" in summary(panel)


async def test_add_supplier_key_opens_an_empty_form_and_escape_cancels(
    demo_app: AppFactory,
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        panel.table.focus()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, AddSupplierScreen))
        assert app.screen.query_one("#add-tax_id", Input).value == ""
        assert app.focused is app.screen.query_one("#add-tax_id", Input)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, AddSupplierScreen))
        assert app.screen.query_one(SuppliersPanel) is panel


async def test_duplicate_in_another_notation_jumps_to_the_existing_supplier(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        rows = all_rows(demo_ctx, session)
        # A Chilean supplier far from the first page, typed without any punctuation.
        chilean = [r for r in rows if r.country == "CL"]
        existing = chilean[len(chilean) // 2]
        assert existing.tax_id_formatted != existing.tax_id
        # A name filter that hides it: the jump must clear the filters.
        name = panel.query_one("#supplier-name", Input)
        name.focus()
        await pilot.press(*"zzz no such name", "enter")
        await wait_rows(pilot, panel.table)
        assert panel.is_empty
        assert panel.table.empty_text().startswith("No supplier matches these filters.")
        assert app.focused is name  # only a Tax ID that is not listed moves to Add Supplier

        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, AddSupplierScreen))
        await pilot.press(*existing.tax_id, "enter", *"Otra Razón Social", "enter")
        await pilot.press(*"otro@correo.example", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, AddSupplierScreen))
        await wait_rows(pilot, panel.table)

        row = panel.table.cursor_row
        assert row is not None and row.id == existing.id
        assert panel.query_one("#supplier-name", Input).value == ""
        assert panel.table.filter.name == ""
        warning = [n for n in app.notices if n.severity == "warning"]
        assert warning and "is already one of your suppliers" in warning[-1].message
        assert existing.tax_id_formatted in warning[-1].message
        assert len(all_rows(demo_ctx, session)) == len(rows)


async def test_validation_errors_show_next_to_their_fields(demo_app: AppFactory) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        panel.table.focus()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, AddSupplierScreen))
        form = app.screen
        note = form.query_one("#note-tax_id", Static)
        assert "Expected:" in str(note.render())  # the expected form while nothing is typed
        await pilot.press(*"76.086.428-0")
        assert "Expected:" in str(note.render())
        await pilot.press("enter", *"Proveedor", "enter", *"not-an-email", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AddSupplierScreen)
        assert note.has_class("-error") and "Invalid RUT for Chile" in str(note.render())
        email_note = form.query_one("#note-email", Static)
        assert email_note.has_class("-error") and "not-an-email" in str(email_note.render())
        assert not form.query_one("#note-name", Static).has_class("-error")
        assert app.focused is form.query_one("#add-tax_id", Input)
        # Fixing the Tax ID shows its display form at once.
        field = form.query_one("#add-tax_id", Input)
        field.value = "760864293"
        await pilot.pause()
        assert "✓ 76.086.429-3" in str(note.render())


async def test_non_administrator_sees_the_list_read_only(demo_app: AppFactory) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot, VIEWER)
        notice = panel.query_one("#suppliers-read-only", Static)
        assert str(notice.render()) == (
            "Only administrators manage suppliers. You can view the list."
        )
        assert not panel.query("#supplier-add")
        assert panel.table.rows
        panel.table.focus()
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert not isinstance(app.screen, AddSupplierScreen)
        # Not found: no Add button offered either.
        await search_tax_id(pilot, panel, NEW_TAX_ID)
        assert panel.is_empty
        assert panel.table.empty_text() == f"No supplier with Tax ID {NEW_TAX_ID}."
        assert app.focused is panel.query_one("#supplier-tax-id", Input)


async def test_end_reaches_the_last_row_and_home_the_first(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        table = panel.table
        session = session_of(app)
        first = suppliers.list_suppliers(demo_ctx, session, limit=1).rows[0]
        last_page = suppliers.list_suppliers(demo_ctx, session, direction="backward", limit=5)
        assert table.has_after  # more than one page
        table.focus()
        await pilot.press("end")
        await wait_rows(pilot, table)
        row = table.cursor_row
        assert row is not None and row.id == last_page.rows[-1].id
        assert not table.has_after
        assert [r.id for r in table.rows[-5:]] == [r.id for r in last_page.rows]
        total = suppliers.count_suppliers(demo_ctx, session)
        assert f"of {total} suppliers" in summary(panel)
        assert f"–{total} of" in summary(panel)
        await pilot.press("home")
        await wait_rows(pilot, table)
        row = table.cursor_row
        assert row is not None and row.id == first.id
        assert summary(panel).startswith("Showing 1–")


async def test_moving_down_and_up_pages_through_every_row_in_order(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        table = panel.table
        expected = [r.id for r in all_rows(demo_ctx, session_of(app))]
        first_window = len(table.rows)
        assert first_window < len(expected)
        table.focus()
        seen = []
        for _ in range(len(expected) - 1):
            row = table.cursor_row
            assert row is not None
            seen.append(row.id)
            await pilot.press("down")
            await wait_for(pilot, lambda: table._want == 0 and table._edge_loading is None)
        row = table.cursor_row
        assert row is not None
        seen.append(row.id)
        assert seen == expected  # Down past each loaded page loaded the next one
        assert len(table.rows) < len(expected)  # the window never held them all
        await pilot.press("down")
        assert table.cursor_row is not None and table.cursor_row.id == expected[-1]
        # PageUp all the way back.
        for _ in range(40):
            await pilot.press("pageup")
            await wait_for(pilot, lambda: table._want == 0 and table._edge_loading is None)
        row = table.cursor_row
        assert row is not None and row.id == expected[0]


async def test_count_arrives_with_thousands_separators(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        total = suppliers.count_suppliers(demo_ctx, session_of(app))
        assert panel.table.total == total
        shown = panel.table.visible_rows
        assert summary(panel) == f"Showing 1–{shown} of {total} suppliers"
    from gosocket_tui.i18n import format_int, set_language

    assert format_int(1_000_000) == "1,000,000"
    set_language("es")
    assert format_int(1_000_000) == "1.000.000"


async def test_space_marks_rows_across_pages(demo_app: AppFactory) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        table = panel.table
        table.focus()
        first = table.cursor_row
        await pilot.press("space", "down", "down", "space")
        second = table.cursor_row
        assert first is not None and second is not None
        assert table.marked_ids() == {first.id, second.id}
        assert "2 marked" in summary(panel)
        await pilot.press("end")
        await wait_rows(pilot, table)
        await pilot.press("space")
        assert len(table.marked_ids()) == 3
        await pilot.press("home")
        await wait_rows(pilot, table)
        await pilot.press("space")  # unmark the first again
        assert table.marked_ids() == {second.id} | (table.marked_ids() - {second.id})
        assert first.id not in table.marked_ids() and len(table.marked_ids()) == 2
        await pilot.press("escape")
        assert table.marked_ids() == set()


async def test_row_action_hook_carries_the_row_and_the_marks(demo_app: AppFactory) -> None:
    received: list[SupplierTable.RowAction] = []

    def hook(message: object) -> None:
        # The hook sees a message at every node it bubbles through: keep each once.
        if isinstance(message, SupplierTable.RowAction) and message not in received:
            received.append(message)

    app = demo_app()
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        panel = await open_suppliers(pilot)
        table = panel.table
        table.focus()
        await pilot.press("space")
        table.action_row_action("invite")
        await settle(pilot)
        row = table.cursor_row
        assert row is not None
        assert [(e.action, e.row, e.marked) for e in received] == [("invite", row, {row.id})]


async def test_enter_opens_the_details_and_escape_closes(demo_app: AppFactory) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        panel.table.focus()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SupplierDetailScreen))
        await settle(pilot)
        text = text_of(app.screen.query_one("#detail-content", Static))
        row = panel.table.cursor_row
        assert row is not None
        assert row.name in text and row.email in text and "Added" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SupplierDetailScreen))


async def test_detail_panel_follows_the_cursor_at_120x40(demo_app: AppFactory) -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_suppliers(pilot)
        detail = panel.query_one("#supplier-detail")
        assert detail.display
        panel.table.focus()
        await pilot.press("down", "down")
        row = panel.table.cursor_row
        assert row is not None
        await wait_for(pilot, lambda: getattr(detail, "detail_id", None) == row.id)
        assert isinstance(detail, Static)
        assert row.name in text_of(detail)


async def test_status_filter_and_sort_by_name(demo_app: AppFactory) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        table = panel.table
        panel.query_one("#supplier-status", Select).value = "registered"
        await wait_for(pilot, lambda: table.filter.status == "registered")
        await wait_rows(pilot, table)
        assert table.rows and all(r.registered for r in table.rows)
        table.focus()
        await pilot.press("s")
        await wait_for(pilot, lambda: table.filter.sort == "name")
        await wait_rows(pilot, table)
        names = [r.name for r in table.rows]
        assert names == sorted(names)
        assert "sorted by name" in summary(panel)


async def test_sorting_keeps_every_filter_and_the_cursor_row(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    """The panel owns the query: ``s`` on the table changes its sort and nothing else (the
    group filter has no field on screen, so the sort cannot rebuild it from the fields)."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        table = panel.table
        grouped = suppliers.SupplierFilter(group="Logistica", status="not_invited")
        expected = suppliers.count_suppliers(demo_ctx, session_of(app), grouped)
        assert 1 < expected < len(all_rows(demo_ctx, session_of(app)))
        panel.search(grouped)
        await wait_rows(pilot, table)
        table.focus()
        await pilot.press("down")
        row = table.cursor_row
        assert row is not None
        await pilot.press("s")
        await wait_for(pilot, lambda: table.filter.sort == "name")
        await wait_rows(pilot, table)
        await wait_for(pilot, lambda: table.total is not None)
        assert panel.filter == table.filter == dataclasses.replace(grouped, sort="name")
        assert table.total == expected
        assert all("logistica" in r.groups for r in table.rows)
        assert table.cursor_row is not None and table.cursor_row.id == row.id


async def test_typing_searches_after_a_pause(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        some = all_rows(demo_ctx, session_of(app))[100]
        field = panel.query_one("#supplier-tax-id", Input)
        field.focus()
        await pilot.press(*some.tax_id[:6])
        await wait_for(pilot, lambda: panel.table.filter.tax_id == some.tax_id[:6])
        await wait_rows(pilot, panel.table)
        assert all(r.tax_id.startswith(some.tax_id[:6]) for r in panel.table.rows)
        assert app.focused is field  # as-you-type never moves the focus


async def test_expired_session_while_loading_logs_out(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        clock = demo_ctx.clock
        assert isinstance(clock, FixedClock)
        clock.advance(minutes=demo_ctx.config.idle_timeout_minutes + 1)
        panel.table.refresh_rows()  # no key press: the idle timer is not restarted
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert app.session is None


async def test_clients_tab_lists_the_companies_buying_from_us(demo_app: AppFactory) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_suppliers(pilot)
        network = app.screen.query_one(NetworkView)
        assert network.clients is None  # built when first shown
        network.show_tab("clients")
        await wait_for(pilot, lambda: network.clients is not None)
        clients = app.screen.query_one(ClientsPanel)
        await wait_rows(pilot, clients.table)
        names = [r.name for r in clients.table.rows]
        assert names == ["Distribuidora del Pacífico SAC"]
        assert str(clients.query_one("#client-summary", Static).render()) == "1 client"
        field = clients.query_one("#client-tax-id", Input)
        field.focus()
        await pilot.press(*"999", "enter")
        await wait_rows(pilot, clients.table)
        assert clients.table.rows == []


async def test_refresh_keeps_the_selected_row_where_it_was(demo_app: AppFactory) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        table = panel.table
        table.focus()
        for _ in range(5):
            await pilot.press("pagedown")
            await wait_for(pilot, lambda: table._want == 0 and table._edge_loading is None)
        await pilot.press("up", "up")
        row = table.cursor_row
        assert row is not None
        line = table.cursor_index - table._top
        before = table.rows_loaded
        await pilot.press("r")
        await wait_for(pilot, lambda: table.rows_loaded > before and not table.fetching)
        assert table.cursor_row is not None and table.cursor_row.id == row.id
        assert table.cursor_index - table._top == line


async def test_keys_faster_than_the_pages_still_land_on_the_right_row(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        table = panel.table
        expected = [r.id for r in all_rows(demo_ctx, session_of(app))]
        step = table.visible_rows - 1
        for _ in range(12):  # no waiting between the keys: pages arrive later
            table.action_page(1)
        for _ in range(5):
            table.action_cursor(-1)
        await wait_for(pilot, lambda: table._want == 0 and table._edge_loading is None)
        await settle(pilot)
        row = table.cursor_row
        assert row is not None
        assert row.id == expected[min(12 * step, len(expected) - 1) - 5]
        ids = [r.id for r in table.rows]
        start = expected.index(ids[0])
        assert ids == expected[start : start + len(ids)]  # the window is one piece


async def test_add_supplier_language_follows_the_country_until_chosen(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        panel.table.focus()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, AddSupplierScreen))
        dialog = app.screen
        country = dialog.query_one("#add-country", Select)
        language = dialog.query_one("#add-language", Select)
        assert (country.value, language.value) == ("CL", "es")
        country.value = "BR"
        await wait_for(pilot, lambda: language.value == "pt")
        language.value = "en"  # the user's choice stays when the country changes again
        await pilot.pause()
        country.value = "PE"
        await pilot.pause()
        assert language.value == "en"
        dialog.query_one("#add-tax_id", Input).value = "20512333797"
        dialog.query_one("#add-name", Input).value = "Andes Export SAC"
        dialog.query_one("#add-email", Input).value = "ventas@andes.example"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, AddSupplierScreen))
        row = suppliers.find_supplier(demo_ctx, session_of(app), "PE", "20512333797")
        assert row is not None
        assert suppliers.get_supplier(demo_ctx, session_of(app), row.id).language == "en"
