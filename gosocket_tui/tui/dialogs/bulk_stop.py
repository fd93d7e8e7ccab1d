"""Stop a running check or import? Asked when Escape is pressed on the bulk screen.

Enter or Stop ends the dialog with True, Escape or Continue with False. The pass goes on while
the question is on screen (an import holds the write lock: other sessions must not wait on a
person's answer); the bulk screen holds back its outcome until the answer, so the dialog never
closes under a key press meant for it.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from gosocket_tui.i18n import _
from gosocket_tui.tui.dialogs.base import Dialog


class StopDialog(Dialog[bool]):
    """Stop the check (nothing was written) or the import (it is rolled back)?"""

    DEFAULT_CSS = """
    StopDialog {
        & > .dialog {
            max-width: 64;
        }
        #stop-text {
            height: auto;
        }
    }
    """
    FRAME_ID = "stop-dialog"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "go_on", "Continue"),
        Binding("enter", "stop", "Stop", show=False),
    ]

    def __init__(self, phase: Literal["checking", "importing"]) -> None:
        super().__init__()
        self.phase = phase

    def compose_body(self) -> ComposeResult:
        if self.phase == "checking":
            text = _("The check stops; nothing has been written. You can process the rows again.")
        else:
            text = _(
                "The import stops and is undone: no supplier is written and no invitation is "
                "queued."
            )
        yield Static(text, id="stop-text", markup=False)
        with Horizontal(classes="dialog-buttons"):
            yield Button(_("Stop"), variant="error", compact=True, id="stop-yes")
            yield Button(_("Continue"), compact=True, id="stop-no")

    def on_mount(self) -> None:
        title = _("Stop the check?") if self.phase == "checking" else _("Stop the import?")
        self.query_one("#stop-dialog").border_title = title
        self.query_one("#stop-yes", Button).focus()

    @on(Button.Pressed, "#stop-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_stop()

    @on(Button.Pressed, "#stop-no")
    def _no(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_go_on()

    def action_stop(self) -> None:
        self.dismiss(True)

    def action_go_on(self) -> None:
        self.dismiss(False)
