"""A one-line tab strip: the labels of a view's tabs, the active one highlighted.

Lighter than Textual's ``TabbedContent`` (one widget instead of eight, no underline animation):
building the shell after a login is noticeably quicker with it, and it takes one line instead
of two. Left/Right (or Enter on the next tab) switch when it has the focus; a click on a label
switches too. It posts :class:`TabStrip.Changed`; the owner shows the matching content (a
``ContentSwitcher``).
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from gosocket_tui.i18n import _

GAP = 2


class TabStrip(Widget, can_focus=True):
    """Tabs as ``(id, English label)`` pairs; ``active`` is the shown tab's id."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous tab", show=False),
        Binding("right", "move(1)", "Next tab", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tab-strip--active", "tab-strip--inactive"}
    DEFAULT_CSS = """
    TabStrip {
        height: 1;
        width: 1fr;
        & > .tab-strip--active {
            background: $primary;
            color: $text;
            text-style: bold;
        }
        & > .tab-strip--inactive {
            color: $text-muted;
        }
        &:focus > .tab-strip--active {
            background: $accent;
            text-style: bold underline;
        }
    }
    """

    active: reactive[str] = reactive("")

    class Changed(Message):
        def __init__(self, strip: TabStrip, tab: str) -> None:
            super().__init__()
            self.strip = strip
            self.tab = tab

        @property
        def control(self) -> TabStrip:
            return self.strip

    def __init__(
        self, tabs: list[tuple[str, str]], *, active: str = "", id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.tabs = tabs
        self.set_reactive(TabStrip.active, active or tabs[0][0])

    def render(self) -> Text:
        line = Text(no_wrap=True, end="")
        for n, (tab, label) in enumerate(self.tabs):
            if n:
                line.append(" " * GAP)
            part = "tab-strip--active" if tab == self.active else "tab-strip--inactive"
            line.append(f" {_(label)} ", style=self.get_component_rich_style(part))
        return line

    def watch_active(self, old: str, new: str) -> None:
        if old != new:
            self.post_message(self.Changed(self, new))

    def action_move(self, step: int) -> None:
        ids = [tab for tab, _label in self.tabs]
        index = ids.index(self.active) if self.active in ids else 0
        self.active = ids[(index + step) % len(ids)]

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x = 0
        for tab, label in self.tabs:
            width = cell_len(_(label)) + 2
            if x <= offset.x < x + width:
                self.active = tab
                return
            x += width + GAP
