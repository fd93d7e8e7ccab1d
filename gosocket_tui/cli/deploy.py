"""``deploy``: print the files a server deployment installs (see the README)."""

from __future__ import annotations

import click

from gosocket_tui.cli.base import root
from gosocket_tui.deploy import MAIL_UNIT, SERVE_UNIT, WRAPPER, read


@root.group("deploy")
def deploy() -> None:
    """Print the deployment files shipped with the package."""


@deploy.command("wrapper")
def wrapper() -> None:
    """The SSH forced command (install root-owned, mode 755)."""
    click.echo(read(WRAPPER), nl=False)


@deploy.command("mail-unit")
def mail_unit() -> None:
    """The systemd unit that runs ``mail deliver --watch``."""
    click.echo(read(MAIL_UNIT), nl=False)


@deploy.command("serve-unit")
def serve_unit() -> None:
    """The systemd unit that runs ``serve`` on port 2222, open to the network."""
    click.echo(read(SERVE_UNIT), nl=False)
