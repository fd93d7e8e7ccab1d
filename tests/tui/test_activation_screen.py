"""Activate with activation code: the supplier's form, with a real database and a real code.

Each test invites a supplier and delivers the invitation to a real aiosmtpd sink on loopback,
reads the code from the email the sink received, and types everything the way a supplier
does: Enter opens a country list, letters find the country, Enter in a field moves on.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from gosocket_tui.db.models import AuditEvent, Company, User
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import auth, invitations, suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery import log as delivery_log
from gosocket_tui.services.session import Session
from gosocket_tui.tui.screens.activation import ActivationScreen
from gosocket_tui.tui.screens.activation_form import ActivationForm, check_form
from gosocket_tui.tui.screens.login import LoginScreen
from tests.conftest import PASSWORD
from tests.invitation_helpers import add_supplier, code_in, deliver
from tests.tui.flows import NEW_PASSWORD, SUPPLIER_NIT, fill_activation, open_activation
from tests.tui.helpers import SnapCompare, build_app, settle

SUPPLIER_NAME = "Cafés de Colombia SAS"


@pytest.fixture
def code(ctx: ServiceContext, admin: Session, sink: MailSink) -> str:
    """Ana (Comercial Andes SpA, CL 76.086.428-5) invited Cafés de Colombia: the mailed code."""
    link_id = add_supplier(ctx, admin, tax_id=SUPPLIER_NIT, name=SUPPLIER_NAME)
    invitations.invite(ctx, admin, [link_id])
    report = deliver(ctx, sink.port)
    assert report.sent == 1, report
    (message,) = sink.wait_for(1)
    return code_in(message)


# --- pilot helpers (the demo flow test uses them too) ---------------------------------------


def note(screen: ActivationScreen, input_id: str) -> str:
    widget = screen.query_one(f"#{input_id}-note", Static)
    return str(widget.render()) if widget.display else ""


def general_message(screen: ActivationScreen) -> str:
    widget = screen.query_one("#activation-message", Static)
    return str(widget.render()) if widget.display else ""


def registered(tax_compact: str = "8600073861") -> bool:
    company = Company.get(Company.tax_id == tax_compact)
    return company.registered_at is not None


# --- the form -------------------------------------------------------------------------------


async def test_countries_are_chosen_by_keyboard_and_the_hint_follows(ctx: ServiceContext) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        assert app.focused is screen.query_one("#act-country", Select)
        assert note(screen, "act-tax-id") == ""  # no country yet, nothing to explain
        await pilot.press("enter", *"Colombia", "enter")
        await pilot.pause()
        assert screen.query_one("#act-country", Select).value == "CO"
        hint = note(screen, "act-tax-id")
        assert hint.startswith("NIT: 9 digits without the check digit")
        await pilot.press("tab", "tab", "enter", *"Peru", "enter")
        await pilot.pause()
        assert screen.query_one("#act-inviter-country", Select).value == "PE"
        assert note(screen, "act-inviter-tax-id").startswith("RUC: 11 digits")


async def test_wrong_code_gets_the_one_generic_message(ctx: ServiceContext, code: str) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        wrong = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
        await fill_activation(pilot, code=wrong, typed=True)
        assert note(screen, "act-code") == "Invalid or expired activation code."
        assert app.focused is screen.query_one("#act-code", Input)
        assert general_message(screen) == ""
        assert isinstance(app.screen, ActivationScreen)
    assert not registered()
    assert User.get_or_none(User.username == "cafe.admin") is None


async def test_unknown_inviter_and_malformed_code_get_the_same_message(
    ctx: ServiceContext, code: str
) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        # A valid RUT of a company that is not in the network: nothing tells it apart.
        await fill_activation(pilot, code=code, inviter_tax_id="96.790.240-3")
        assert note(screen, "act-code") == "Invalid or expired activation code."
        screen.query_one("#act-inviter-tax-id", Input).value = "76.086.428-5"
        screen.query_one("#act-code", Input).value = "not a code"
        screen.submit()
        await settle(pilot)
        assert note(screen, "act-code") == "Invalid or expired activation code."
    assert not registered()


async def test_registered_company_is_not_named_to_a_guesser(
    ctx: ServiceContext, admin: Session
) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        # Comercial Andes is registered: a random code for it says what any refusal says.
        await fill_activation(pilot, country="CL", tax_id="76.086.428-5", code="ABCD-EFGH-JKMN")
        assert note(screen, "act-code") == "Invalid or expired activation code."
        assert general_message(screen) == ""
        assert "Andes" not in "".join(str(w.render()) for w in screen.query(Static))


async def test_password_mismatch_is_shown_inline_and_nothing_is_sent(
    ctx: ServiceContext, code: str
) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        await fill_activation(pilot, code=code, password_again=NEW_PASSWORD + "!")
        assert note(screen, "act-password-again") == "The passwords do not match."
        assert app.focused is screen.query_one("#act-password-again", Input)
        assert note(screen, "act-code") == ""
    activations = AuditEvent.select().where(AuditEvent.action == "supplier.activate")
    assert activations.count() == 0  # the service was never asked
    assert not registered()


async def test_keys_typed_ahead_land_in_the_right_fields(ctx: ServiceContext) -> None:
    """A burst of keys (a slow SSH link delivers them at once): Tab and Enter move the focus as
    they arrive, so nothing lands in the field just left."""
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        burst = ["tab", *"860007386", "enter", "tab", *"76086428-5", "enter", *"ABCD", "enter"]
        for key in burst:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        values = {i: screen.query_one(f"#{i}", Input).value for i in ("act-tax-id", "act-code")}
        assert values == {"act-tax-id": "860007386", "act-code": "ABCD"}
        assert screen.query_one("#act-inviter-tax-id", Input).value == "76086428-5"
        assert app.focused is screen.query_one("#act-username", Input)


async def test_unchosen_country_is_asked_for(ctx: ServiceContext) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        await fill_activation(pilot, country="", code="0000-0000-0000")
        assert note(screen, "act-tax-id") == "Choose your company's country."
        assert app.focused is screen.query_one("#act-country", Select)


async def test_bad_tax_id_is_explained_next_to_its_field(ctx: ServiceContext, code: str) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        await fill_activation(pilot, code=code, inviter_tax_id="76.086.428-4")
        message = note(screen, "act-inviter-tax-id")
        assert message.startswith("Invalid RUT for Chile: expected 7 or 8 digits"), message
        assert app.focused is screen.query_one("#act-inviter-tax-id", Input)
        assert "-error" in screen.query_one("#act-inviter-tax-id-note").classes


async def test_taken_username_is_shown_under_the_username(ctx: ServiceContext, code: str) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        await fill_activation(pilot, code=code, username="ana")
        assert note(screen, "act-username") != ""
        assert app.focused is screen.query_one("#act-username", Input)
    assert not registered()


async def test_nit_without_check_digit_activates_and_login_is_prefilled(
    ctx: ServiceContext, code: str, admin: Session
) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        # Gosocket asks for the NIT without its check digit; the code in lower case, no dashes.
        await fill_activation(pilot, tax_id="860007386", code=code.replace("-", "").lower())
        assert screen.has_class("-done")
        success = str(screen.query_one("#activation-success", Static).render())
        # The code is known now: the panel speaks the invitation's language (Colombia: es).
        assert success == (
            f"{SUPPLIER_NAME} ya está registrado en la red Gosocket. Inicie sesión como cafe.admin."
        )
        assert app.focused is screen.query_one("#activation-next", Button)
        assert all(not field.value for field in screen.query(Input) if field.password)
        await pilot.press("enter")
        await settle(pilot)
        login = app.screen
        assert isinstance(login, LoginScreen)
        assert login.query_one("#username", Input).value == "cafe.admin"
        assert app.focused is login.query_one("#password", Input)
        await pilot.press(*NEW_PASSWORD, "enter")
        await settle(pilot)
        assert app.session is not None and app.session.company_name == SUPPLIER_NAME
        assert app.session.is_admin
    assert registered()
    session = auth.authenticate(ctx, "ana", PASSWORD)
    (row,) = delivery_log.recent_deliveries(ctx, session)
    assert row.link_id is not None
    assert suppliers.get_supplier(ctx, session, row.link_id).state == "registered"


async def test_escape_after_success_also_prefills_the_login(ctx: ServiceContext, code: str) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activation(pilot)
        await fill_activation(pilot, code=code)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#username", Input).value == "cafe.admin"


async def test_f2_switches_the_form_to_spanish_keeping_the_countries(ctx: ServiceContext) -> None:
    app = build_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_activation(pilot)
        await pilot.press("enter", *"Colombia", "enter")
        await pilot.press("f2")
        await pilot.pause()
        assert screen.query_one("#activation-submit", Button).label.plain == "Activar"
        assert screen.query_one("#act-country", Select).value == "CO"
        assert note(screen, "act-tax-id").startswith("NIT: 9 dígitos")


def test_check_form_only_checks_what_the_service_cannot() -> None:
    form = ActivationForm("CO", "x", "CL", "y", "z", "u", "secret one", "secret one")
    assert check_form(form) == {}
    errors = check_form(dataclasses.replace(form, supplier_country="", password_again="other"))
    assert set(errors) == {"country", "password_again"}


# --- pictures -------------------------------------------------------------------------------

LANGS = pytest.mark.parametrize("lang", ["en", "es"])


@LANGS
def test_snapshot_empty(snap_compare: SnapCompare, ctx: ServiceContext, lang: str) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        pilot.app.action_activate()  # type: ignore[attr-defined]
        await settle(pilot)

    assert snap_compare(build_app(ctx, lang=lang), terminal_size=(80, 24), run_before=run_before)


@LANGS
def test_snapshot_wrong_code(
    snap_compare: SnapCompare, ctx: ServiceContext, code: str, lang: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_activation(pilot)
        await fill_activation(pilot, code="0000-0000-0000")

    assert code != "0000-0000-0000"
    assert snap_compare(build_app(ctx, lang=lang), terminal_size=(80, 24), run_before=run_before)


@LANGS
def test_snapshot_success(
    snap_compare: SnapCompare, ctx: ServiceContext, code: str, lang: str
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_activation(pilot)
        await fill_activation(pilot, code=code)

    assert snap_compare(build_app(ctx, lang=lang), terminal_size=(80, 24), run_before=run_before)
