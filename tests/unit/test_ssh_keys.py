"""SSH public keys as app credentials: real keys made by asyncssh, a real SQLite file."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import asyncssh
import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.db.models import AuditEvent, User, UserKey
from gosocket_tui.errors import AuthError, Duplicate, NotFound, SessionExpired, ValidationError
from gosocket_tui.i18n import set_language
from gosocket_tui.services import auth, ssh_keys
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from tests.cli_helpers import Cli


def new_key(algorithm: str = "ssh-ed25519", **options: object) -> asyncssh.SSHKey:
    return asyncssh.generate_private_key(algorithm, comment="ana@laptop", **options)


def public_line(key: asyncssh.SSHKey) -> str:
    return key.export_public_key().decode("ascii")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["ssh-ed25519", "ecdsa-sha2-nistp256"])
def test_a_public_key_line_is_normalised_without_its_comment(algorithm: str) -> None:
    key = new_key(algorithm)
    parsed = ssh_keys.parse_public_key("  " + public_line(key).replace(" ", "   ") + "\r\n")
    assert parsed.algorithm == algorithm
    assert parsed.fingerprint == key.get_fingerprint("sha256")
    assert parsed.fingerprint.startswith("SHA256:")
    assert parsed.public_key == public_line(key).rsplit(" ", 1)[0]
    assert parsed.comment == "ana@laptop"


def test_rsa_of_2048_bits_is_accepted() -> None:
    parsed = ssh_keys.parse_public_key(public_line(new_key("ssh-rsa", key_size=2048)))
    assert parsed.algorithm == "ssh-rsa"


ED25519 = new_key()
CA = new_key()

BAD_KEYS = {
    "empty": ("", "Give one SSH public key line"),
    "blank lines": ("\n \r\n", "Give one SSH public key line"),
    "private key": (ED25519.export_private_key().decode(), "This is a private key"),
    "private PEM": (ED25519.export_private_key("pkcs8-pem").decode(), "This is a private key"),
    "two keys": (public_line(ED25519) + public_line(new_key()), "one public key at a time"),
    "certificate": (
        CA.generate_user_certificate(ED25519, "ana").export_certificate().decode(),
        "certificates are not accepted",
    ),
    "garbage": ("hello world", "not an SSH public key"),
    "algorithm only": ("ssh-ed25519", "not an SSH public key"),
    "bad base64": ("ssh-ed25519 AAAA!!!!", "not an SSH public key"),
    "blob of another type": (
        "ssh-rsa " + public_line(ED25519).split()[1],
        "not an SSH public key",
    ),
    "authorized_keys options": ("no-pty " + public_line(ED25519), "not an SSH public key"),
    "markup": ("[@click=app.quit]x[/] " + public_line(ED25519), "not an SSH public key"),
    "dsa": (public_line(new_key("ssh-dss")), "DSA keys are not accepted"),
    "rsa 1024": (public_line(new_key("ssh-rsa", key_size=1024)), "at least 2048 bits"),
    "huge": ("ssh-ed25519 " + "A" * 10_000, "too long"),
    "escape in comment": (public_line(ED25519).strip() + "\x1b[2J", "control characters"),
    "bidi override": (public_line(ED25519).strip() + " \u202eevil", "control characters"),
    "C1 CSI": (public_line(ED25519).strip() + " \x9b31m", "control characters"),
    "NUL": ("ssh-ed25519\x00" + public_line(ED25519).split()[1], "control characters"),
}


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_bad_key_text_is_refused_with_one_clear_message(case: str) -> None:
    text, message = BAD_KEYS[case]
    with pytest.raises(ValidationError, match=message) as raised:
        ssh_keys.parse_public_key(text)
    assert raised.value.field == "key"
    assert "\n" not in raised.value.message


def test_messages_are_translated() -> None:
    set_language("es")
    with pytest.raises(ValidationError, match="Esta es una clave privada"):
        ssh_keys.parse_public_key(ED25519.export_private_key().decode())
    with pytest.raises(ValidationError, match="no es una clave pública SSH"):
        ssh_keys.parse_public_key("hello")


# --- operator commands ----------------------------------------------------------------------


def test_add_list_remove(ctx: ServiceContext, buyers: object, clock: FixedClock) -> None:
    first, second = new_key(), new_key("ecdsa-sha2-nistp256")
    added = ssh_keys.add_key(ctx, "ana", public_line(first))
    clock.advance(minutes=1)
    ssh_keys.add_key(ctx, " ANA ", public_line(second), comment="work\x1b[31m \u202ePC\n")
    listed = ssh_keys.list_keys(ctx, "ana")
    assert [k.fingerprint for k in listed] == [
        first.get_fingerprint("sha256"),
        second.get_fingerprint("sha256"),
    ]
    assert listed[0] == added and added.comment == "ana@laptop" and added.last_used_at is None
    assert listed[1].comment == "work[31m PC"
    stored = UserKey.get(UserKey.fingerprint == added.fingerprint)
    assert stored.public_key == public_line(first).rsplit(" ", 1)[0]
    assert ssh_keys.list_keys(ctx, "carlos") == []

    ssh_keys.remove_key(ctx, "ana", added.fingerprint)
    assert [k.fingerprint for k in ssh_keys.list_keys(ctx, "ana")] == [listed[1].fingerprint]
    assert [(e.target, e.detail) for e in events("ssh_key.add")] == [
        ("ana", f"{added.fingerprint} ssh-ed25519"),
        ("ana", f"{listed[1].fingerprint} ecdsa-sha2-nistp256"),
    ]
    assert [(e.target, e.detail, e.actor_name) for e in events("ssh_key.remove")] == [
        ("ana", added.fingerprint, "system")
    ]


def test_comment_is_length_limited(ctx: ServiceContext, buyers: object) -> None:
    line = public_line(new_key()).strip() + " " + "y" * 5000
    assert ssh_keys.add_key(ctx, "ana", line).comment == ("ana@laptop " + "y" * 100)[:100]
    with pytest.raises(ValidationError, match="comment is too long") as raised:
        ssh_keys.add_key(ctx, "ana", public_line(new_key()), comment="x" * 5000)
    assert raised.value.field == "comment"
    assert len(ssh_keys.list_keys(ctx, "ana")) == 1


def test_a_key_belongs_to_one_user_and_the_refusal_does_not_say_whose(
    ctx: ServiceContext, buyers: object
) -> None:
    line = public_line(new_key())
    ssh_keys.add_key(ctx, "ana", line)
    for username in ("ana", "lucia"):
        with pytest.raises(Duplicate) as raised:
            ssh_keys.add_key(ctx, username, line, comment="again")
        assert "ana" not in raised.value.message
    assert ssh_keys.list_keys(ctx, "lucia") == []
    assert len(events("ssh_key.add")) == 1


def test_unknown_user(ctx: ServiceContext, buyers: object) -> None:
    with pytest.raises(NotFound, match="No user named nadie"):
        ssh_keys.add_key(ctx, "nadie", public_line(new_key()))
    with pytest.raises(NotFound):
        ssh_keys.list_keys(ctx, "nadie")
    assert UserKey.select().count() == 0


def test_removing_another_users_key_finds_nothing(ctx: ServiceContext, buyers: object) -> None:
    info = ssh_keys.add_key(ctx, "ana", public_line(new_key()))
    with pytest.raises(NotFound):
        ssh_keys.remove_key(ctx, "lucia", info.fingerprint)
    with pytest.raises(NotFound):
        ssh_keys.remove_key(ctx, "ana", "SHA256:nothing")
    assert [k.fingerprint for k in ssh_keys.list_keys(ctx, "ana")] == [info.fingerprint]
    assert events("ssh_key.remove") == []


# --- the user's own keys --------------------------------------------------------------------


def test_each_user_sees_and_removes_only_their_own_keys(
    ctx: ServiceContext, admin: Session, viewer: Session
) -> None:
    mine = ssh_keys.add_key(ctx, "carlos", public_line(new_key()))
    theirs = ssh_keys.add_key(ctx, "ana", public_line(new_key()))
    assert ssh_keys.my_keys(ctx, viewer) == [mine]
    with pytest.raises(NotFound):
        ssh_keys.remove_my_key(ctx, viewer, theirs.fingerprint)
    assert ssh_keys.my_keys(ctx, admin) == [theirs]
    ssh_keys.remove_my_key(ctx, viewer, mine.fingerprint)
    assert ssh_keys.my_keys(ctx, viewer) == []
    (event,) = events("ssh_key.remove")
    assert (event.actor_id, event.company_id, event.detail) == (
        viewer.user_id,
        viewer.company_id,
        mine.fingerprint,
    )


def test_a_disabled_user_cannot_list_or_remove_keys(ctx: ServiceContext, viewer: Session) -> None:
    mine = ssh_keys.add_key(ctx, "carlos", public_line(new_key()))
    auth.set_user_active(ctx, "carlos", False)
    with pytest.raises(SessionExpired):
        ssh_keys.my_keys(ctx, viewer)
    with pytest.raises(SessionExpired):
        ssh_keys.remove_my_key(ctx, viewer, mine.fingerprint)
    assert UserKey.select().count() == 1


# --- login by key ---------------------------------------------------------------------------


def test_a_registered_key_logs_its_user_in(
    ctx: ServiceContext, buyers: object, clock: FixedClock
) -> None:
    key = new_key()
    info = ssh_keys.add_key(ctx, "ana", public_line(key))
    clock.advance(hours=1)
    session = ssh_keys.authenticate_key(ctx, "Ana", key.convert_to_public())
    password_session = auth.authenticate(ctx, "ana", "correct horse battery")
    assert session == password_session
    assert ssh_keys.list_keys(ctx, "ana")[0].last_used_at == clock.now()
    logins = [e for e in events("auth.login") if e.detail.startswith("ssh-key")]
    assert [(e.target, e.outcome, e.detail, e.actor_id) for e in logins] == [
        ("ana", "ok", f"ssh-key {info.fingerprint}", session.user_id)
    ]


def _refused(ctx: ServiceContext, username: str, key: asyncssh.SSHKey, outcome: str) -> None:
    before = AuditEvent.select().count()
    with pytest.raises(AuthError) as raised:
        ssh_keys.authenticate_key(ctx, username, key)
    assert type(raised.value) is AuthError
    assert raised.value.message == "The key was not accepted for this user."
    new = list(AuditEvent.select().where(AuditEvent.id > before))
    assert [(e.action, e.outcome, e.detail) for e in new] == [
        ("auth.login", outcome, f"ssh-key {key.get_fingerprint('sha256')}")
    ]


def test_every_refused_key_login_is_the_same_and_audited(
    ctx: ServiceContext, buyers: object, clock: FixedClock
) -> None:
    ana_key, carlos_key, stray = new_key(), new_key(), new_key()
    ssh_keys.add_key(ctx, "ana", public_line(ana_key))
    ssh_keys.add_key(ctx, "carlos", public_line(carlos_key))

    _refused(ctx, "nadie", ana_key, "failed")  # unknown user
    _refused(ctx, "", ana_key, "failed")
    _refused(ctx, "ana", stray, "failed")  # a key nobody registered
    _refused(ctx, "ana", carlos_key, "failed")  # another user's key
    _refused(ctx, "lucia", ana_key, "failed")  # another company's user, ana's key

    User.update(locked_until=clock.now() + timedelta(minutes=5)).where(
        User.username == "ana"
    ).execute()
    _refused(ctx, "ana", ana_key, "locked")
    clock.advance(minutes=6)
    ssh_keys.authenticate_key(ctx, "ana", ana_key)

    auth.set_user_active(ctx, "ana", False)
    _refused(ctx, "ana", ana_key, "failed")
    assert UserKey.get(UserKey.user == User.get(User.username == "carlos").id).last_used_at is None


def test_refuse_key_audits_like_authenticate_key_and_grants_nothing(
    ctx: ServiceContext, buyers: object, clock: FixedClock
) -> None:
    """The server's refusal of a key, even one registered a moment ago: no login, no use."""
    ana_key = new_key()
    ssh_keys.add_key(ctx, "ana", public_line(ana_key))
    fingerprint = ana_key.get_fingerprint("sha256")
    error = ssh_keys.refuse_key(ctx, "ana", ana_key)
    assert error.message == "The key was not accepted for this user."
    User.update(locked_until=clock.now() + timedelta(minutes=5)).where(
        User.username == "ana"
    ).execute()
    ssh_keys.refuse_key(ctx, "ana", ana_key)
    ssh_keys.refuse_key(ctx, "nadie", ana_key)
    assert [(e.target, e.outcome, e.detail) for e in events("auth.login")] == [
        ("ana", "failed", f"ssh-key {fingerprint}"),
        ("ana", "locked", f"ssh-key {fingerprint}"),
        ("nadie", "failed", f"ssh-key {fingerprint}"),
    ]
    assert UserKey.get(UserKey.fingerprint == fingerprint).last_used_at is None
    assert User.get(User.username == "ana").last_login_at is None


def test_key_accepted_answers_like_authenticate_key_and_writes_nothing(
    ctx: ServiceContext, buyers: object, clock: FixedClock
) -> None:
    """asyncssh asks before the client proves it holds the key: a public key is no secret."""
    ana_key, carlos_key, stray = new_key(), new_key(), new_key()
    ssh_keys.add_key(ctx, "ana", public_line(ana_key))
    ssh_keys.add_key(ctx, "carlos", public_line(carlos_key))
    before = AuditEvent.select().count()
    assert ssh_keys.key_accepted(ctx, " Ana", ana_key)
    for username, key in [("ana", stray), ("ana", carlos_key), ("nadie", ana_key), ("", ana_key)]:
        assert not ssh_keys.key_accepted(ctx, username, key)
    User.update(locked_until=clock.now() + timedelta(minutes=5)).where(
        User.username == "ana"
    ).execute()
    assert not ssh_keys.key_accepted(ctx, "ana", ana_key)
    clock.advance(minutes=6)
    auth.set_user_active(ctx, "carlos", False)
    assert not ssh_keys.key_accepted(ctx, "carlos", carlos_key)
    assert AuditEvent.select().count() == before + 1  # the disable only
    assert UserKey.select().where(UserKey.last_used_at.is_null(False)).count() == 0


def test_key_still_valid_until_the_user_is_disabled_or_the_key_removed(
    ctx: ServiceContext, buyers: object
) -> None:
    ana_key, carlos_key = new_key(), new_key()
    ana_fp = ssh_keys.add_key(ctx, "ana", public_line(ana_key)).fingerprint
    carlos_fp = ssh_keys.add_key(ctx, "carlos", public_line(carlos_key)).fingerprint
    ana = ssh_keys.authenticate_key(ctx, "ana", ana_key)
    carlos = ssh_keys.authenticate_key(ctx, "carlos", carlos_key)
    assert ssh_keys.key_still_valid(ctx, ana, ana_fp)
    assert not ssh_keys.key_still_valid(ctx, ana, carlos_fp)

    auth.set_user_active(ctx, "ana", False)
    assert not ssh_keys.key_still_valid(ctx, ana, ana_fp)
    auth.set_user_active(ctx, "ana", True)
    assert ssh_keys.key_still_valid(ctx, ana, ana_fp)

    ssh_keys.remove_key(ctx, "carlos", carlos_fp)
    assert not ssh_keys.key_still_valid(ctx, carlos, carlos_fp)
    assert ssh_keys.key_still_valid(ctx, ana, ana_fp)


# --- command line ---------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    cli("company", "add", "--country", "CL", "--tax-id", "76.086.428-5", "--name", "Andes")
    cli(
        "user",
        "add",
        "--company",
        "CL:76.086.428-5",
        "--username",
        "ana",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    return cli


def test_cli_add_list_remove(cli: Cli, tmp_path: Path) -> None:
    first, second = new_key(), new_key()
    first.write_public_key(tmp_path / "first.pub")
    added = cli("user", "key", "add", "ana", "--key-file", str(tmp_path / "first.pub"))
    assert added.code == 0, added.err
    assert first.get_fingerprint("sha256") in added.out
    by_stdin = cli(
        "user", "key", "add", "ana", "-", "--comment", "phone", stdin=public_line(second)
    )
    assert by_stdin.code == 0, by_stdin.err
    table = cli("user", "key", "list", "ana")
    assert first.get_fingerprint("sha256") in table.out and "phone" in table.out
    listed = json.loads(cli("user", "key", "list", "ana", "--format", "json").out)
    assert [(k["fingerprint"], k["comment"]) for k in listed] == [
        (first.get_fingerprint("sha256"), "ana@laptop"),
        (second.get_fingerprint("sha256"), "phone"),
    ]
    removed = cli("user", "key", "remove", "ana", first.get_fingerprint("sha256"))
    assert removed.code == 0, removed.err
    assert len(json.loads(cli("user", "key", "list", "ana", "--format", "json").out)) == 1


def test_cli_refusals_are_one_line(cli: Cli, tmp_path: Path) -> None:
    key = new_key()
    key.write_private_key(tmp_path / "id_ed25519")
    (tmp_path / "huge.pub").write_text("ssh-ed25519 " + "A" * 10_000_000)
    (tmp_path / "latin1.pub").write_bytes(public_line(key).encode() + b"caf\xe9\n")
    cases: list[tuple[tuple[str, ...], str, int, str]] = [
        (("ana",), "", 2, "--key-file FILE, or -"),
        (("ana", "-", "--key-file", str(tmp_path / "id_ed25519")), "", 2, "--key-file FILE"),
        (("ana", "x"), "", 2, "--key-file FILE"),
        (("ana", "--key-file", str(tmp_path / "id_ed25519")), "", 1, "private key"),
        (("ana", "--key-file", str(tmp_path / "huge.pub")), "", 1, "too long"),
        (("ana", "--key-file", str(tmp_path / "latin1.pub")), "", 1, "not UTF-8"),
        (("ana", "--key-file", str(tmp_path / "missing.pub")), "", 2, "does not exist"),
        (("nadie", "-"), public_line(key), 1, "No user named nadie"),
    ]
    for args, stdin, code, message in cases:
        result = cli("user", "key", "add", *args, stdin=stdin)
        assert result.code == code, (args, result)
        assert result.err.count("\n") == 1 and message in result.err, (args, result.err)
    assert json.loads(cli("user", "key", "list", "ana", "--format", "json").out) == []
    gone = cli("user", "key", "remove", "ana", "SHA256:nothing")
    assert gone.code == 1 and gone.err.count("\n") == 1
