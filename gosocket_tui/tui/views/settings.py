"""Settings (Configuración): the company's reminders, personal note and reply-to, for
administrators.

The form reads ``services.company_settings`` when the view is shown; Save sends every field to
``update_settings``, which checks them all (the view checks nothing itself) and answers with one
clear message for the first bad value, shown under the form with the field marked. The preview
under the buttons is the invitation email exactly as it will be sent, built by the deliverer's
own composer (``services.delivery.preview``) from the values in the form, saved or not: its
headers and its text part, shown as literal text (the note is never markup).

The view scrolls as one column, so at 80x24 the form comes first and the preview follows.
The sidebar lists Settings only for administrators; the services refuse anyone else anyway,
and this view then shows that sentence instead of the form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.events import Show
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from gosocket_tui.errors import GosocketError, PermissionDenied, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services import company_settings
from gosocket_tui.services.company_settings import CompanySettingsInfo
from gosocket_tui.services.delivery import preview
from gosocket_tui.services.supplier_language import default_language, language_choices
from gosocket_tui.tui.safe import content
from gosocket_tui.tui.views.base import View
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext
    from gosocket_tui.services.session import Session

FIELD_IDS = {
    "reminders_enabled": "settings-reminders",
    "reminder_days": "settings-days",
    "note": "settings-note",
    "reply_to": "settings-reply-to",
}


class SettingsView(View):
    """The acting company's invitation settings and a preview of the email."""

    def __init__(self, ctx: ServiceContext, session: Session, *, id: str | None = None) -> None:
        super().__init__(ctx, session, id=id)
        self._loaded = False

    def compose(self) -> ComposeResult:
        lifetime = self.ctx.config.activation_code_lifetime_hours / 24
        with Horizontal(classes="view-title"):
            yield Static(_("Settings"), classes="view-heading")
        yield Static(
            content(_("Only administrators can see or change the company settings.")),
            id="settings-refused",
            classes="view-notice view-refused",
        )
        with VerticalScroll(id="settings-body"):
            yield Checkbox(
                _("Send reminders to invited suppliers"), id="settings-reminders", compact=True
            )
            yield Label(_("Reminder days after the invitation"), classes="settings-label")
            yield Input(id="settings-days", compact=True, max_length=40, placeholder="2,5")
            yield Static(
                content(
                    _(
                        "At most {count}, increasing, before the code expires ({days} days).",
                        count=company_settings.MAX_REMINDERS,
                        days=f"{lifetime:g}",
                    )
                ),
                classes="settings-hint",
            )
            yield Label(_("Personal note in the invitation"), classes="settings-label")
            yield TextArea(
                id="settings-note", soft_wrap=True, show_line_numbers=False, compact=True
            )
            yield Static(
                content(
                    _(
                        "Plain text, up to {chars} characters and {lines} lines.",
                        chars=company_settings.NOTE_MAX_CHARS,
                        lines=company_settings.NOTE_MAX_LINES,
                    )
                ),
                classes="settings-hint",
            )
            yield Label(_("Reply-to address"), classes="settings-label")
            yield Input(
                id="settings-reply-to",
                compact=True,
                max_length=company_settings.REPLY_TO_MAX_CHARS,
                placeholder=_("replies go to the sender"),
            )
            yield Static(id="settings-message")
            with Horizontal(id="settings-buttons"):
                yield Button(_("Save"), id="settings-save", compact=True, variant="primary")
                yield Button(_("Preview"), id="settings-preview-button", compact=True)
            yield Label(_("The invitation email as it will be sent"), classes="settings-label")
            yield Select(
                language_choices(),
                value=default_language(self.session.company_country),
                allow_blank=False,
                compact=True,
                id="settings-preview-language",
            )
            yield Static(id="settings-preview")

    def on_mount(self) -> None:
        self.set_class(not self.session.is_admin, "-refused")

    def focus_content(self) -> bool:
        if self.has_class("-refused"):
            return False
        self.query_one("#settings-reminders", Checkbox).focus()
        return True

    # ------------------------------------------------------------------ loading

    def on_show(self, event: Show) -> None:
        if not self._loaded:
            self.load()

    def load(self) -> None:
        """Read the saved settings into the form, then preview them."""
        if not self.session.is_admin:
            self.set_class(True, "-refused")
            return
        ctx, session = self.ctx, self.session
        call_service(
            self,
            lambda: company_settings.get_settings(ctx, session),
            self._fill,
            self._failed,
            group="settings-load",
        )

    def _fill(self, info: CompanySettingsInfo) -> None:
        self._loaded = True
        self.query_one("#settings-reminders", Checkbox).value = info.reminders_enabled
        self.query_one("#settings-days", Input).value = info.reminder_days_text
        self.query_one("#settings-note", TextArea).text = info.note
        self.query_one("#settings-reply-to", Input).value = info.reply_to
        self.show_preview()

    def _failed(self, error: GosocketError) -> None:
        if isinstance(error, PermissionDenied):
            self.set_class(True, "-refused")
            return
        self._message(error.message, error=True)
        field = getattr(error, "field", None) if isinstance(error, ValidationError) else None
        for name, widget_id in FIELD_IDS.items():
            self.query_one(f"#{widget_id}").set_class(name == field, "-invalid")

    def _message(self, text: str, *, error: bool) -> None:
        message = self.query_one("#settings-message", Static)
        message.update(content(text))
        message.set_class(error, "-error")

    # ------------------------------------------------------------------ actions

    def _values(self) -> tuple[bool, str, str, str]:
        return (
            self.query_one("#settings-reminders", Checkbox).value,
            self.query_one("#settings-days", Input).value,
            self.query_one("#settings-note", TextArea).text,
            self.query_one("#settings-reply-to", Input).value,
        )

    @on(Button.Pressed, "#settings-save")
    def save(self) -> None:
        """Send every field to the service; it checks them all and saves all or nothing."""
        enabled, days, note, reply_to = self._values()
        ctx, session = self.ctx, self.session
        call_service(
            self,
            lambda: company_settings.update_settings(
                ctx,
                session,
                reminders_enabled=enabled,
                reminder_days=days,
                note=note,
                reply_to=reply_to,
            ),
            self._saved,
            self._failed,
            group="settings-save",
        )

    def _saved(self, info: CompanySettingsInfo) -> None:
        for widget_id in FIELD_IDS.values():
            self.query_one(f"#{widget_id}").remove_class("-invalid")
        self._fill(info)
        self._message(_("Settings saved."), error=False)

    @on(Button.Pressed, "#settings-preview-button")
    @on(Select.Changed, "#settings-preview-language")
    def show_preview(self) -> None:
        """Build the email from the form's note and reply-to (saved or not), in the supplier
        language chosen (each supplier reads its own; the company's country's by default)."""
        _enabled, _days, note, reply_to = self._values()
        chosen = self.query_one("#settings-preview-language", Select).value
        language = chosen if isinstance(chosen, str) else None
        ctx, session = self.ctx, self.session
        call_service(
            self,
            lambda: preview.preview_invitation(
                ctx, session, note=note, reply_to=reply_to, language=language
            ),
            self._previewed,
            self._failed,
            group="settings-preview",
        )

    def _previewed(self, email: preview.EmailPreview) -> None:
        lines = [f"{name}: {value}" for name, value in email.headers]
        text = "\n".join([*lines, "", email.text.rstrip("\n")])
        self.query_one("#settings-preview", Static).update(content(text, keep_newlines=True))
