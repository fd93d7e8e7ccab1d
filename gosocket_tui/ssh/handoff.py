"""What the server hands a session's child process: who is logged in, by which key, and the
configuration to open the database with. An activation (``mode="activate"``, SSH user
``activate``) has nobody logged in: it carries the key the client proved it holds instead.

It travels over a pipe the child inherits, never on the command line or in the environment
(both readable by other local users through ``ps`` and ``/proc``), and holds no secret: the
child re-checks the account and the key against the database before it shows anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from gosocket_tui.services.session import Session

MAX_HANDOFF_BYTES = 64 * 1024
_DATE_FIELDS = ("started_at", "last_seen_at")
ACTIVATE_MODE = "activate"


@dataclass(frozen=True)
class Handoff:
    session: Session | None  # None only for an activation
    key_fingerprint: str
    flags: dict[str, Any]
    config_path: Path | None
    # "app": the full-screen app on a pty; "exec": the command ``argv`` (``ssh/commands.py``).
    mode: str = "app"
    argv: list[str] = field(default_factory=list)
    #: Activation: the OpenSSH line of the key the client proved it holds.
    public_key: str = ""
    #: Activation: the server's address and port as the client reached them, for the
    #: ``ssh -p PORT USER@HOST`` line shown once the supplier is registered.
    server_address: tuple[str, int] | None = None


def encode_handoff(handoff: Handoff) -> bytes:
    session: dict[str, Any] | None = None
    if handoff.session is not None:
        session = asdict(handoff.session)
        for name in _DATE_FIELDS:
            session[name] = session[name].isoformat()
    return json.dumps(
        {
            "session": session,
            "key_fingerprint": handoff.key_fingerprint,
            "flags": handoff.flags,
            "config_path": str(handoff.config_path) if handoff.config_path else None,
            "mode": handoff.mode,
            "argv": handoff.argv,
            "public_key": handoff.public_key,
            "server_address": handoff.server_address,
        }
    ).encode("utf-8")


def _decode_session(raw: Any) -> Session:
    values = dict(raw)
    names = {f.name for f in fields(Session)}
    if set(values) != names:
        raise ValueError("hand-over with other session fields")
    for name in _DATE_FIELDS:
        values[name] = datetime.fromisoformat(values[name])
    return Session(**values)


def decode_handoff(data: bytes) -> Handoff:
    """Raises ValueError (or a subclass) when ``data`` is not a hand-over."""
    if len(data) > MAX_HANDOFF_BYTES:
        raise ValueError("hand-over too large")
    raw = json.loads(data.decode("utf-8"))
    mode = str(raw.get("mode") or "app")
    # Only an activation comes without a login: any other hand-over must name one.
    if raw["session"] is None and mode != ACTIVATE_MODE:
        raise ValueError("hand-over without a session")
    session = None if mode == ACTIVATE_MODE else _decode_session(raw["session"])
    config_path = raw.get("config_path")
    argv = raw.get("argv") or []
    if not isinstance(argv, list) or not all(isinstance(word, str) for word in argv):
        raise ValueError("hand-over with a command that is not a list of words")
    address = raw.get("server_address")
    return Handoff(
        session=session,
        key_fingerprint=str(raw["key_fingerprint"]),
        flags=dict(raw.get("flags") or {}),
        config_path=Path(config_path) if config_path else None,
        mode=mode,
        argv=argv,
        public_key=str(raw.get("public_key") or ""),
        server_address=(str(address[0]), int(address[1])) if address else None,
    )
