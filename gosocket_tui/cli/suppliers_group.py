"""The ``gosocket-tui suppliers`` command group; its commands live in their own modules."""

from __future__ import annotations

from gosocket_tui.cli.base import root


@root.group()
def suppliers() -> None:
    """Suppliers of a company: list, add, import, invite."""
