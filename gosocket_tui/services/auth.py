"""Login, lockout and user administration.

Every failure says the same thing ("Invalid username or password") and an unknown username
still verifies a hash, so neither the message nor the timing tells which accounts exist. A
locked account says it is locked only after the right password was given, which reveals
nothing to someone guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import Company, User
from gosocket_tui.errors import AuthError, Duplicate, NotFound, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services import audit
from gosocket_tui.services.companies import CompanyInfo, company_info, get_company_by_ref
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from gosocket_tui.services.session import Session, session_for

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")
ACTIVATION_USERNAME = "activate"
"""The SSH username that opens the activation screen (``gosocket-tui serve``): never an
account's name, or that account could not log in by key and a supplier could not activate."""


def invalid_credentials() -> AuthError:
    return AuthError(_("Invalid username or password."))


class AccountLocked(AuthError):
    """Raised only after the right password, so it reveals nothing to a guesser."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    company: CompanyInfo
    is_admin: bool
    is_active: bool
    locked_until: datetime | None
    failed_logins: int
    last_login_at: datetime | None


def _user_info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        company=company_info(user.company),
        is_admin=bool(user.is_admin),
        is_active=bool(user.is_active),
        locked_until=user.locked_until,
        failed_logins=user.failed_logins,
        last_login_at=user.last_login_at,
    )


def normalize_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalize_username(username)
    if not 3 <= len(name) <= 64 or not set(name) <= USERNAME_CHARS:
        raise ValidationError(
            _("The username must have 3 to 64 letters, digits or . _ - @ characters."),
            field="username",
        )
    if name == ACTIVATION_USERNAME:
        raise ValidationError(
            _(
                "The username {username} is reserved for activation over SSH; choose another.",
                username=ACTIVATION_USERNAME,
            ),
            field="username",
        )
    return name


def _attempt(
    ctx: ServiceContext,
    action: str,
    username: str,
    company_id: int | None,
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """Audit a login attempt that no session acts for: the username typed is the actor."""
    audit.record(
        ctx,
        None,
        action,
        target=username,
        outcome=outcome,
        detail=detail,
        actor_name=username,
        company_id=company_id,
    )


def authenticate(ctx: ServiceContext, username: str, password: str) -> Session:
    """Log in. Raises AuthError (generic) or AccountLocked; returns the new session."""
    name = normalize_username(username)
    user = User.get_or_none(User.username == name) if name else None
    ok = verify_password(user.password_hash if user else None, password)
    now = ctx.clock.now()

    def write() -> Session | AuthError:
        # Failures are returned, not raised, so their counters and audit rows commit.
        fresh = User.get_or_none(User.id == user.id) if user else None
        if fresh is None or not fresh.is_active:
            company_id = fresh.company_id if fresh else None
            _attempt(ctx, "auth.login", name[:64], company_id, "failed")
            return invalid_credentials()
        if fresh.locked_until is not None and fresh.locked_until > now:
            _attempt(ctx, "auth.login", fresh.username, fresh.company_id, "locked")
            if ok:
                minutes = max(1, int((fresh.locked_until - now).total_seconds() // 60) + 1)
                return AccountLocked(
                    _(
                        "This account is locked after too many failed attempts. "
                        "Try again in {minutes} minutes or ask an administrator to unlock it.",
                        minutes=minutes,
                    )
                )
            return invalid_credentials()
        if not ok:
            failures = fresh.failed_logins + 1
            locked = failures >= ctx.config.lockout_threshold
            User.update(
                failed_logins=0 if locked else failures,
                locked_until=now + timedelta(minutes=ctx.config.lockout_minutes)
                if locked
                else None,
            ).where(User.id == fresh.id).execute()
            _attempt(ctx, "auth.login", fresh.username, fresh.company_id, "failed")
            if locked:
                _attempt(
                    ctx,
                    "auth.lockout",
                    fresh.username,
                    fresh.company_id,
                    detail=f"{ctx.config.lockout_threshold} failed attempts",
                )
            return invalid_credentials()
        changes: dict[peewee.Field, object] = {
            User.failed_logins: 0,
            User.locked_until: None,
            User.last_login_at: now,
        }
        if needs_rehash(fresh.password_hash):
            changes[User.password_hash] = hash_password(password)
        User.update(changes).where(User.id == fresh.id).execute()
        session = session_for(fresh, Company.get_by_id(fresh.company_id), now)
        audit.record(ctx, session, "auth.login", target=fresh.username)
        return session

    outcome = transaction(write)
    if isinstance(outcome, AuthError):
        raise outcome
    return outcome


def logout(ctx: ServiceContext, session: Session, reason: str = "") -> None:
    audit.record(ctx, session, "auth.logout", target=session.username, detail=reason)


def create_user(
    ctx: ServiceContext,
    company_ref: str,
    username: str,
    password: str,
    *,
    is_admin: bool = False,
    language: str | None = None,
) -> UserInfo:
    """Create a user of an existing company (system administration, no acting user)."""
    company = get_company_by_ref(ctx, company_ref)
    name = check_username(username)
    check_password_rules(password, name)
    password_hash = hash_password(password)
    return _insert_user(ctx, company.id, name, password_hash, is_admin, language, "user.create")


def _insert_user(
    ctx: ServiceContext,
    company_id: int,
    username: str,
    password_hash: str,
    is_admin: bool,
    language: str | None,
    action: str,
    actor: Session | None = None,
) -> UserInfo:
    def write() -> User:
        if User.select().where(User.username == username).exists():
            raise Duplicate(_("The username {username} is taken.", username=username))
        user = User.create(
            company=company_id,
            username=username,
            password_hash=password_hash,
            is_admin=is_admin,
            language=language,
            created_at=ctx.clock.now(),
        )
        audit.record(
            ctx,
            actor,
            action,
            target=username,
            company_id=company_id,
            actor_name=actor.username if actor else "system",
            detail="administrator" if is_admin else "",
        )
        return user

    return _user_info(transaction(write))


def insert_user_in_transaction(
    ctx: ServiceContext, company_id: int, username: str, password_hash: str, *, is_admin: bool
) -> User:
    """Create a user inside the caller's transaction (used by activation)."""
    if User.select().where(User.username == username).exists():
        raise Duplicate(_("The username {username} is taken.", username=username))
    return User.create(
        company=company_id,
        username=username,
        password_hash=password_hash,
        is_admin=is_admin,
        created_at=ctx.clock.now(),
    )


def list_users(ctx: ServiceContext, company_ref: str | None = None) -> list[UserInfo]:
    query = (
        User.select(User, Company)
        .join(Company)
        .order_by(Company.country, Company.tax_id, User.username)
    )
    if company_ref:
        company = get_company_by_ref(ctx, company_ref)
        query = query.where(User.company == company.id)
    return [_user_info(user) for user in query]


def _get_user(username: str) -> User:
    user = User.get_or_none(User.username == normalize_username(username))
    if user is None:
        raise NotFound(_("No user named {username}.", username=username))
    return user


def unlock_user(ctx: ServiceContext, username: str) -> UserInfo:
    def write() -> User:
        user = _get_user(username)
        User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
        audit.record(
            ctx,
            None,
            "user.unlock",
            target=user.username,
            company_id=user.company_id,
            actor_name="system",
        )
        return User.get_by_id(user.id)

    return _user_info(transaction(write))


def set_user_active(ctx: ServiceContext, username: str, active: bool) -> UserInfo:
    def write() -> User:
        user = _get_user(username)
        User.update(is_active=active).where(User.id == user.id).execute()
        audit.record(
            ctx,
            None,
            "user.enable" if active else "user.disable",
            target=user.username,
            company_id=user.company_id,
            actor_name="system",
        )
        return User.get_by_id(user.id)

    return _user_info(transaction(write))
