"""Activate with activation code (Activar con código de activación): the supplier's side.

The invited supplier gives its own country and Tax ID, the inviting company's country and Tax
ID and the code from the invitation email, then chooses its username and password (typed
twice). ``services.activation.activate`` runs in a thread worker (it hashes the password and
writes the registration in one transaction, ``tui.workers.call_service``), and then:

- any problem with the code (wrong, expired, used, superseded, blocked, unknown company) is the
  service's one generic sentence, shown under the code field: the form tells a guesser nothing;
- a ``ValidationError`` naming a field is shown under that field (a Tax ID in the wrong form,
  a username or password that breaks a rule), a taken username under the username;
- success replaces the form with a panel naming the registered company and the new username;
  Enter (or Escape) goes back to the login screen with that username filled in.

Over SSH (``ssh activate@host``, :class:`KeyActivation`) the screen is the whole app: the key
the supplier connected with becomes the new user's login (in the activation's transaction),
the success panel shows the ``ssh`` line to connect with next time, and leaving the screen
(Escape, Quit, Close, Ctrl+Q) ends the session.

Language: the screen speaks the supplier's language, es, pt or en, which is not always the
administrator interface's (that one has no Portuguese). It opens in the app's language; F2
cycles Spanish → Portuguese → English → Spanish before the code is known; once an activation
succeeds, the invitation's language (the one its emails were written in) takes over. The
screen's texts, its footer and the service's messages (computed in the worker under
``i18n.speaking``) are in that language; the app's own language does not change.

Colombia: the NIT may be typed without its check digit (the service computes it); the hint
under each Tax ID field says what is expected for the chosen country. Keyboard only: Enter
moves to the next field and submits from the last one, Escape goes back. The form scrolls
(``VerticalScroll``) so it works from 80x24 up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from gosocket_tui.errors import Duplicate, GosocketError, ValidationError
from gosocket_tui.i18n import SUPPLIER_LANGUAGES, _, get_language, speaking
from gosocket_tui.services.taxid import country_choices
from gosocket_tui.tui.host import Happened
from gosocket_tui.tui.safe import plain, text
from gosocket_tui.tui.screens.activation_form import (
    FIELD_INPUTS,
    ActivationForm,
    check_form,
    tax_id_hint,
)
from gosocket_tui.tui.tour import Seen
from gosocket_tui.tui.typeahead import next_on_enter
from gosocket_tui.tui.widgets.footer import KeyFooter
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.activation import ActivationResult
    from gosocket_tui.services.context import ServiceContext

CODE_PLACEHOLDER = "XXXX-XXXX-XXXX"

# Input → the widget to focus when its note shows an error (a missing country: the Select).
_TAX_ID_SELECT = {"act-tax-id": "act-country", "act-inviter-tax-id": "act-inviter-country"}
_INPUT_ORDER = (
    "act-tax-id",
    "act-inviter-tax-id",
    "act-code",
    "act-username",
    "act-password",
    "act-password-again",
)
_LAST_INPUT = "act-password-again"
# Codes an activation over SSH may try before its session ends: with the sessions an address
# may start in a window (``ssh/limits.py``), this bounds the tries per address.
CODE_TRIES_PER_SSH_SESSION = 3


@dataclass(frozen=True)
class KeyActivation:
    """An activation over SSH: the key the supplier proved it holds, and where it connected."""

    public_key: str  # its OpenSSH line
    fingerprint: str
    #: The server's address and port as the client reached them, when known.
    server_address: tuple[str, int] | None = None


def connect_line(username: str, server_address: tuple[str, int] | None) -> str:
    """``ssh -p 2222 cafe.admin@192.0.2.10``: how to connect next time (22 needs no -p)."""
    if server_address is None:
        return f"ssh -p {_('PORT')} {username}@{_('HOST')}"
    host, port = server_address
    return f"ssh {username}@{host}" if port == 22 else f"ssh -p {port} {username}@{host}"


class ActivationScreen(Screen[str | None]):
    """Where an invited supplier registers with its activation code.

    Dismissed with the new username after a successful activation, else with None.
    """

    CSS_PATH = "activation.tcss"
    AUTO_FOCUS = "#act-country"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("f2", "next_language", "Language"),
    ]

    def __init__(self, ctx: ServiceContext, *, over_ssh: KeyActivation | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.over_ssh = over_ssh
        self._busy = False
        self.result: ActivationResult | None = None
        #: The language of this screen (a supplier language), read by its footer.
        self.screen_language = get_language()

    def action_next_language(self) -> None:
        """F2: the next supplier language (es → pt → en → es)."""
        order = SUPPLIER_LANGUAGES
        current = self.screen_language
        index = order.index(current) if current in order else -1
        self.screen_language = order[(index + 1) % len(order)]
        self.relabel()

    # ----------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Static(id="brand", classes="brand")
        # Not focusable itself: Tab goes field to field and it scrolls to the focused one.
        with (
            VerticalScroll(id="activation-body", can_focus=False),
            Vertical(id="activation-panel"),
        ):
            with Vertical(id="activation-form"):
                yield Static(id="activation-text")
                with Vertical(id="activation-fields"):
                    yield Static(id="act-company-section", classes="section")
                    yield self._row("act-country", self._country_select("act-country"))
                    yield self._row(
                        "act-tax-id", Input(id="act-tax-id", max_length=64, compact=True)
                    )
                    yield self._note("act-tax-id")
                    yield Static(id="act-inviter-section", classes="section")
                    yield self._row(
                        "act-inviter-country", self._country_select("act-inviter-country")
                    )
                    yield self._row(
                        "act-inviter-tax-id",
                        Input(id="act-inviter-tax-id", max_length=64, compact=True),
                    )
                    yield self._note("act-inviter-tax-id")
                    yield self._row(
                        "act-code",
                        Input(
                            id="act-code", placeholder=CODE_PLACEHOLDER, max_length=64, compact=True
                        ),
                    )
                    yield self._note("act-code")
                    yield Static(id="act-user-section", classes="section")
                    yield self._row(
                        "act-username", Input(id="act-username", max_length=64, compact=True)
                    )
                    yield self._note("act-username")
                    yield self._row(
                        "act-password",
                        Input(id="act-password", password=True, max_length=256, compact=True),
                    )
                    yield self._note("act-password")
                    yield self._row(
                        "act-password-again",
                        Input(id="act-password-again", password=True, max_length=256, compact=True),
                    )
                    yield self._note("act-password-again")
                yield Static(id="activation-message")
                with Horizontal(id="activation-buttons"):
                    yield Button(id="activation-submit", variant="primary", compact=True)
                    yield Button(id="activation-cancel", compact=True)
            with Vertical(id="activation-done"):
                yield Static(id="activation-success")
                yield Static(id="activation-connect")
                yield Button(id="activation-next", variant="primary", compact=True)
        yield KeyFooter()

    @staticmethod
    def _country_select(widget_id: str) -> Select[str]:
        return Select[str](country_choices(), id=widget_id, compact=True, prompt="")

    @staticmethod
    def _row(widget_id: str, field: Widget) -> Horizontal:
        """A label and its field on one line."""
        return Horizontal(Label(id=f"{widget_id}-label"), field, classes="row")

    @staticmethod
    def _note(input_id: str) -> Static:
        """The line under a field: a hint, or the field's error (hidden while empty)."""
        return Static(id=f"{input_id}-note", classes="note -hidden")

    def on_mount(self) -> None:
        # Enter in a text field moves on (keys typed ahead); in the last one it activates.
        next_on_enter(*(self.query_one(f"#{name}", Input) for name in _INPUT_ORDER[:-1]))
        self.set_class(self.over_ssh is not None, "-ssh")
        self.relabel()

    def relabel(self) -> None:
        """Every label in the screen's language (after F2); errors in the old one are cleared."""
        with speaking(self.screen_language):
            self._relabel()
        self.refresh_bindings()

    def _relabel(self) -> None:
        self.query_one("#brand", Static).update(_("Gosocket — Suppliers"))
        self.query_one("#activation-panel").border_title = _("Activate with activation code")
        intro = _(
            "Enter the Tax IDs and the activation code from the invitation email, then "
            "choose your username and password."
        )
        if self.over_ssh is not None:
            intro += " " + _(
                "The SSH key you connected with ({fingerprint}) will log you in from then on.",
                fingerprint=self.over_ssh.fingerprint,
            )
        self.query_one("#activation-text", Static).update(text(intro))
        sections = {
            "act-company-section": _("Your company"),
            "act-inviter-section": _("Company that invited you"),
            "act-user-section": _("Your user"),
        }
        for widget_id, label in sections.items():
            self.query_one(f"#{widget_id}", Static).update(label)
        labels = {
            "act-country-label": _("Country"),
            "act-tax-id-label": _("Tax ID"),
            "act-inviter-country-label": _("Country"),
            "act-inviter-tax-id-label": _("Tax ID"),
            "act-code-label": _("Activation code"),
            "act-username-label": _("Username"),
            "act-password-label": _("Password"),
            "act-password-again-label": _("Password again"),
        }
        for widget_id, label in labels.items():
            self.query_one(f"#{widget_id}", Label).update(label)
        for select in self.query(Select):
            value = select.value
            select.set_options(country_choices())
            select.prompt = _("Choose a country")
            if isinstance(value, str):
                select.value = value
        self.query_one("#activation-submit", Button).label = _("Activate")
        over_ssh = self.over_ssh is not None
        self.query_one("#activation-cancel", Button).label = _("Quit") if over_ssh else _("Back")
        self.query_one("#activation-next", Button).label = (
            _("Close") if over_ssh else _("Go to log in")
        )
        for button in self.query(Button):
            button.refresh(layout=True)  # a longer label needs a wider button
        for input_id in _INPUT_ORDER:
            self._show_hint(input_id)
        if not self._busy:
            self.show_message("")
        self._show_success()

    # ---------------------------------------------------------------------- values

    def _select_value(self, widget_id: str) -> str:
        value = self.query_one(f"#{widget_id}", Select).value
        return value if isinstance(value, str) else ""

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def read_form(self) -> ActivationForm:
        return ActivationForm(
            supplier_country=self._select_value("act-country"),
            supplier_tax_id=self._value("act-tax-id"),
            inviter_country=self._select_value("act-inviter-country"),
            inviter_tax_id=self._value("act-inviter-tax-id"),
            code=self._value("act-code"),
            username=self._value("act-username"),
            password=self._value("act-password"),
            password_again=self._value("act-password-again"),
        )

    # ---------------------------------------------------------------------- notes

    def _hint(self, input_id: str) -> str:
        select_id = _TAX_ID_SELECT.get(input_id)
        if select_id is None:
            return ""
        country = self._select_value(select_id)
        return tax_id_hint(country) if country else ""

    def _set_note(self, input_id: str, message: str, kind: str) -> None:
        note = self.query_one(f"#{input_id}-note", Static)
        note.update(text(message))
        note.set_class(kind == "error", "-error")
        note.set_class(not message, "-hidden")
        self.query_one(f"#{input_id}", Input).set_class(kind == "error" and bool(message), "-bad")

    def _show_hint(self, input_id: str) -> None:
        self._set_note(input_id, self._hint(input_id), "hint")

    def show_field_error(self, field: str, message: str) -> Widget:
        """Show ``message`` under ``field``'s input; returns the widget to focus.

        A field the form does not have: the message goes above the buttons."""
        input_id = FIELD_INPUTS.get(field)
        if input_id is None:
            self.show_message(message)
            return self.query_one("#activation-submit", Button)
        self._set_note(input_id, message, "error")
        if field in ("country", "inviter_country"):
            return self.query_one(f"#{_TAX_ID_SELECT[input_id]}", Select)
        return self.query_one(f"#{input_id}", Input)

    def clear_errors(self) -> None:
        for input_id in _INPUT_ORDER:
            self._show_hint(input_id)
        self.show_message("")

    def show_message(self, message: str, kind: str = "error") -> None:
        widget = self.query_one("#activation-message", Static)
        widget.update(text(message))
        widget.set_classes(f"-{kind}" if message else "")

    @on(Select.Changed)
    def _country_changed(self, event: Select.Changed) -> None:
        for input_id, select_id in _TAX_ID_SELECT.items():
            if event.select.id == select_id:
                with speaking(self.screen_language):
                    self._show_hint(input_id)

    # ---------------------------------------------------------------------- keys

    @property
    def _done(self) -> bool:
        return self.result is not None

    @on(Button.Pressed, "#activation-cancel")
    @on(Button.Pressed, "#activation-next")
    def action_back(self) -> None:
        """Back to the login screen (with the new username after a success); over SSH the
        screen is the whole session, so leaving it ends the session."""
        if self.over_ssh is not None:
            self.app.exit()
            return
        self.dismiss(self.result.username if self.result is not None else None)

    # ---------------------------------------------------------------------- submit

    @on(Input.Submitted, f"#{_LAST_INPUT}")
    @on(Button.Pressed, "#activation-submit")
    def submit(self) -> None:
        """Check the form, then ask the service in a worker."""
        if self._busy or self._done:
            return
        with speaking(self.screen_language):
            self._submit()

    def _submit(self) -> None:
        self.clear_errors()
        form = self.read_form()
        errors = check_form(form)
        if errors:
            first: Widget | None = None
            for field, message in errors.items():
                widget = self.show_field_error(field, message)
                first = first or widget
            if first is not None:
                self.set_focus(first)
            return
        self._busy = True
        self.show_message(_("Activating…"), "info")
        self._activate(form)

    def _activate(self, form: ActivationForm) -> None:
        # Imported here: the screen opens before the activation service is loaded.
        from gosocket_tui.services.activation import activate

        ctx = self.ctx
        ssh_public_key = self.over_ssh.public_key if self.over_ssh is not None else None
        lang = self.screen_language

        def call() -> ActivationResult:
            # The service's messages in the screen's language, in this worker thread only.
            with speaking(lang):
                return activate(
                    ctx,
                    supplier_country=form.supplier_country,
                    supplier_tax_id=form.supplier_tax_id,
                    inviter_country=form.inviter_country,
                    inviter_tax_id=form.inviter_tax_id,
                    code=form.code,
                    username=form.username,
                    password=form.password,
                    ssh_public_key=ssh_public_key,
                )

        call_service(self, call, self._activated, self._refused, group="activation")

    def _refused(self, error: GosocketError) -> None:
        field: str | None = None
        if isinstance(error, ValidationError):
            field = error.field
        elif isinstance(error, Duplicate):
            field = "username"
        self._busy = False
        self.show_message("")
        if field is None:
            self.show_message(error.message)
            return
        self.set_focus(self.show_field_error(field, error.message))

    def _activated(self, result: ActivationResult) -> None:
        self._busy = False
        self.result = result
        for field in self.query(Input):
            if field.password:
                field.value = ""  # not kept on screen any longer than needed
        self.add_class("-done")
        # The code is known now: the screen speaks the invitation's language from here on.
        self.screen_language = result.language
        self.relabel()
        self.post_message(Happened(Seen("activated", username=result.username)))
        self.set_focus(self.query_one("#activation-next", Button))

    def _show_success(self) -> None:
        result = self.result
        if result is None:
            return
        self.query_one("#activation-panel").border_title = _("Activation complete")
        line = Text(
            plain(
                _(
                    "{name} is now registered in the Gosocket network. Log in as {username}.",
                    name=result.company.name,
                    username=result.username,
                )
            )
        )
        self.query_one("#activation-success", Static).update(line)
        if self.over_ssh is not None:
            address = self.over_ssh.server_address
            how = _("Next time, connect with the same key:")
            if address is None:
                how = _(
                    "Next time, connect with the same key, to the server and port you used now:"
                )
            command = connect_line(result.username, address)
            self.query_one("#activation-connect", Static).update(
                Text(plain(how)) + Text("\n  ") + Text(plain(command), style="bold")
            )


class KeyActivationScreen(ActivationScreen):
    """The activation screen of ``ssh activate@host``: Escape ends the session, and the
    footer says so."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Quit")]

    def __init__(self, ctx: ServiceContext, key: KeyActivation) -> None:
        super().__init__(ctx, over_ssh=key)
        self._code_refusals = 0

    def _refused(self, error: GosocketError) -> None:
        """A refused code counts; after the last try the session ends, saying why."""
        super()._refused(error)
        if not isinstance(error, ValidationError) or error.field != "code":
            return
        self._code_refusals += 1
        if self._code_refusals >= CODE_TRIES_PER_SSH_SESSION:
            with speaking(self.screen_language):
                last = _("That was the last try of this session: connect again to try once more.")
            self.app.exit(message=Text(plain(f"{error.message} {last}")))
