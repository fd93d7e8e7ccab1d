"""The frame every dialog shares: one titled box centred over the screen, and its own keys.

A dialog yields its content from :meth:`Dialog.compose_body`; the frame (a ``Vertical``
with the class ``dialog`` and the dialog's ``FRAME_ID``, which its title and its rules in
``app.tcss`` name) and the footer come from here. A row of buttons takes the class
``dialog-buttons``: right-aligned under the content.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen

from gosocket_tui.tui.widgets.footer import KeyFooter

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal dialog: the frame, the body a subclass composes, and a footer with the
    dialog's own keys (not those of the screen behind it)."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        & > .dialog {
            width: 100%;
            height: auto;
            max-height: 100%;
            border: round $primary;
            border-title-style: bold;
            background: $background;
            padding: 0 1;
        }
        & .dialog-buttons {
            height: 1;
            margin-top: 1;
            align-horizontal: right;
            & Button {
                margin-left: 2;
            }
        }
    }
    """
    FRAME_ID: ClassVar[str]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id=self.FRAME_ID):
            yield from self.compose_body()
        yield KeyFooter()

    def compose_body(self) -> ComposeResult:
        """The dialog's content, inside the frame."""
        raise NotImplementedError
