"""Files for a server deployment, shipped in the package: the SSH wrapper and the mail unit.

``gosocket-tui deploy wrapper`` and ``gosocket-tui deploy mail-unit`` print them so an
operator installs them with the README's commands, whatever the virtual environment's path.
"""

from __future__ import annotations

from importlib.resources import files

WRAPPER = "gosocket-ssh"
MAIL_UNIT = "gosocket-mail.service"


def read(name: str) -> str:
    """The text of one shipped deployment file."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
