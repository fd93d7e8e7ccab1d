"""The guided tour's panel, and the keys and widgets its steps point at.

A four-line strip docked at the bottom of each full screen, above the footer: the step's
title and number, what to do, and the tour's own keys. It takes its room from the screen
(a docked widget shrinks what is beside it), so it never covers what it points at; the
hide key gives that room back. Modal dialogs get no panel: the one under them stays in sight.

The keys named in a step are looked up in the bindings where they are bound
(:data:`KEY_SOURCES`), never written in the text, so the step follows the key map. The
widget a step is about gets the ``-tour-target`` class until the step moves on.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from gosocket_tui.i18n import _
from gosocket_tui.tui.safe import content
from gosocket_tui.tui.screens.shell import ShellScreen
from gosocket_tui.tui.tour import KeyName, Tour
from gosocket_tui.tui.views.suppliers_panel import SuppliersPanel
from gosocket_tui.tui.widgets.supplier_table import SupplierTable

if TYPE_CHECKING:
    from textual.dom import DOMNode

TARGET_CLASS = "-tour-target"
MARKS = {"done": "✓", "skipped": "–", "todo": "·"}
# Where each key a step names is bound: (the class whose BINDINGS hold it, its action).
KEY_SOURCES: dict[KeyName, tuple[type[DOMNode], str]] = {
    "network": (ShellScreen, "show('network')"),
    "mailbox": (ShellScreen, "show('mailbox')"),
    "logout": (ShellScreen, "app.logout"),
    "search": (SuppliersPanel, "focus_search"),
    "table": (SuppliersPanel, "focus_table"),
    "add_supplier": (SuppliersPanel, "add_supplier"),
    "bulk": (SuppliersPanel, "bulk_import"),
    "invite": (SupplierTable, "row_action('invite')"),
}
# The tour's own keys, bound on the app, in the order the panel lists them.
CONTROLS = (
    ("tour_back", "Back"),
    ("tour_skip", "Skip"),
    ("tour_restart", "Restart"),
    ("tour", "Hide"),
)


def key_for(app: App[Any], owner: type[DOMNode], action: str) -> str:
    """How the footer shows the (first) key bound to ``action`` in ``owner``'s bindings."""
    for binding in owner.BINDINGS:
        if isinstance(binding, Binding) and binding.action == action:
            first = binding.key.split(",")[0].strip()
            return app.get_key_display(dataclasses.replace(binding, key=first))
    raise LookupError(f"{owner.__name__} binds no key to {action}")


def step_keys(app: App[Any]) -> dict[str, str]:
    keys: dict[str, str] = {
        name: key_for(app, owner, action) for name, (owner, action) in KEY_SOURCES.items()
    }
    keys["palette"] = app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "command_palette"))
    return keys


class TourPanel(Vertical):
    """The current step of the tour; the app updates every panel when the tour moves."""

    DEFAULT_CSS = """
    TourPanel {
        dock: bottom;
        height: 4;
        margin-bottom: 1;
        padding: 0 1;
        border-top: solid $warning;
        border-title-color: $text;
        border-title-style: bold;
        background: $boost;
    }
    TourPanel #tour-says {
        height: 2;
    }
    TourPanel #tour-keys {
        height: 1;
        color: $text-muted;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="tour-says")
        yield Static(id="tour-keys")

    def show_tour(self, tour: Tour, keys: dict[str, str], controls: str) -> None:
        marks = "".join(MARKS[mark] for mark in tour.marks)
        step = tour.current
        if step is None:
            title = _("Guided tour {marks} complete", marks=marks)
            says = _(
                "Every step of the article is done. {restart} starts over with a fresh demo "
                "database.",
                restart=keys["tour_restart"],
            )
        else:
            title = _(
                "Guided tour {number}/{total} {marks} {title}",
                number=tour.index + 1,
                total=len(tour.steps),
                marks=marks,
                title=step.title(),
            )
            says = step.says(keys, tour.memory)
        self.border_title = content(title)
        self.query_one("#tour-says", Static).update(content(says))
        self.query_one("#tour-keys", Static).update(content(controls))


def show_tour(app: App[Any], tour: Tour | None, *, hidden: bool) -> None:
    """Put the tour on every full screen of the stack (a panel where missing), and the
    highlight on the current step's widget only."""
    keys = step_keys(app) if tour is not None else {}
    for name, _label in CONTROLS:
        keys[name] = key_for(app, type(app), name)
    controls = "  ".join(f"{keys[name]} {_(label)}" for name, label in CONTROLS)
    step = tour.current if tour is not None else None
    app.set_class(tour is not None and not hidden, "-tour-shown")
    for screen in app.screen_stack:
        for widget in screen.query(f".{TARGET_CLASS}"):
            widget.remove_class(TARGET_CLASS)
        if isinstance(screen, ModalScreen) or not screen.is_mounted:
            continue
        panels = list(screen.query(TourPanel))
        if tour is None:
            for panel in panels:
                panel.remove()
            continue
        if not panels:
            panel = TourPanel()
            screen.mount(panel)
            panels = [panel]
        for panel in panels:
            panel.display = not hidden
            if panel.is_mounted:
                panel.show_tour(tour, keys, controls)
            else:
                panel.call_after_refresh(panel.show_tour, tour, keys, controls)
        if step is not None and step.target and not hidden:
            for widget in screen.query(step.target):
                widget.add_class(TARGET_CLASS)
