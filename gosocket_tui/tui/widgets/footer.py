"""The footer with the current screen's keys, described in the current language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from gosocket_tui.i18n import _


class KeyFooter(Footer):
    """Textual's footer, with every binding description passed through ``_``.

    Bindings keep their English description (the catalog key) in ``BINDINGS``; this footer
    translates them when it is composed, so a language switch only needs
    ``screen.refresh_bindings()``.
    """

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget
