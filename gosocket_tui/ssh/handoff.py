"""What the server hands a session's child process: who is logged in, by which key, and the
configuration to open the database with.

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


@dataclass(frozen=True)
class Handoff:
    session: Session
    key_fingerprint: str
    flags: dict[str, Any]
    config_path: Path | None
    # "app": the full-screen app on a pty; "exec": the command ``argv`` (``ssh/commands.py``).
    mode: str = "app"
    argv: list[str] = field(default_factory=list)


def encode_handoff(handoff: Handoff) -> bytes:
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
        }
    ).encode("utf-8")


def decode_handoff(data: bytes) -> Handoff:
    """Raises ValueError (or a subclass) when ``data`` is not a hand-over."""
    if len(data) > MAX_HANDOFF_BYTES:
        raise ValueError("hand-over too large")
    raw = json.loads(data.decode("utf-8"))
    values = dict(raw["session"])
    names = {f.name for f in fields(Session)}
    if set(values) != names:
        raise ValueError("hand-over with other session fields")
    for name in _DATE_FIELDS:
        values[name] = datetime.fromisoformat(values[name])
    config_path = raw.get("config_path")
    argv = raw.get("argv") or []
    if not isinstance(argv, list) or not all(isinstance(word, str) for word in argv):
        raise ValueError("hand-over with a command that is not a list of words")
    return Handoff(
        session=Session(**values),
        key_fingerprint=str(raw["key_fingerprint"]),
        flags=dict(raw.get("flags") or {}),
        config_path=Path(config_path) if config_path else None,
        mode=str(raw.get("mode") or "app"),
        argv=argv,
    )
