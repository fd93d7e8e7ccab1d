"""SSH public keys as app credentials: a key logs in exactly one app user over SSH.

The key is the authentication: ``authenticate_key`` opens the same kind of session a password
login opens, after the same account checks (active, not locked), and every refusal says the
same thing. The SSH server calls ``key_still_valid`` every few seconds, so disabling a user or
removing a key ends their open sessions. Parsing and fingerprints are asyncssh's; the text is
checked first because asyncssh would also take a private key or the first of several keys.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

import asyncssh
import peewee

from gosocket_tui.db.connection import transaction
from gosocket_tui.db.models import Company, User, UserKey
from gosocket_tui.errors import AuthError, Duplicate, NotFound, ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.safe_text import plain
from gosocket_tui.services import audit
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session, require_session, session_for

MAX_KEY_TEXT = 8_192
"""Characters of pasted key text accepted: a 16384-bit RSA public key line fits in 2,800."""
MAX_COMMENT = 100
MIN_RSA_BITS = 2048
ALGORITHMS = frozenset(
    {
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "ssh-rsa",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
SSH_KEY_METHOD = "ssh-key"


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    algorithm: str
    comment: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class ParsedKey:
    """One checked public key: ``public_key`` is its OpenSSH line without the comment."""

    key: asyncssh.SSHKey
    algorithm: str
    public_key: str
    fingerprint: str
    comment: str


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, field="key")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def _plain_comment(text: str) -> str:
    kept = "".join(" " if char.isspace() else char for char in text if not _is_control(char))
    return " ".join(kept.split())


def clean_comment(text: str) -> str:
    """A key's comment as plain text: control characters dropped, spaces collapsed, limited."""
    return _plain_comment(text)[:MAX_COMMENT]


def parse_public_key(text: str) -> ParsedKey:
    """Check one OpenSSH public key line (``ssh-ed25519 AAAA… comment``) and parse it."""
    if len(text) > MAX_KEY_TEXT:
        raise _invalid(
            _("The public key is too long (at most {limit} characters).", limit=MAX_KEY_TEXT)
        )
    body = text.strip(" \t\r\n")
    if "PRIVATE KEY" in body or body.startswith("-----BEGIN"):
        raise _invalid(
            _(
                "This is a private key. Give the public key (the .pub file) and keep the "
                "private key to yourself."
            )
        )
    lines = [line.rstrip("\r") for line in body.split("\n") if line.strip(" \t\r")]
    if not lines:
        raise _invalid(_("Give one SSH public key line (it starts with ssh-ed25519)."))
    if len(lines) > 1:
        raise _invalid(_("Give one public key at a time."))
    line = lines[0]
    if any(_is_control(char) for char in line.replace("\t", " ")):
        raise _invalid(_("The public key contains control characters."))
    fields = line.split()
    name = fields[0]
    if name.endswith("-cert-v01@openssh.com"):
        raise _invalid(_("SSH certificates are not accepted; give the plain public key."))
    if name == "ssh-dss":
        raise _invalid(_("DSA keys are not accepted (they are obsolete); use an ed25519 key."))
    not_a_key = _invalid(
        _("This is not an SSH public key in OpenSSH form (ssh-ed25519 AAAA… comment).")
    )
    if name not in ALGORITHMS or len(fields) < 2:
        raise not_a_key
    try:
        key = asyncssh.import_public_key(f"{name} {fields[1]}")
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise not_a_key from exc
    algorithm = key.get_algorithm()
    if algorithm != name:
        raise not_a_key
    bits = int(getattr(key.pyca_key, "key_size", 0))
    if algorithm == "ssh-rsa" and bits < MIN_RSA_BITS:
        raise _invalid(
            _(
                "RSA keys need at least {minimum} bits; this one has {bits}. Use an ed25519 key.",
                minimum=MIN_RSA_BITS,
                bits=bits,
            )
        )
    public_key = key.export_public_key("openssh").decode("ascii").strip()
    return ParsedKey(
        key=key,
        algorithm=algorithm,
        public_key=public_key,
        fingerprint=key.get_fingerprint("sha256"),
        comment=clean_comment(" ".join(fields[2:])),
    )


def _key_info(row: UserKey) -> KeyInfo:
    return KeyInfo(
        fingerprint=row.fingerprint,
        algorithm=row.algorithm,
        comment=row.comment,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


def _user_named(username: str) -> User:
    user = User.get_or_none(User.username == username.strip().lower())
    if user is None:
        raise NotFound(_("No user named {username}.", username=plain(username)))
    return user


def _keys_of(user_id: int) -> list[KeyInfo]:
    rows = UserKey.select().where(UserKey.user == user_id).order_by(UserKey.created_at, UserKey.id)
    return [_key_info(row) for row in rows]


def _no_such_key(fingerprint: str) -> NotFound:
    return NotFound(_("No key with the fingerprint {fingerprint}.", fingerprint=plain(fingerprint)))


def key_taken(field: str | None = None) -> Duplicate | ValidationError:
    """The one answer to a key registered already: whose it is stays unsaid."""
    message = _("This key is already registered.")
    return ValidationError(message, field=field) if field else Duplicate(message)


def add_key(
    ctx: ServiceContext, username: str, key_text: str, *, comment: str | None = None
) -> KeyInfo:
    """Register a public key for a user (server operator, like ``user add``).

    ``comment`` replaces the key line's own comment; a key line's comment is cut to
    ``MAX_COMMENT``, a comment given here that long is refused.
    """
    parsed = parse_public_key(key_text)
    note = parsed.comment
    if comment is not None:
        note = _plain_comment(comment)
        if len(note) > MAX_COMMENT:
            raise ValidationError(
                _("The comment is too long (at most {limit} characters).", limit=MAX_COMMENT),
                field="comment",
            )

    def write() -> UserKey:
        user = _user_named(username)
        if UserKey.select().where(UserKey.fingerprint == parsed.fingerprint).exists():
            raise key_taken()
        try:
            with ctx.db.atomic():
                row = UserKey.create(
                    user=user.id,
                    algorithm=parsed.algorithm,
                    public_key=parsed.public_key,
                    fingerprint=parsed.fingerprint,
                    comment=note,
                    created_at=ctx.clock.now(),
                )
        except peewee.IntegrityError as exc:
            raise key_taken() from exc
        audit.record(
            ctx,
            None,
            "ssh_key.add",
            target=user.username,
            company_id=user.company_id,
            actor_name="system",
            detail=f"{parsed.fingerprint} {parsed.algorithm}",
        )
        return row

    return _key_info(transaction(write))


def list_keys(ctx: ServiceContext, username: str) -> list[KeyInfo]:
    """A user's keys, oldest first (server operator)."""
    return transaction(lambda: _keys_of(_user_named(username).id), write=False)


def remove_key(ctx: ServiceContext, username: str, fingerprint: str) -> None:
    """Remove one of a user's keys (server operator); another user's key is not found."""
    wanted = fingerprint.strip()

    def write() -> None:
        user = _user_named(username)
        deleted = (
            UserKey.delete()
            .where((UserKey.user == user.id) & (UserKey.fingerprint == wanted))
            .execute()
        )
        if not deleted:
            raise _no_such_key(wanted)
        audit.record(
            ctx,
            None,
            "ssh_key.remove",
            target=user.username,
            company_id=user.company_id,
            actor_name="system",
            detail=wanted,
        )

    transaction(write)


def my_keys(ctx: ServiceContext, session: Session) -> list[KeyInfo]:
    """The logged-in user's own keys."""
    current = require_session(ctx, session)
    return transaction(lambda: _keys_of(current.user_id), write=False)


def remove_my_key(ctx: ServiceContext, session: Session, fingerprint: str) -> None:
    """Remove one of the logged-in user's own keys; anyone else's is not found."""
    current = require_session(ctx, session)
    wanted = fingerprint.strip()

    def write() -> None:
        deleted = (
            UserKey.delete()
            .where((UserKey.user == current.user_id) & (UserKey.fingerprint == wanted))
            .execute()
        )
        if not deleted:
            raise _no_such_key(wanted)
        audit.record(ctx, current, "ssh_key.remove", target=current.username, detail=wanted)

    transaction(write)


def key_refused() -> AuthError:
    """The one answer to every refused key login, whatever the cause."""
    return AuthError(_("The key was not accepted for this user."))


def key_accepted(ctx: ServiceContext, username: str, key: asyncssh.SSHKey) -> bool:
    """Whether ``authenticate_key`` would accept this key for this username; writes nothing.

    For asyncssh's ``validate_public_key``, which runs before the client has proved it holds
    the private key (and for mere "would you take this key?" queries): a public key is no
    secret, so nothing may be granted, audited as a login or marked used at that point.
    """
    name = username.strip().lower()[:64]
    fingerprint = key.get_fingerprint("sha256")
    now = ctx.clock.now()

    def read() -> bool:
        user = User.get_or_none(User.username == name) if name else None
        if user is None or not user.is_active:
            return False
        if user.locked_until is not None and user.locked_until > now:
            return False
        query = UserKey.select().where(
            (UserKey.fingerprint == fingerprint) & (UserKey.user == user.id)
        )
        return bool(query.exists())

    return transaction(read, write=False)


def _record_refusal(
    ctx: ServiceContext, name: str, user: User | None, detail: str, outcome: str
) -> AuthError:
    audit.record(
        ctx,
        None,
        "auth.login",
        target=name,
        outcome=outcome,
        detail=detail,
        actor_name=name,
        company_id=user.company_id if user else None,
    )
    return key_refused()


def refuse_key(ctx: ServiceContext, username: str, key: asyncssh.SSHKey) -> AuthError:
    """Record the refusal of a key ``key_accepted`` said no to, and return its error.

    Audited like ``authenticate_key``'s refusals (``locked`` for a locked user, else
    ``failed``), but it never logs anyone in: the key may have been registered since
    ``key_accepted`` read, and it has not signed anything yet.
    """
    name = username.strip().lower()[:64]
    detail = f"{SSH_KEY_METHOD} {key.get_fingerprint('sha256')}"
    now = ctx.clock.now()

    def write() -> AuthError:
        user = User.get_or_none(User.username == name) if name else None
        locked = user is not None and user.locked_until is not None and user.locked_until > now
        return _record_refusal(ctx, name, user, detail, "locked" if locked else "failed")

    return transaction(write)


def authenticate_key(ctx: ServiceContext, username: str, key: asyncssh.SSHKey) -> Session:
    """Log in by public key: the SSH server's counterpart of ``auth.authenticate``.

    Call it only once the client has proved it holds the private key (asyncssh's
    ``auth_completed``), never from ``validate_public_key`` (use ``key_accepted`` there).
    The user must exist, be active and not locked, and the key's fingerprint must be
    registered for exactly this username. Every refusal raises the same AuthError and is
    audited as a failed ``auth.login`` with the method and the fingerprint.
    """
    name = username.strip().lower()[:64]
    fingerprint = key.get_fingerprint("sha256")
    detail = f"{SSH_KEY_METHOD} {fingerprint}"
    now = ctx.clock.now()

    def write() -> Session | AuthError:
        # Refusals are returned, not raised, so their audit rows commit.
        user = User.get_or_none(User.username == name) if name else None
        row = UserKey.get_or_none(UserKey.fingerprint == fingerprint)
        if user is None or not user.is_active or row is None or row.user_id != user.id:
            return _record_refusal(ctx, name, user, detail, "failed")
        if user.locked_until is not None and user.locked_until > now:
            return _record_refusal(ctx, name, user, detail, "locked")
        UserKey.update(last_used_at=now).where(UserKey.id == row.id).execute()
        User.update(last_login_at=now).where(User.id == user.id).execute()
        session = session_for(user, Company.get_by_id(user.company_id), now)
        audit.record(ctx, session, "auth.login", target=user.username, detail=detail)
        return session

    outcome = transaction(write)
    if isinstance(outcome, AuthError):
        raise outcome
    return outcome


def key_registered(ctx: ServiceContext, fingerprint: str) -> bool:
    """Whether any user holds this key: an SSH activation asks before showing its form, since
    the key it proved will be the new user's (``activation.activate(ssh_public_key=…)``)."""
    return transaction(
        lambda: bool(UserKey.select().where(UserKey.fingerprint == fingerprint).exists()),
        write=False,
    )


def key_still_valid(ctx: ServiceContext, session: Session, fingerprint: str) -> bool:
    """True while the session's user is active in its company and still holds the key."""

    def read() -> bool:
        query = (
            UserKey.select()
            .join(User)
            .where(
                (UserKey.fingerprint == fingerprint)
                & (UserKey.user == session.user_id)
                & (User.is_active == True)  # noqa: E712 - peewee builds SQL from ==
                & (User.company == session.company_id)
            )
        )
        return bool(query.exists())

    return transaction(read, write=False)
