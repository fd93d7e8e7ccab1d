"""The footer with the current screen's keys, described in the current language."""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from gosocket_tui.i18n import _, get_language


class KeyFooter(Footer):
    """Textual's footer, with every binding description passed through ``_``.

    Bindings keep their English description (the catalog key) in ``BINDINGS``; this footer
    translates them when it is composed, so a language switch only needs
    ``screen.refresh_bindings()``.

    Textual rebuilds the footer's keys on every bindings update (each focus move, each
    ``refresh_bindings``); opening the shell sent several in a row that changed nothing. The
    footer is rebuilt only when what it shows (keys, labels, enabled state, language) changed.
    """

    _shown: Hashable = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = _what_is_shown(screen)
            if self._bindings_ready and shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget


def _what_is_shown(screen: Screen[object]) -> Hashable:
    """Everything the footer's keys are built from."""
    keys = tuple(
        (binding.key, binding.description, binding.action, binding.show, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
    )
    return (get_language(), keys)
