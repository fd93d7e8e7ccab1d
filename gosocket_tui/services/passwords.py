"""Password hashing (argon2id, argon2-cffi's default profile) and the password rules.

Rules follow NIST SP 800-63B: at least 8 characters (15 recommended), at least 64 allowed and
never truncated, and refuse the most common passwords from a shipped list.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _

MIN_LENGTH = 8
RECOMMENDED_LENGTH = 15
MAX_LENGTH = 256

_hasher = PasswordHasher()


@cache
def dummy_hash() -> str:
    """A real hash to verify against when the username is unknown, so that timing does not
    reveal which accounts exist. Made on first use: it costs an argon2 hash."""
    return _hasher.hash("gosocket-tui dummy password for unknown users")


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("gosocket_tui.services").joinpath("data/common_passwords.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password_rules(password: str, username: str = "") -> None:
    """Raise ValidationError(field='password') when the password breaks a rule."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            _(
                "The password must have at least {min} characters ({rec} or more is better).",
                min=MIN_LENGTH,
                rec=RECOMMENDED_LENGTH,
            ),
            field="password",
        )
    if len(password) > MAX_LENGTH:
        raise ValidationError(
            _("The password must have at most {max} characters.", max=MAX_LENGTH),
            field="password",
        )
    lowered = password.lower()
    if lowered in _common_passwords() or (username and lowered == username.lower()):
        raise ValidationError(
            _("This password is too common or too easy to guess. Choose another one."),
            field="password",
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with ``None`` (unknown user) still spend the time of a real check."""
    try:
        return _hasher.verify(password_hash or dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
