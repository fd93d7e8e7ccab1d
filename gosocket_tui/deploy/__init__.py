"""Files for a server deployment, shipped in the package: the systemd units and the SSH wrapper.

``gosocket-tui deploy serve-unit``, ``deploy mail-unit`` and ``deploy wrapper`` print them so
an operator installs them with the README's commands, whatever the virtual environment's path.
"""

from __future__ import annotations

from importlib.resources import files

WRAPPER = "gosocket-ssh"
MAIL_UNIT = "gosocket-mail.service"
SERVE_UNIT = "gosocket-serve.service"


def read(name: str) -> str:
    """The text of one shipped deployment file."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
