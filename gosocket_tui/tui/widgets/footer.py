"""The footer with the current screen's keys, described in the current language.

Which keys show, in this order (the rule the footer keeps at any width):

1. The screen's and the app's own keys (the shell's F1–F4, ^l Log out, ^q Quit; a dialog's
   Esc Cancel and ^s Save): always shown, always in the same place, on the left.
2. The keys of the focused widget and its containers (the table's View, Invite, Mark…), in
   the space that is left, whole keys only: what does not fit is left out, never half cut,
   and never pushes the keys of 1. out of sight.
3. ^p palette, on the right (every command is there); below 100 columns only "^p", which
   leaves 80 columns room for the first keys of 2 (the table's View and Invite).

Every screen, dialog included, has its own :class:`KeyFooter`: a dialog shows its own keys,
not those of the screen behind it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Protocol, runtime_checkable

from textual import events
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # Textual exports no public FooterKey

from gosocket_tui.i18n import _, get_language, speaking

# Columns around a key's text: " ^l " before its description and one space after it.
KEY_PADDING = 3
PALETTE_EXTRA = 2  # the palette key's border and right padding, beside its label
PALETTE_EXTRA_NARROW = 1  # the border alone: the bare key needs no padding after it
NARROW_BELOW = 100  # columns: narrower terminals show the palette key without "palette"


@runtime_checkable
class OwnLanguage(Protocol):
    """A screen that speaks its own language, not the app's (the supplier's activation)."""

    screen_language: str


def _language(screen: Screen[object]) -> str:
    return screen.screen_language if isinstance(screen, OwnLanguage) else get_language()


class KeyFooter(Footer):
    """Textual's footer with translated descriptions and the order above.

    Bindings keep their English description (the catalog key) in ``BINDINGS``; this footer
    translates them when it is composed, so a language switch only needs
    ``screen.refresh_bindings()``.

    Textual rebuilds the footer's keys on every bindings update (each focus move, each
    ``refresh_bindings``); opening the shell sent several in a row that changed nothing. The
    footer is rebuilt only when what it shows (keys, labels, enabled state, language, width)
    changed.
    """

    _shown: Hashable = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = _what_is_shown(screen)
            if self._bindings_ready and shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        if self.is_attached and self._bindings_ready:
            self.bindings_changed(self.screen)  # which keys fit depends on the width

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        with speaking(_language(self.screen)):
            keys = list(self._keys())  # built whole: the language is this block's only
        yield from keys

    def _keys(self) -> ComposeResult:
        active = self.screen.active_bindings
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        show_palette = (
            palette is not None and self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE
        )
        room = self.app.size.width
        narrow = room < NARROW_BELOW
        palette_text = ""
        if show_palette and palette is not None:
            palette_text = "" if narrow else _(palette.binding.description)
            key = self.app.get_key_display(palette.binding)
            shown = len(key) + len(palette_text) + KEY_PADDING if palette_text else len(key)
            room -= shown + (PALETTE_EXTRA if palette_text else PALETTE_EXTRA_NARROW)
        for item in _fitting(_one_per_action(active.values(), palette), room, self.app):
            binding = item.binding
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                _(binding.description) if binding.description else "",
                binding.action,
                disabled=not item.enabled,
                tooltip=item.tooltip,
            ).data_bind(compact=Footer.compact)
        if show_palette and palette is not None:
            yield FooterKey(
                palette.binding.key,
                self.app.get_key_display(palette.binding),
                palette_text,
                palette.binding.action,
                classes="-command-palette",
                disabled=not palette.enabled,
                tooltip=palette.binding.tooltip or palette.binding.description,
            )


def _is_global(item: ActiveBinding) -> bool:
    return isinstance(item.node, App | Screen)


def _one_per_action(
    items: Iterable[ActiveBinding], palette: ActiveBinding | None
) -> list[ActiveBinding]:
    """The shown keys, one per action (``enter,d`` shows once), global ones first."""
    seen: set[str] = set()
    unique: list[ActiveBinding] = []
    for item in items:
        if not item.binding.show or item is palette or item.binding.action in seen:
            continue
        seen.add(item.binding.action)
        unique.append(item)
    return [i for i in unique if _is_global(i)] + [i for i in unique if not _is_global(i)]


def _width(binding: Binding, app: App[object]) -> int:
    description = _(binding.description) if binding.description else ""
    key = app.get_key_display(binding)
    return len(key) + len(description) + KEY_PADDING if description else len(key)


def _fitting(items: list[ActiveBinding], room: int, app: App[object]) -> list[ActiveBinding]:
    """Every global key, then the others while whole keys fit in ``room`` columns."""
    used = sum(_width(i.binding, app) for i in items if _is_global(i))
    fitting = [i for i in items if _is_global(i)]
    for item in items:
        if _is_global(item):
            continue
        width = _width(item.binding, app)
        if used + width > room:
            break
        fitting.append(item)
        used += width
    return fitting


def _what_is_shown(screen: Screen[object]) -> Hashable:
    """Everything the footer's keys are built from."""
    keys = tuple(
        (binding.key, binding.description, binding.action, binding.show, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
    )
    return (_language(screen), screen.app.size.width, keys)
