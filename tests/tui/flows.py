"""How a user reaches each place of the app, shared by the tests of several places.

Each helper drives the app through the keyboard as a person does (log in, F-keys, fields)
and waits until the place shows its data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import invitations, suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.demo import DEMO_PASSWORD
from gosocket_tui.services.session import Session
from gosocket_tui.services.taxid import country_choices
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.screens.activation import ActivationScreen
from gosocket_tui.tui.screens.bulk_import import BulkImportScreen
from gosocket_tui.tui.views.mailbox import MailboxView
from gosocket_tui.tui.views.suppliers_panel import SuppliersPanel
from gosocket_tui.tui.widgets.client_table import ClientTable
from gosocket_tui.tui.widgets.supplier_table import SupplierTable
from tests.conftest import PASSWORD
from tests.invitation_helpers import CO_TAX, add_supplier, deliver
from tests.tui.helpers import log_in, settle, wait_for

ADMIN = "ana.admin"  # the demo data's administrator
VIEWER = "carlos.viewer"  # and a user who is not one
NEW_TAX_ID = "76.086.429-3"  # a valid Chilean RUT that the demo data does not hold
CORPUS = Path(__file__).parents[1] / "data" / "suppliers"  # the bulk test files
# The supplier ``invite_and_deliver`` invites, and the password it activates with.
SUPPLIER_NIT = CO_TAX
NEW_PASSWORD = "cafe con leche 2026"


# -------------------------------------------------------------------- Network → Suppliers


async def open_suppliers(
    pilot: Pilot[Any], username: str = ADMIN, password: str = DEMO_PASSWORD
) -> SuppliersPanel:
    """Log in by typing, then wait for the Suppliers tab's rows and count."""
    app = pilot.app
    assert isinstance(app, GosocketApp)
    await log_in(pilot, username, password)
    await wait_for(pilot, lambda: bool(app.screen.query(SuppliersPanel)))
    panel = app.screen.query_one(SuppliersPanel)
    await wait_for(pilot, lambda: panel.table.loaded and panel.table.total is not None)
    await settle(pilot)
    return panel


async def wait_rows(pilot: Pilot[Any], table: SupplierTable | ClientTable) -> None:
    await wait_for(pilot, lambda: table.loaded and not table.fetching)
    await settle(pilot)


async def search_tax_id(pilot: Pilot[Any], panel: SuppliersPanel, value: str) -> None:
    """Focus the Tax ID filter, type ``value`` and press Enter (the article's step 4)."""
    field = panel.query_one("#supplier-tax-id", Input)
    field.focus()
    field.value = ""
    await pilot.press(*value, "enter")
    await wait_rows(pilot, panel.table)


def all_rows(ctx: ServiceContext, session: Session) -> list[suppliers.SupplierRow]:
    rows: list[suppliers.SupplierRow] = []
    cursor = None
    while True:
        page = suppliers.list_suppliers(ctx, session, cursor=cursor, limit=1000)
        rows.extend(page.rows)
        if not page.has_after:
            return rows
        cursor = page.rows[-1].key("tax_id")


# ------------------------------------------------------------------------------- Activity


async def open_activity(pilot: Pilot[None], username: str = "ana") -> None:
    await log_in(pilot, username, PASSWORD)
    await pilot.press("f4")
    await settle(pilot)


async def type_into(pilot: Pilot[None], selector: str, value: str, *, submit: bool = True) -> None:
    """Focus a field, replace its text and (by default) press Enter.

    Short values are typed key by key; long ones (file paths) are put in at once, as a paste
    would, to keep the tests quick."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = "" if len(value) <= 16 else value
    await pilot.press(*(value if len(value) <= 16 else ""), *(["enter"] if submit else []))
    await settle(pilot)


def shown(app: GosocketApp, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display and widget.has_class("-shown") else ""


# -------------------------------------------------------------------------------- Mailbox


async def open_mailbox(pilot: Pilot[Any], username: str = "ana") -> MailboxView:
    await log_in(pilot, username, PASSWORD)
    await pilot.press("f3")
    await settle(pilot)
    return pilot.app.screen.query_one(MailboxView)


async def show_tab(pilot: Pilot[Any], view: MailboxView, pane_id: str) -> None:
    view.show_tab(pane_id)
    await settle(pilot)
    assert view.active_tab == pane_id


def rendered(view: MailboxView, widget_id: str) -> str:
    return str(view.query_one(f"#{widget_id}", Static).render())


def invite_and_deliver(
    ctx: ServiceContext,
    admin: Session,
    sink: MailSink,
    *,
    country: str = "CO",
    tax_id: str = SUPPLIER_NIT,
    name: str = "Cafés de Colombia SAS",
    email: str = "ventas@cafe.example",
) -> int:
    """Add a supplier, invite it and deliver the email to the sink; returns its link id."""
    link_id = add_supplier(ctx, admin, country=country, tax_id=tax_id, name=name, email=email)
    invitations.invite(ctx, admin, [link_id])
    deliver(ctx, sink.port)
    return link_id


# --------------------------------------------------------------------- Bulk add suppliers


async def open_bulk(pilot: Pilot[Any], results: list[object] | None = None) -> BulkImportScreen:
    """Log in as ana (administrator) and push the screen as the Suppliers tab does."""
    app = pilot.app
    assert isinstance(app, GosocketApp)
    await log_in(pilot, "ana", PASSWORD)
    assert app.session is not None
    screen = BulkImportScreen(app.ctx, app.session)
    app.push_screen(screen, results.append if results is not None else None)
    await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
    await settle(pilot)
    return screen


async def process(pilot: Pilot[Any]) -> BulkImportScreen:
    screen = screen_of(pilot)
    assert screen.focused is screen.query_one("#bulk-process")
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.step not in ("checking",) and not busy(screen))
    await settle(pilot)
    return screen


def screen_of(pilot: Pilot[Any]) -> BulkImportScreen:
    screen = pilot.app.screen
    assert isinstance(screen, BulkImportScreen)
    return screen


def busy(screen: BulkImportScreen) -> bool:
    return any(w.is_running for w in screen.workers)


# ----------------------------------------------------------------------------- Activation


async def open_activation(pilot: Pilot[Any]) -> ActivationScreen:
    """From the login screen, the way a supplier does: Tab to the button, Enter."""
    await pilot.pause()
    await pilot.press("tab", "tab", "tab", "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ActivationScreen)
    return screen


async def fill_activation(
    pilot: Pilot[Any],
    *,
    country: str = "CO",
    tax_id: str = SUPPLIER_NIT,
    inviter_country: str = "CL",
    inviter_tax_id: str = "76.086.428-5",
    code: str = "",
    username: str = "cafe.admin",
    password: str = NEW_PASSWORD,
    password_again: str | None = None,
    typed: bool = False,
) -> None:
    """Fill the form and press Enter in its last field (which activates).

    ``typed``: every key the way a supplier types it, from the first field (a country list:
    Enter opens it, letters find the country, Enter chooses; Enter in a text field moves to
    the next one). Otherwise the fields are set directly (quicker) and only the final Enter is
    a key. An empty country leaves that list unchosen.
    """
    again = password if password_again is None else password_again
    screen = pilot.app.screen
    assert isinstance(screen, ActivationScreen)
    if not typed:
        for select_id, value in (
            ("act-country", country),
            ("act-inviter-country", inviter_country),
        ):
            if value:
                screen.query_one(f"#{select_id}", Select).value = value
        values = {
            "act-tax-id": tax_id,
            "act-inviter-tax-id": inviter_tax_id,
            "act-code": code,
            "act-username": username,
            "act-password": password,
            "act-password-again": again,
        }
        for input_id, value in values.items():
            screen.query_one(f"#{input_id}", Input).value = value
        screen.query_one("#act-password-again", Input).focus()
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        return
    names = dict((code, name) for name, code in country_choices())
    keys: list[str] = []
    if country:
        keys += ["enter", *names[country], "enter"]
    keys += ["tab", *tax_id, "enter"]  # Enter in a field: the next one (a country list)
    if inviter_country:
        keys += ["enter", *names[inviter_country], "enter"]
    keys += ["tab", *inviter_tax_id, "enter", *code, "enter", *username, "enter"]
    keys += [*password, "enter", *again, "enter"]
    await pilot.press(*keys)
    await settle(pilot)
