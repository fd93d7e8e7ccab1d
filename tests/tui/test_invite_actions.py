"""Invitations from the Suppliers tab with Pilot at 80x24 over the demo data.

Invite the cursor row (confirmed), invite the Space-marked rows, a registered row refused by
the service, a non-administrator refused with a notice, change of email, cancel and resend.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from gosocket_tui.db.models import OutboxMessage
from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.tui.app import GosocketApp
from gosocket_tui.tui.dialogs.invite import ChangeEmailScreen, ConfirmScreen
from gosocket_tui.tui.views.suppliers_panel import SuppliersPanel
from tests.tui.conftest import AppFactory
from tests.tui.flows import VIEWER, open_suppliers
from tests.tui.helpers import notices, settle, wait_for


async def select(pilot: Pilot[Any], panel: SuppliersPanel, link_id: int) -> None:
    """Put the table's cursor on this supplier and focus the table."""
    table = panel.table
    panel.select_supplier(link_id)
    table.focus()
    await wait_for(
        pilot,
        lambda: (
            not table.fetching and table.cursor_row is not None and table.cursor_row.id == link_id
        ),
    )
    await settle(pilot)


def session_of(app: GosocketApp) -> Session:
    assert app.session is not None
    return app.session


def with_state(ctx: ServiceContext, session: Session, state: str) -> list[suppliers.SupplierRow]:
    page = suppliers.list_suppliers(ctx, session, suppliers.SupplierFilter(status=state), limit=50)
    return page.rows


def state_of(ctx: ServiceContext, session: Session, link_id: int) -> str:
    return suppliers.get_supplier(ctx, session, link_id).state


def outbox_count() -> int:
    return OutboxMessage.select().count()


async def confirm(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    focused = app.screen.focused
    if focused is not None and focused.id == "confirm-cancel":  # a destructive action
        await pilot.press("shift+tab")  # to the action's button
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
    await settle(pilot)


# ------------------------------------------------------------------------------- flows


async def test_invite_cursor_row_after_confirmation(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        target = next(r for r in with_state(demo_ctx, session, "not_invited") if r.email)
        before = outbox_count()
        await select(pilot, panel, target.id)

        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = str(app.screen.query_one("#confirm-text", Static).render())
        assert "Invite 1 supplier" in text and target.email in text
        await confirm(pilot)
        await wait_for(pilot, lambda: state_of(demo_ctx, session, target.id) == "queued")

        assert outbox_count() == before + 1
        assert OutboxMessage.select().where(OutboxMessage.recipient == target.email).exists()
        assert any(target.name in m and "queued" in m for m in notices(app))
        await wait_for(
            pilot,
            lambda: panel.table.cursor_row is not None and panel.table.cursor_row.state == "queued",
        )


async def test_escape_cancels_the_invite(demo_app: AppFactory, demo_ctx: ServiceContext) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        target = next(r for r in with_state(demo_ctx, session, "not_invited") if r.email)
        before = outbox_count()
        await select(pilot, panel, target.id)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert state_of(demo_ctx, session, target.id) == "not_invited"
        assert outbox_count() == before


async def test_invite_marked_rows(demo_app: AppFactory, demo_ctx: ServiceContext) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        first, second = [r for r in with_state(demo_ctx, session, "not_invited") if r.email][:2]
        before = outbox_count()
        await select(pilot, panel, first.id)
        await pilot.press("space")
        await select(pilot, panel, second.id)
        await pilot.press("space")
        assert panel.table.marked_ids() == {first.id, second.id}

        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screen = app.screen
        assert "(2)" in str(screen.query_one("#confirm-dialog").border_title)
        assert "Invite 2 suppliers" in str(screen.query_one("#confirm-text", Static).render())
        await confirm(pilot)
        await wait_for(
            pilot,
            lambda: all(state_of(demo_ctx, session, r.id) == "queued" for r in (first, second)),
        )
        assert outbox_count() == before + 2
        await wait_for(pilot, lambda: not panel.table.marked_ids())


async def test_confirmation_names_marked_rows_outside_the_window(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    """A marked supplier pages away is read off the screen (a worker) for the confirmation."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        state = suppliers.SupplierFilter(status="not_invited")
        first = with_state(demo_ctx, session, "not_invited")[0]
        last = suppliers.list_suppliers(demo_ctx, session, state, direction="backward").rows[-1]
        await select(pilot, panel, first.id)
        await pilot.press("space")
        await select(pilot, panel, last.id)
        await pilot.press("space")
        assert first.id not in {r.id for r in panel.table.rows}

        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = str(app.screen.query_one("#confirm-text", Static).render())
        assert "Invite 2 suppliers" in text
        assert first.name in text and last.name in text
        await pilot.press("escape")
        await settle(pilot)
        assert state_of(demo_ctx, session, first.id) == "not_invited"


async def test_registered_row_is_refused(demo_app: AppFactory, demo_ctx: ServiceContext) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        target = with_state(demo_ctx, session, "registered")[0]
        before = outbox_count()
        await select(pilot, panel, target.id)
        await pilot.press("i")
        await wait_for(pilot, lambda: any("already registered" in m for m in notices(app)))
        assert state_of(demo_ctx, session, target.id) == "registered"
        assert outbox_count() == before


async def test_non_admin_sees_the_actions_disabled(
    demo_app: AppFactory, demo_ctx: ServiceContext
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot, VIEWER)
        session = session_of(app)
        target = next(r for r in with_state(demo_ctx, session, "not_invited") if r.email)
        before = outbox_count()
        await select(pilot, panel, target.id)
        for key in ("i", "R", "e", "x"):
            await pilot.press(key)
            await settle(pilot)
            assert not isinstance(app.screen, (ConfirmScreen, ChangeEmailScreen))
        bindings = app.screen.active_bindings
        assert not bindings["i"].enabled and not bindings["x"].enabled
        assert bindings["enter"].enabled  # details stay open to everyone
        assert state_of(demo_ctx, session, target.id) == "not_invited"
        assert outbox_count() == before


async def test_change_email_resends(demo_app: AppFactory, demo_ctx: ServiceContext) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        target = next(r for r in with_state(demo_ctx, session, "not_invited") if r.email)
        await select(pilot, panel, target.id)

        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangeEmailScreen))
        field = app.screen.query_one("#email-input", Input)
        assert field.value == target.email
        field.value = "not-an-email"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChangeEmailScreen)  # the error shows in the dialog
        assert app.screen.query_one("#email-error", Static).has_class("-shown")
        field.value = "nuevo.correo@proveedor.example"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ChangeEmailScreen))
        await wait_for(
            pilot,
            lambda: (
                suppliers.get_supplier(demo_ctx, session, target.id).email
                == "nuevo.correo@proveedor.example"
            ),
        )
        assert state_of(demo_ctx, session, target.id) == "queued"
        assert (
            OutboxMessage.select()
            .where(OutboxMessage.recipient == "nuevo.correo@proveedor.example")
            .exists()
        )


async def test_cancel_then_resend(demo_app: AppFactory, demo_ctx: ServiceContext) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await open_suppliers(pilot)
        session = session_of(app)
        target = next(r for r in with_state(demo_ctx, session, "not_invited") if r.email)
        await select(pilot, panel, target.id)
        await pilot.press("i")
        await confirm(pilot)
        await wait_for(pilot, lambda: state_of(demo_ctx, session, target.id) == "queued")

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # a hurried Enter keeps the invitation
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await settle(pilot)
        assert state_of(demo_ctx, session, target.id) == "queued"

        await pilot.press("x")
        await confirm(pilot)
        await wait_for(pilot, lambda: state_of(demo_ctx, session, target.id) == "cancelled")
        assert any("cancelled" in m for m in notices(app))

        await pilot.press("R")
        await wait_for(pilot, lambda: state_of(demo_ctx, session, target.id) == "queued")
        assert any("new invitation" in m for m in notices(app))
