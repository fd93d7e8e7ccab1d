"""The invitation dialogs of the Suppliers tab: a confirmation and the change of email.

:class:`ConfirmScreen` asks before inviting or cancelling (Enter or Confirm: True; Escape or
Cancel: False). :class:`ChangeEmailScreen` shows the supplier's email prefilled; Enter or
Confirm ends it with the new address (checked here first, the service checks it again), Escape
with None. Both fit 80x24.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services.suppliers import normalize_email
from gosocket_tui.tui.dialogs.base import Dialog
from gosocket_tui.tui.safe import content, plain


class ConfirmScreen(Dialog[bool]):
    """Ask before an action (an invitation's, or removing an SSH key): a title, a few lines
    of text, Confirm or Cancel. A ``destructive`` action opens with the focus on Cancel, so a
    hurried Enter keeps what is there."""

    CSS_PATH = "invite.tcss"
    FRAME_ID = "confirm-dialog"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "confirm", "Confirm", show=False),
    ]

    def __init__(
        self,
        title: str,
        lines: Sequence[str],
        *,
        confirm_label: str = "",
        destructive: bool = False,
    ) -> None:
        super().__init__()
        self._destructive = destructive
        self._title = title
        self._lines = list(lines)
        self._confirm_label = confirm_label or _("Confirm")

    def compose_body(self) -> ComposeResult:
        yield Static(
            content("\n".join(plain(line) for line in self._lines), keep_newlines=True),
            classes="invite-text",
            id="confirm-text",
        )
        with Horizontal(classes="dialog-buttons"):
            yield Button(self._confirm_label, variant="primary", compact=True, id="confirm-ok")
            yield Button(_("Cancel"), compact=True, id="confirm-cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm-dialog").border_title = content(self._title)
        focused = "#confirm-cancel" if self._destructive else "#confirm-ok"
        self.query_one(focused, Button).focus()

    @on(Button.Pressed, "#confirm-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_confirm()

    @on(Button.Pressed, "#confirm-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ChangeEmailScreen(Dialog[str | None]):
    """Correct a supplier's email; the invitation is then sent again to it."""

    CSS_PATH = "invite.tcss"
    FRAME_ID = "email-dialog"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, name: str, email: str) -> None:
        super().__init__()
        self._supplier = name
        self._email = email

    def compose_body(self) -> ComposeResult:
        yield Static(
            content(
                _(
                    "New email for {name}; a new invitation is sent to it.",
                    name=self._supplier,
                )
            ),
            classes="invite-text",
        )
        yield Input(value=plain(self._email), max_length=254, compact=True, id="email-input")
        yield Static(classes="invite-error", id="email-error")
        with Horizontal(classes="dialog-buttons"):
            yield Button(_("Confirm"), variant="primary", compact=True, id="email-ok")
            yield Button(_("Cancel"), compact=True, id="email-cancel")

    def on_mount(self) -> None:
        self.query_one("#email-dialog").border_title = _("Change email")
        self.query_one("#email-input", Input).focus()

    @on(Input.Submitted, "#email-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    @on(Input.Changed, "#email-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#email-error", Static).remove_class("-shown")

    @on(Button.Pressed, "#email-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_confirm()

    @on(Button.Pressed, "#email-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_confirm(self) -> None:
        value = self.query_one("#email-input", Input).value
        try:
            cleaned = normalize_email(value)
        except ValidationError as exc:
            error = self.query_one("#email-error", Static)
            error.update(content(exc.message))
            error.add_class("-shown")
            self.query_one("#email-input", Input).focus()
            return
        self.dismiss(cleaned)

    def action_cancel(self) -> None:
        self.dismiss(None)
