"""Add Supplier (Agregar Proveedor): the form behind step 4 of the help article.

Country (the buyer's by default) and Tax ID come first; the Tax ID is checked as it is typed
and its display form shown under the field (or what the country's Tax ID looks like). Name and
email are required; description, address, city, province, phone, fax and groups are optional.
The Language select says what the supplier's mail is written in: it follows the country's
default (Brazil Portuguese, the rest of Latin America Spanish) until another one is chosen.
The form scrolls, so it fits 80x24 with every error shown.

Save checks what can be checked without the database (Tax ID, name, email) and shows every
problem next to its field; then ``services.suppliers.add_supplier`` runs in a thread worker.
The dialog ends with an :class:`AddSupplierResult`: ``added`` (the new supplier) or
``duplicate`` (the supplier already in the list, so the table can jump to it); None when
cancelled (Escape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from gosocket_tui.errors import Duplicate, GosocketError, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services.companies import clean_name
from gosocket_tui.services.supplier_language import default_language, language_choices
from gosocket_tui.services.suppliers import (
    SupplierDetail,
    SupplierInput,
    add_supplier,
    normalize_email,
)
from gosocket_tui.services.taxid import country_choices, expected_form, parse_tax_id
from gosocket_tui.tui.dialogs.base import Dialog
from gosocket_tui.tui.host import host
from gosocket_tui.tui.safe import content
from gosocket_tui.tui.typeahead import next_on_enter
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

# (field id as the services name it, English label, required)
FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("tax_id", "Tax ID", True),
    ("name", "Name", True),
    ("email", "Email", True),
    ("description", "Description", False),
    ("address", "Address", False),
    ("city", "City", False),
    ("province", "Province", False),
    ("phone", "Phone", False),
    ("fax", "Fax", False),
    ("groups", "Groups", False),
)
MAX_LENGTHS = {"tax_id": 40, "name": 200, "email": 254, "groups": 300}


@dataclass(frozen=True)
class AddSupplierResult:
    """How the dialog ended: ``added`` or ``duplicate``, the supplier's link id, a message."""

    kind: Literal["added", "duplicate"]
    link_id: int
    message: str
    detail: SupplierDetail | None = None


class AddSupplierScreen(Dialog[AddSupplierResult | None]):
    """The Add Supplier form (administrators; the service refuses anyone else anyway)."""

    CSS_PATH = "add_supplier.tcss"
    FRAME_ID = "add-dialog"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(
        self, ctx: ServiceContext, session: Session, *, tax_id: str = "", country: str = ""
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.session = session
        self._tax_id = tax_id
        self._country = country or session.company_country
        self._shown_country = self._country
        self._saving = False
        self._strict = False  # after a Save: show Tax ID problems as errors, not hints

    def compose_body(self) -> ComposeResult:
        yield Static(id="add-general")
        with VerticalScroll(id="add-form"):
            with Horizontal(classes="field", id="field-country"):
                yield Label(_("Country") + " *", classes="field-label")
                with Vertical(classes="field-body"):
                    yield Select(
                        country_choices(),
                        value=self._country,
                        allow_blank=False,
                        compact=True,
                        id="add-country",
                    )
                    yield Static(classes="field-note", id="note-country")
            with Horizontal(classes="field", id="field-language"):
                yield Label(_("Language"), classes="field-label")
                with Vertical(classes="field-body"):
                    yield Select(
                        language_choices(),
                        value=default_language(self._country),
                        allow_blank=False,
                        compact=True,
                        id="add-language",
                        tooltip=_("The language of the invitation and the activation screen"),
                    )
                    yield Static(classes="field-note", id="note-language")
            for name, label, required in FIELDS:
                with Horizontal(classes="field", id=f"field-{name}"):
                    yield Label(_(label) + (" *" if required else ""), classes="field-label")
                    with Vertical(classes="field-body"):
                        yield Input(
                            value=self._tax_id if name == "tax_id" else "",
                            placeholder=self._placeholder(name),
                            max_length=MAX_LENGTHS.get(name, 300),
                            compact=True,
                            id=f"add-{name}",
                        )
                        yield Static(classes="field-note", id=f"note-{name}")
        yield Static(_("* required"), id="add-required")
        with Horizontal(classes="dialog-buttons", id="add-buttons"):
            yield Button(_("Save"), variant="primary", compact=True, id="add-save")
            yield Button(_("Cancel"), compact=True, id="add-cancel")

    def _placeholder(self, name: str) -> str:
        if name == "groups":
            return _("comma-separated, e.g. logistics, north")
        if name == "email":
            return _("where the invitation goes")
        return ""

    def on_mount(self) -> None:
        # Enter moves to the next field as the key arrives (keys typed ahead); the last saves.
        next_on_enter(*(self.query_one(f"#add-{name}", Input) for name, _l, _r in FIELDS[:-1]))
        self.query_one("#add-dialog").border_title = _("Add Supplier")
        self._check_tax_id()
        target = "#add-name" if self._tax_id else "#add-tax_id"
        self.query_one(target, Input).focus()

    # ---------------------------------------------------------------- live checks

    @property
    def country(self) -> str:
        value = self.query_one("#add-country", Select).value
        return value if isinstance(value, str) else self._country

    def _note(self, field: str, text: str, kind: str = "hint") -> None:
        note = self.query_one(f"#note-{field}", Static)
        note.update(content(text))
        note.set_classes(f"field-note -{kind} -shown" if text else "field-note")

    def _check_tax_id(self) -> bool:
        """Show the display form of a valid Tax ID, else what it should look like."""
        value = self.query_one("#add-tax_id", Input).value
        try:
            tax = parse_tax_id(self.country, value)
        except ValidationError as exc:
            if self._strict:
                self._note("tax_id", exc.message, "error")
            else:
                self._note("tax_id", _("Expected: {form}", form=expected_form(self.country)))
            return False
        text = "✓ " + tax.formatted
        if not tax.verifiable:
            text += "  " + _("(this country's Tax IDs cannot be verified)")
        self._note("tax_id", text, "ok")
        return True

    @on(Input.Changed, "#add-tax_id")
    def _tax_id_changed(self) -> None:
        self._check_tax_id()

    @property
    def language(self) -> str:
        value = self.query_one("#add-language", Select).value
        return value if isinstance(value, str) else ""

    @on(Select.Changed, "#add-country")
    def _country_changed(self) -> None:
        self._note("country", "")
        self._check_tax_id()
        # The language follows the country until the user picks one of its own.
        language = self.query_one("#add-language", Select)
        if language.value == default_language(self._shown_country):
            language.value = default_language(self.country)
        self._shown_country = self.country

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        field = (event.input.id or "").removeprefix("add-")
        if field and field != "tax_id":
            self._note(field, "")

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter on the last field saves (on the others it moves on: ``next_on_enter``)."""
        event.stop()
        if event.input.id == f"add-{FIELDS[-1][0]}":
            self.action_save()
        else:
            self.focus_next()

    # ----------------------------------------------------------------------- saving

    def _value(self, name: str) -> str:
        return self.query_one(f"#add-{name}", Input).value

    def _local_errors(self) -> dict[str, str]:
        """Problems found without the database, so they all show at once."""
        errors: dict[str, str] = {}
        checks = (
            ("tax_id", lambda: parse_tax_id(self.country, self._value("tax_id"))),
            ("name", lambda: clean_name(self._value("name"))),
            ("email", lambda: normalize_email(self._value("email"))),
        )
        for name, check in checks:
            try:
                check()
            except ValidationError as exc:
                errors[exc.field or name] = exc.message
        return errors

    def show_error(self, field: str | None, text: str) -> None:
        """Show ``text`` next to ``field`` (or above the form) and focus that field."""
        known = {"country", "language"} | {name for name, _label, _req in FIELDS}
        if field in known:
            self._note(field, text, "error")
            target = self.query_one(f"#add-{field}")
            target.focus()
            self.query_one("#add-form", VerticalScroll).scroll_to_widget(
                self.query_one(f"#field-{field}"), animate=False
            )
        else:
            general = self.query_one("#add-general", Static)
            general.update(content(text))
            general.add_class("-shown")

    def action_save(self) -> None:
        if self._saving:
            return
        self._strict = True
        self.query_one("#add-general", Static).remove_class("-shown")
        errors = self._local_errors()
        for name, _label, _req in FIELDS:
            if name not in errors and name != "tax_id":
                self._note(name, "")
        self._check_tax_id()
        if errors:
            first = next(name for name, _label, _req in FIELDS if name in errors)
            for name, text in errors.items():
                self._note(name, text, "error")
            self.show_error(first, errors[first])
            return
        data = SupplierInput(
            country=self.country,
            tax_id=self._value("tax_id"),
            name=self._value("name"),
            email=self._value("email"),
            description=self._value("description"),
            address=self._value("address"),
            city=self._value("city"),
            province=self._value("province"),
            phone=self._value("phone"),
            fax=self._value("fax"),
            groups=self._value("groups"),
            language=self.language,
        )
        self._saving = True
        self.query_one("#add-save", Button).disabled = True
        ctx, session = self.ctx, host(self).session or self.session
        call_service(
            self,
            lambda: add_supplier(ctx, session, data),
            self._saved,
            self._refused,
            group="add-supplier",
        )

    def _saved(self, detail: SupplierDetail) -> None:
        self._saving = False
        self.query_one("#add-save", Button).disabled = False
        text = _(
            "{name} ({tax_id}) was added to your suppliers.",
            name=detail.name,
            tax_id=detail.tax_id_formatted,
        )
        self.dismiss(AddSupplierResult("added", detail.id, text, detail))

    def _refused(self, error: GosocketError) -> None:
        self._saving = False
        self.query_one("#add-save", Button).disabled = False
        if isinstance(error, Duplicate) and error.existing_id is not None:
            self.dismiss(AddSupplierResult("duplicate", error.existing_id, error.message))
        elif isinstance(error, ValidationError):
            self.show_error(error.field, error.message)
        else:
            self.show_error(None, error.message)

    @on(Button.Pressed, "#add-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#add-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)
