"""A key registered while the server is refusing it is still no login until it signs.

``validate_public_key`` asks ``key_accepted`` (reads only) and, on a no, records the refusal.
Should the operator register that very key in between, the refusal must stay a refusal: no
successful ``auth.login`` may be recorded, and the key not marked used, before the client
has proved it holds the private key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncssh
import pytest

from gosocket_tui.db.models import AuditEvent, UserKey
from gosocket_tui.services import ssh_keys
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.ssh.server import AppServer
from tests.ssh.conftest import Served

pytestmark = pytest.mark.slow


async def test_a_key_registered_during_its_refusal_logs_no_one_in(
    served: Served, ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    public_only = asyncssh.import_public_key(key.export_public_key())
    answer = served.endpoint.call
    calls: list[str] = []

    async def registered_after_the_first_check(work: Callable[[], Any]) -> Any:
        result = await answer(work)
        if not calls:  # key_accepted has just said no: the operator adds the key now
            ssh_keys.add_key(ctx, "ana", key.export_public_key().decode())
        calls.append("call")
        return result

    monkeypatch.setattr(served.endpoint, "call", registered_after_the_first_check)
    assert not await AppServer(served.endpoint).validate_public_key("ana", public_only)

    logins = AuditEvent.select().where(AuditEvent.action == "auth.login")
    assert [event.outcome for event in logins] == ["failed"]
    row = UserKey.get(UserKey.fingerprint == key.get_fingerprint("sha256"))
    assert row.last_used_at is None
    assert served.lines("ssh refused key user='ana'")

    # The next attempt, with the signature, is the login.
    monkeypatch.setattr(served.endpoint, "call", answer)
    async with await served.connect("ana", key) as conn:
        await conn.run(term_type=None, check=False)
    assert [event.outcome for event in logins.order_by(AuditEvent.id)] == ["failed", "ok"]
