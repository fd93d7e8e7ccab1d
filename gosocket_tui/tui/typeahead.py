"""Keys typed ahead land where they were meant: the forms' half of the rule.

A paste, a password manager or a slow SSH link delivers ``abc⇥def⏎`` in one read. Textual hands
each key to the widget focused when the key is dispatched, and resolves Tab or an Enter that
moves on only after the key went round the focused field: by then the keys behind it were
given to the same field (``Name  Proveedora Sur SACfacturas@sur.example``). The app binds Tab,
Shift+Tab and Enter with priority (``GosocketApp``), so the focus moves as the key arrives.

Tab always moves. Enter moves to the next field only in an Input marked with
:func:`next_on_enter`; elsewhere Enter does what the focused widget does (submit, press).
"""

from __future__ import annotations

from textual.widgets import Input

NEXT_ON_ENTER = "next-on-enter"


def next_on_enter(*fields: Input) -> None:
    """Make Enter in these fields move to the next field (not submit the form)."""
    for field in fields:
        field.add_class(NEXT_ON_ENTER)


def moves_on_enter(widget: object) -> bool:
    return isinstance(widget, Input) and widget.has_class(NEXT_ON_ENTER)
