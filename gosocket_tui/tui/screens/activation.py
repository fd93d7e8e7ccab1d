"""Activate with activation code (Activar con código de activación).

Placeholder screen: the activation flow (supplier's Tax ID, inviting company's Tax ID, code,
then a new username and password) replaces this body. It keeps the contract the login screen
relies on: ``ActivationScreen(ctx)`` is pushed on top of the login screen and Escape or Back
pops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from gosocket_tui.i18n import _
from gosocket_tui.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from gosocket_tui.services.context import ServiceContext


class ActivationScreen(Screen[None]):
    """Where an invited supplier enters its activation code."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]
    AUTO_FOCUS = "#activation-back"

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        yield Static(id="brand", classes="brand")
        with VerticalScroll(id="activation-body", can_focus=False), Vertical(id="activation-panel"):
            yield Static(id="activation-text")
            yield Button(id="activation-back", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.relabel()

    def relabel(self) -> None:
        self.query_one("#brand", Static).update(_("Gosocket — Suppliers"))
        self.query_one("#activation-panel").border_title = _("Activate with activation code")
        self.query_one("#activation-text", Static).update(
            _(
                "Invited by a company in the Gosocket network? Enter your company's Tax ID, "
                "the Tax ID of the company that invited you and the activation code from the "
                "invitation email, then choose your username and password."
            )
        )
        self.query_one("#activation-back", Button).label = _("Back")

    @on(Button.Pressed, "#activation-back")
    def action_back(self) -> None:
        self.dismiss()
