"""The project's own error types.

Anything a user can cause ends in one of these; the CLI prints its message on one line and
exits 1, the TUI shows it. Messages are already translated when raised.
"""

from __future__ import annotations


class GosocketError(Exception):
    """Base of every error the project raises on purpose."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UserError(GosocketError):
    """Something the user can fix: bad input, a rule that refuses the action."""


class ValidationError(UserError):
    """One field's value is wrong; ``field`` names it so forms can show the error inline."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PermissionDenied(UserError):
    """The acting user may not do this (not an administrator, another company's data)."""


class NotFound(UserError):
    pass


class Duplicate(UserError):
    """The thing already exists; ``existing_id`` points at it so the UI can jump there."""

    def __init__(self, message: str, existing_id: int | None = None) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class AuthError(UserError):
    """Login refused. Always the same generic message, whatever the cause."""


class SessionExpired(UserError):
    """The session timed out or the account was disabled: log in again."""


class ConfigError(GosocketError):
    """The configuration is malformed; the message names the source and the problem."""


class DatabaseError(GosocketError):
    """The database cannot be used (newer schema, not a database, read-only, full)."""


class DatabaseFull(DatabaseError):
    """The disk (or the database's size limit) is full: nothing of the failed step was saved."""
