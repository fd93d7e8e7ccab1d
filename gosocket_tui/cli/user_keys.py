"""``user key``: the SSH public keys that log a user in to ``gosocket-tui serve``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

import click

from gosocket_tui.cli.admin import user
from gosocket_tui.cli.base import CliState, pass_state
from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.safe_text import json_text, plain
from gosocket_tui.services import ssh_keys


@user.group("key")
def key() -> None:
    """SSH public keys: how a user logs in over SSH."""


def _read_key(stream: BinaryIO) -> str:
    """At most one byte more than a key may have (a huge file is refused, not read whole)."""
    data = stream.read(ssh_keys.MAX_KEY_TEXT + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(_("The public key is not UTF-8 text."), field="key") from None


@key.command("add")
@click.argument("username")
@click.argument("stdin_marker", metavar="[-]", required=False)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The public key file (id_ed25519.pub); or give - to read it from standard input.",
)
@click.option("--comment", help="A note shown with the key (default: the key's own comment).")
@pass_state
def key_add(
    state: CliState,
    username: str,
    stdin_marker: str | None,
    key_file: Path | None,
    comment: str | None,
) -> None:
    """Register a public key that logs USERNAME in over SSH."""
    if stdin_marker not in (None, "-") or (key_file is None) == (stdin_marker is None):
        raise click.UsageError(_("Give the key with --key-file FILE, or - to read it from stdin."))
    if key_file is not None:
        with key_file.open("rb") as fh:
            text = _read_key(fh)
    else:
        raw = getattr(sys.stdin, "buffer", None)
        text = _read_key(raw) if raw is not None else sys.stdin.read(ssh_keys.MAX_KEY_TEXT + 1)
    info = ssh_keys.add_key(state.services(), username, text, comment=comment)
    click.echo(
        _(
            "Added {algorithm} key {fingerprint} for {username}.",
            algorithm=info.algorithm,
            fingerprint=info.fingerprint,
            username=plain(username.strip().lower()),
        )
    )


@key.command("list")
@click.argument("username")
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "json"]))
@pass_state
def key_list(state: CliState, username: str, fmt: str) -> None:
    """List a user's SSH keys, oldest first."""
    keys = ssh_keys.list_keys(state.services(), username)
    if fmt == "json":
        records = [
            {
                "fingerprint": k.fingerprint,
                "algorithm": k.algorithm,
                "comment": k.comment,
                "created_at": k.created_at.isoformat(),
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
            }
            for k in keys
        ]
        click.echo(json_text(records, indent=2))
        return
    if not keys:
        click.echo(_("{username} has no SSH keys.", username=plain(username)), err=True)
        return
    for k in keys:
        used = k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "-"
        click.echo(
            f"{k.fingerprint:<51} {k.algorithm:<20} "
            f"{k.created_at:%Y-%m-%d %H:%M}  {used:<16}  {plain(k.comment)}"
        )


@key.command("remove")
@click.argument("username")
@click.argument("fingerprint")
@pass_state
def key_remove(state: CliState, username: str, fingerprint: str) -> None:
    """Remove one of a user's keys.

    Their open SSH sessions with it end within seconds.
    """
    ssh_keys.remove_key(state.services(), username, fingerprint)
    click.echo(
        _(
            "Removed key {fingerprint} of {username}.",
            fingerprint=plain(fingerprint.strip()),
            username=plain(username.strip().lower()),
        )
    )
