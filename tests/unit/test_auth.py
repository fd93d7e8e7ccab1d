from typing import Any

import pytest
from argon2 import PasswordHasher

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import AuditEvent, User
from gosocket_tui.errors import AuthError, Duplicate, SessionExpired, ValidationError
from gosocket_tui.services import auth, passwords
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import require_session, touch
from tests.conftest import BUYER_REF, PASSWORD

pytestmark = pytest.mark.real_argon2


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = passwords.hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "a long passphrase")
    assert not passwords.verify_password(hashed, "a long passphrasE")
    assert not passwords.verify_password(None, "a long passphrase")


@pytest.mark.parametrize("password", ["short", "password123", "qwertyuiop", "x" * 257, "ana12345"])
def test_password_rules(password: str) -> None:
    with pytest.raises(ValidationError) as info:
        passwords.check_password_rules(password, username="ana12345")
    assert info.value.field == "password"


def test_long_password_not_truncated() -> None:
    long = "p" * 63 + "A" + "z" * 100
    passwords.check_password_rules(long)
    hashed = passwords.hash_password(long)
    assert not passwords.verify_password(hashed, long[:72])
    assert passwords.verify_password(hashed, long)


def test_login_success_returns_session(ctx: ServiceContext, buyers: Any) -> None:
    session = auth.authenticate(ctx, "  ANA ", PASSWORD)
    assert session.username == "ana" and session.is_admin
    assert session.company_name == "Comercial Andes SpA"
    assert (
        AuditEvent.select()
        .where(AuditEvent.action == "auth.login", AuditEvent.outcome == "ok")
        .count()
        == 1
    )


def test_generic_error_for_every_failure(ctx: ServiceContext, buyers: Any) -> None:
    messages = set()
    for username, password in [("ana", "wrong password"), ("nobody", PASSWORD), ("", "")]:
        with pytest.raises(AuthError) as info:
            auth.authenticate(ctx, username, password)
        messages.add(info.value.message)
    auth.set_user_active(ctx, "carlos", False)
    with pytest.raises(AuthError) as info:
        auth.authenticate(ctx, "carlos", PASSWORD)
    messages.add(info.value.message)
    assert messages == {"Invalid username or password."}


def test_unknown_user_still_verifies_a_hash(
    ctx: ServiceContext, buyers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    with pytest.raises(AuthError):
        auth.authenticate(ctx, "nobody-here", PASSWORD)
    assert calls == [passwords.dummy_hash()]


def test_lockout_after_five_failures_and_unlock(
    ctx: ServiceContext, buyers: Any, clock: FixedClock
) -> None:
    for _ in range(5):
        with pytest.raises(AuthError) as info:
            auth.authenticate(ctx, "ana", "not the password")
        assert not isinstance(info.value, auth.AccountLocked)
    # Locked: the right password now says so; a wrong one stays generic.
    with pytest.raises(auth.AccountLocked, match="locked"):
        auth.authenticate(ctx, "ana", PASSWORD)
    with pytest.raises(AuthError) as info:
        auth.authenticate(ctx, "ana", "still wrong")
    assert not isinstance(info.value, auth.AccountLocked)
    assert AuditEvent.select().where(AuditEvent.action == "auth.lockout").count() == 1
    # An administrator unlocks it.
    auth.unlock_user(ctx, "ana")
    assert auth.authenticate(ctx, "ana", PASSWORD).username == "ana"


def test_lockout_expires(ctx: ServiceContext, buyers: Any, clock: FixedClock) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.authenticate(ctx, "carlos", "nope nope nope")
    with pytest.raises(auth.AccountLocked):
        auth.authenticate(ctx, "carlos", PASSWORD)
    clock.advance(minutes=16)
    assert auth.authenticate(ctx, "carlos", PASSWORD).username == "carlos"


def test_success_resets_failure_count(ctx: ServiceContext, buyers: Any) -> None:
    for _ in range(4):
        with pytest.raises(AuthError):
            auth.authenticate(ctx, "ana", "wrong one here")
    auth.authenticate(ctx, "ana", PASSWORD)
    assert User.get(User.username == "ana").failed_logins == 0


def test_rehash_on_login_when_parameters_are_old(ctx: ServiceContext, buyers: Any) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    User.update(password_hash=weak).where(User.username == "ana").execute()
    auth.authenticate(ctx, "ana", PASSWORD)
    new_hash = User.get(User.username == "ana").password_hash
    assert new_hash != weak and not passwords.needs_rehash(new_hash)
    assert auth.authenticate(ctx, "ana", PASSWORD).username == "ana"


def test_duplicate_username_refused(ctx: ServiceContext, buyers: Any) -> None:
    with pytest.raises(Duplicate):
        auth.create_user(ctx, BUYER_REF, "ANA", "another fine password")


def test_session_idle_timeout_and_lifetime(
    ctx: ServiceContext, buyers: Any, clock: FixedClock
) -> None:
    session = auth.authenticate(ctx, "ana", PASSWORD)
    clock.advance(minutes=14)
    session = touch(ctx, require_session(ctx, session))
    clock.advance(minutes=14)
    require_session(ctx, session)
    clock.advance(minutes=16)
    with pytest.raises(SessionExpired, match="without activity"):
        require_session(ctx, session)
    fresh = auth.authenticate(ctx, "ana", PASSWORD)
    for _ in range(13 * 4):
        clock.advance(minutes=15)
        fresh = touch(ctx, fresh)
    with pytest.raises(SessionExpired, match="maximum length"):
        require_session(ctx, fresh)


def test_disabled_user_is_logged_out_at_next_action(ctx: ServiceContext, buyers: Any) -> None:
    session = auth.authenticate(ctx, "carlos", PASSWORD)
    auth.set_user_active(ctx, "carlos", False)
    with pytest.raises(SessionExpired, match="no longer active"):
        require_session(ctx, session)
    User.delete().where(User.username == "carlos").execute()
    with pytest.raises(SessionExpired):
        require_session(ctx, session)


def test_demoted_admin_loses_rights_at_once(ctx: ServiceContext, buyers: Any) -> None:
    session = auth.authenticate(ctx, "ana", PASSWORD)
    User.update(is_admin=False).where(User.username == "ana").execute()
    assert require_session(ctx, session).is_admin is False


@pytest.mark.parametrize("name", ["activate", "ACTIVATE", " Activate ", "aCtIvAtE"])
def test_the_name_activate_is_reserved_for_activation_over_ssh(
    ctx: ServiceContext, buyers: Any, name: str
) -> None:
    """``ssh activate@host`` opens the activation screen: no account may ever have that name."""
    with pytest.raises(ValidationError, match="reserved") as info:
        auth.create_user(ctx, BUYER_REF, name, "another fine password")
    assert info.value.field == "username"
    assert not User.select().where(User.username == "activate").exists()
