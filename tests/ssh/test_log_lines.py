"""What a client chooses never forges a log line or reaches the operator's terminal raw.

The SSH username is the one free text an unauthenticated client puts in the server's log.
asyncssh refuses a username with control characters itself (SASLprep); these tests turn that
check off, on both ends, to show that the server's own holds without it: a username holding a
newline, a forged log line, terminal escapes and bidi controls, and far too long, gives one
log line per refusal, every control replaced, cut short. (The audit trail keeps the value
as given, like every stored value, and each reader shows it plain: "Display and file
safety" in SECURITY.md.)
"""

from __future__ import annotations

import re

import asyncssh
import pytest

from tests.ssh.conftest import Served

pytestmark = pytest.mark.slow

FORGED = "x\nssh accepted user='ana' key=SHA256:forged from=10.0.0.1\x1b]0;owned\x07\u202e\x9b"
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True)
def _no_saslprep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The username as the client sent it, as a client other than asyncssh's would."""
    monkeypatch.setattr(asyncssh.connection, "saslprep", lambda text: text)


async def test_a_hostile_username_is_one_plain_bounded_log_line(served: Served) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await served.connect(FORGED + "A" * 400, served.ana_key)
    messages = [record.getMessage() for record in served.records]
    assert messages, "the refusal is logged"
    for message in messages:
        assert not UNSAFE.search(message), repr(message)
        assert len(message) < 300, len(message)
    assert not [m for m in messages if m.startswith("ssh accepted")]
    refused = served.lines("ssh refused key user=")
    assert len(refused) == 1 and "forged" in refused[0]  # shown, but inside the quoted value
