"""The Tax ID and Name filters with a Search button: one row shared by the Suppliers and the
Clients tabs.

The bar only reports edits. It posts :class:`FilterBar.Changed` once typing pauses
(``SEARCH_DELAY``), or at once on Enter or Search; the panel that owns the query decides what
the table shows, and writes the fields back with :meth:`FilterBar.show` when its query changed
another way (a supplier shown that the filters hid).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, Label

from gosocket_tui.i18n import _

SEARCH_DELAY = 0.3  # seconds of no typing before the filters apply by themselves


class FilterBar(Horizontal):
    """``Tax ID [____] Search  Name [________]``; the fields' ids start with ``prefix``."""

    class Changed(Message):
        """The filters were edited: ``explicit`` when by Enter or Search (else typing paused)."""

        def __init__(self, bar: FilterBar, tax_id: str, name: str, *, explicit: bool) -> None:
            super().__init__()
            self.bar = bar
            self.tax_id = tax_id
            self.name = name
            self.explicit = explicit

        @property
        def control(self) -> FilterBar:
            return self.bar

    def __init__(self, prefix: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="filter-row")
        self.prefix = prefix
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Label(_("Tax ID"))
        yield Input(id=f"{self.prefix}-tax-id", max_length=40, compact=True)
        yield Button(_("Search"), id=f"{self.prefix}-search", compact=True)
        yield Label(_("Name"))
        yield Input(id=f"{self.prefix}-name", max_length=100, compact=True)

    def on_mount(self) -> None:
        # Tab goes from the Tax ID filter straight to the name filter ("7608⇥Sur" typed
        # ahead fills both); Enter searches, the button is there for the mouse.
        self.query_one(Button).can_focus = False

    @property
    def tax_id_input(self) -> Input:
        return self.query_one(f"#{self.prefix}-tax-id", Input)

    @property
    def name_input(self) -> Input:
        return self.query_one(f"#{self.prefix}-name", Input)

    def show(self, tax_id: str, name: str) -> None:
        """Put these values in the fields (the owner's query changed by other means)."""
        self.tax_id_input.value = tax_id
        self.name_input.value = name

    def _report(self, *, explicit: bool) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        tax_id, name = self.tax_id_input.value.strip(), self.name_input.value.strip()
        self.post_message(self.Changed(self, tax_id, name, explicit=explicit))

    @on(Input.Submitted)
    @on(Button.Pressed)
    def _search_now(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self._report(explicit=True)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(
            SEARCH_DELAY, lambda: self._report(explicit=False), name=f"{self.prefix}-search"
        )
