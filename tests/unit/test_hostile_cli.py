"""Every command, option and setting fed hostile values: one clear line, never a traceback.

The commands come from the click tree itself: a new command or option without an entry in
``COMMANDS`` fails :func:`test_every_command_and_option_has_an_entry`. Each value is tried in
each option; a refusal must exit 1 (user error) or 2 (bad usage) with exactly one line on
stderr and nothing written (no new or changed file, the database unchanged). A value that is
valid data for an option (a supplier name may be any text) may succeed.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import socket
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import asyncssh
import click
import pytest

from gosocket_tui.cli import _register_commands, main
from gosocket_tui.cli.base import root
from gosocket_tui.config import Config

BUYER = "CL:76.086.428-5"
SUPPLIER = "PE:20100070970"
PASSWORD = "correct horse battery"
KEY_LINE = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()

VALUES: dict[str, str] = {
    "empty": "",
    "huge": "9" * 5000,
    "word": "abc",
    "inf": "inf",
    "nan": "nan",
    "negative": "-1",
    "out_of_range": "99999999999999999999",
    "esc": "\x1b]0;pwned\x07",
    "crlf": "x@y.example\r\nRCPT TO:<z@y.example>",
    "non_utf8": "\udcff\udcfe",  # how Python hands over argv bytes that are not UTF-8
    "markup": "[@click=app.quit]x[/]",
    "bidi": "\u202eabc",
    "c1": "\u009b31m",
}
ALL = frozenset(VALUES)
# What each kind of parameter must refuse; other values may be valid data for it.
STRICT = ALL  # identifiers, numbers, choices, URLs, existing input files
TEXT = frozenset({"huge"})  # free text (names, addresses): any text up to a length
FILTER = frozenset[str]()  # a search filter: any input is a filter or an empty result
OUT_PATH = frozenset({"empty", "huge"})  # a file to write: any other name is a name
SINK_DIR = frozenset({"huge"})
SHOTS_DIR = frozenset({"empty", "huge", "esc", "crlf", "non_utf8", "bidi", "c1"})  # a folder
NEW_NAME = STRICT - {"word", "inf", "nan", "out_of_range"}  # a username to create: "abc" is one
OPTIONAL = STRICT - {"empty"}  # an empty value means "not given"


@dataclass(frozen=True)
class Entry:
    """A valid invocation of one command and the kind of each of its value parameters."""

    argv: tuple[str, ...]
    kinds: dict[str, frozenset[str]]
    stdin: str = ""
    counts_refusals: bool = False  # a refused attempt is recorded (failed activations)


COMMANDS: dict[str, Entry] = {
    "config show": Entry(("config", "show"), {}),
    "db upgrade": Entry(("db", "upgrade"), {}),
    "db copy": Entry(
        ("db", "copy", "--from", "{db}", "--to", "sqlite:///copy.db"),
        {"--from": STRICT, "--to": STRICT},
    ),
    "company add": Entry(
        ("company", "add", "--country", "CL", "--tax-id", "96.790.240-3", "--name", "Nueva SpA"),
        {"--country": STRICT, "--tax-id": STRICT, "--name": TEXT},
    ),
    "company settings": Entry(
        ("company", "settings", "--company", BUYER, "--reminders", "on"),
        {
            "--company": STRICT,
            "--reminders": STRICT,
            "--reminder-days": STRICT,
            "--note": TEXT,
            "--reply-to": OPTIONAL,
            "--format": STRICT,
        },
        counts_refusals=True,  # a refused change is audited
    ),
    "user add": Entry(
        ("user", "add", "--company", BUYER, "--username", "nuevo", "--password-stdin"),
        {"--company": STRICT, "--username": NEW_NAME},
        stdin=PASSWORD + "\n",
    ),
    "user list": Entry(("user", "list", "--company", BUYER), {"--company": OPTIONAL}),
    "user unlock": Entry(("user", "unlock", "ana"), {"username": STRICT}),
    "user disable": Entry(("user", "disable", "ana"), {"username": STRICT}),
    "user enable": Entry(("user", "enable", "ana"), {"username": STRICT}),
    "user key add": Entry(
        ("user", "key", "add", "ana", "-"),
        {"username": STRICT, "stdin_marker": STRICT, "--key-file": STRICT, "--comment": TEXT},
        stdin=KEY_LINE,
    ),
    "user key list": Entry(
        ("user", "key", "list", "ana"), {"username": STRICT, "--format": STRICT}
    ),
    "user key remove": Entry(
        ("user", "key", "remove", "ana", "SHA256:none"), {"username": STRICT, "fingerprint": STRICT}
    ),
    # Without --script it starts the full-screen app (refused here: no terminal).
    "demo": Entry(
        ("demo", "--script", "missing.txt"),
        {"--screenshots": SHOTS_DIR, "--script": STRICT, "--size": STRICT, "--listen": STRICT},
    ),
    "suppliers import": Entry(
        ("suppliers", "import", "missing.csv", "--company", BUYER, "--dry-run"),
        {
            "file": STRICT,
            "--company": STRICT,
            "--on-existing": STRICT,
            "--default-country": STRICT,
            "--report": OUT_PATH,
        },
    ),
    "suppliers template": Entry(
        ("suppliers", "template", "t.csv"),
        {"path": OUT_PATH, "--format": STRICT, "--output": OUT_PATH, "--lang": STRICT},
    ),
    "deploy wrapper": Entry(("deploy", "wrapper"), {}),
    "deploy mail-unit": Entry(("deploy", "mail-unit"), {}),
    "deploy serve-unit": Entry(("deploy", "serve-unit"), {}),
    "suppliers invite": Entry(
        ("suppliers", "invite", "--company", BUYER, SUPPLIER),
        {"--company": STRICT, "tax_ids": STRICT},
    ),
    "suppliers resend": Entry(
        ("suppliers", "resend", "--company", BUYER, "--email", "a@sur.example", SUPPLIER),
        {"--company": STRICT, "--email": STRICT, "tax_id": STRICT},
    ),
    "suppliers cancel": Entry(
        ("suppliers", "cancel", "--company", BUYER, SUPPLIER),
        {"--company": STRICT, "tax_id": STRICT},
    ),
    "suppliers delivery-log": Entry(
        ("suppliers", "delivery-log", "--company", BUYER, SUPPLIER),
        {"--company": STRICT, "tax_id": STRICT},
    ),
    "suppliers list": Entry(
        ("suppliers", "list", "--company", BUYER),
        {
            "--company": STRICT,
            "--tax-id": FILTER,
            "--name": FILTER,
            "--status": OPTIONAL,
            "--group": FILTER,
            "--sort": STRICT,
            "--limit": STRICT - {"out_of_range"},  # a limit above the row count is no limit
            "--format": STRICT,
        },
    ),
    "suppliers stats": Entry(
        ("suppliers", "stats", "--company", BUYER),
        {"--company": STRICT, "--format": STRICT},
    ),
    "suppliers add": Entry(
        (
            "suppliers",
            "add",
            "--company",
            BUYER,
            "--country",
            "CO",
            "--tax-id",
            "860.007.386-1",
            "--name",
            "Andina",
            "--email",
            "a@andina.example",
        ),
        {
            "--company": STRICT,
            "--country": STRICT,
            "--tax-id": STRICT,
            "--name": TEXT,
            "--email": STRICT,
            "--description": TEXT,
            "--address": TEXT,
            "--city": TEXT,
            "--province": TEXT,
            "--phone": TEXT,
            "--fax": TEXT,
            "--groups": TEXT,
            "--language": OPTIONAL,  # empty: the country's default
        },
    ),
    # The address is taken: the server never starts, so nothing (not even a host key) is made.
    "serve": Entry(
        ("serve", "--listen", "127.0.0.1:{busy_port}"),
        {"--listen": STRICT, "--max-sessions": STRICT, "--max-sessions-per-user": STRICT},
    ),
    "mail deliver": Entry(("mail", "deliver"), {"--poll": STRICT, "--connections": STRICT}),
    "smtp-sink": Entry(
        ("smtp-sink", "--port", "{busy_port}"),
        {"--host": STRICT, "--port": STRICT, "--maildir": SINK_DIR},
    ),
    "activate": Entry(
        (
            "activate",
            "--tax-id",
            SUPPLIER,
            "--inviter",
            BUYER,
            "--code",
            "ABCD-EFGH-JKLM",
            "--username",
            "sur.admin",
            "--password-stdin",
        ),
        {
            "--tax-id": STRICT,
            "--inviter": STRICT,
            "--code": STRICT,
            "--username": NEW_NAME,
            "--language": STRICT,
        },
        stdin=PASSWORD + "\n",
        counts_refusals=True,
    ),
}
ROOT_KINDS = {"--db": STRICT, "--lang": STRICT, "--config": STRICT, "--screenshots": SHOTS_DIR}


def _commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def _value_params(command: click.Command) -> dict[str, click.Parameter]:
    """The parameters that take a value, by their first option name (or argument name)."""
    out: dict[str, click.Parameter] = {}
    for param in command.params:
        if isinstance(param, click.Option) and (param.is_flag or param.is_eager):
            continue
        key = max(param.opts, key=len) if isinstance(param, click.Option) else str(param.name)
        out[key] = param
    return out


_register_commands()
TREE = dict(_commands(root))


def test_every_command_and_option_has_an_entry() -> None:
    assert sorted(TREE) == sorted(COMMANDS), "add the new command to COMMANDS"
    for name, command in TREE.items():
        assert sorted(_value_params(command)) == sorted(COMMANDS[name].kinds), name
    assert sorted(_value_params(root)) == sorted(ROOT_KINDS)


@dataclass
class Run:
    code: int
    err: str


class Sandbox:
    """A seeded database in a temporary folder that is also the working directory and HOME."""

    def __init__(self, folder: Path, seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder = folder
        self.db_path = folder / "test.db"
        shutil.copy(seed, self.db_path)
        self.db_url = f"sqlite:///{self.db_path}"
        self.capsys = capsys
        self.busy = socket.socket()
        self.busy.bind(("127.0.0.1", 0))
        self.busy.listen()  # smtp-sink and serve must never start: their port is taken

    def close(self) -> None:
        self.busy.close()

    def fill(self, argv: tuple[str, ...]) -> list[str]:
        port = str(self.busy.getsockname()[1])
        return [a.replace("{db}", self.db_url).replace("{busy_port}", port) for a in argv]

    def run(
        self,
        argv: list[str],
        stdin: str | bytes = "",
        monkeypatch: pytest.MonkeyPatch | None = None,
    ) -> Run:
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        self.capsys.readouterr()
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return Run(code, self.capsys.readouterr().err)

    def state(self) -> tuple[dict[str, tuple[int, int]], str]:
        """Every file (size and mtime) outside the database, and a digest of every row.

        The audit trail is left out: a refused action is recorded there on purpose.
        """
        files = {}
        for path in sorted(self.folder.rglob("*")):
            if path.is_file() and not path.name.startswith("test.db"):
                stat = path.stat()
                files[str(path.relative_to(self.folder))] = (stat.st_size, stat.st_mtime_ns)
        digest = hashlib.sha256()
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in sorted(set(tables) - {"audit_event"}):  # refusals are audited
                for row in sorted(map(repr, conn.execute(f"SELECT * FROM {table}"))):
                    digest.update(f"{table}{row}".encode("utf-8", "surrogatepass"))
        conn.close()
        return files, digest.hexdigest()


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with a buyer, its administrator and one supplier invited (mail queued)."""
    folder = tmp_path_factory.mktemp("seed")
    url = f"sqlite:///{folder / 'seed.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOSOCKET_CONFIG", str(folder / "none.toml"))
        steps: list[tuple[list[str], str]] = [
            (["company", "add", "--country", "CL", "--tax-id", BUYER[3:], "--name", "Andes"], ""),
            (
                ["user", "add", "--company", BUYER, "--username", "ana", "--password-stdin"],
                PASSWORD + "\n",
            ),
            (
                [
                    "suppliers",
                    "add",
                    "--company",
                    "CL:76.086.428-5",
                    "--country",
                    "PE",
                    "--tax-id",
                    "20100070970",
                    "--name",
                    "Sur",
                    "--email",
                    "f@sur.example",
                ],
                "",
            ),
            (["suppliers", "invite", "--company", BUYER, SUPPLIER], ""),
        ]
        for argv, stdin in steps:
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            with pytest.raises(SystemExit) as done:
                main(["--db", url, *argv])
            assert done.value.code == 0, argv
    return folder / "seed.db"


@pytest.fixture
def sandbox(
    tmp_path: Path, seed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sandbox]:
    monkeypatch.chdir(tmp_path)
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "home"))
    for name in [f"GOSOCKET_{f.name.upper()}" for f in fields(Config)] + ["GOSOCKET_CONFIG"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    box = Sandbox(tmp_path, seed, capsys)
    monkeypatch.setenv("GOSOCKET_DB", box.db_url)
    yield box
    box.close()


def _check(
    box: Sandbox,
    label: str,
    must_refuse: bool,
    before: tuple[dict[str, tuple[int, int]], str],
    run: Run,
    *,
    counts_refusals: bool = False,
) -> list[str]:
    """The problems with one run (empty when it behaved)."""
    problems = []
    lines = run.err.splitlines()
    if "Traceback" in run.err or "unexpected" in run.err:
        problems.append(f"{label}: crashed: {run.err[:300]!r}")
    if run.code not in (0, 1, 2):
        problems.append(f"{label}: exit {run.code}")
    if run.code != 0:
        if len(lines) != 1 or run.err.count("\n") != 1 or "\r" in run.err:
            problems.append(f"{label}: stderr is not one line: {run.err[:300]!r}")
        files, rows = box.state()
        if files != before[0] or (rows != before[1] and not counts_refusals):
            problems.append(f"{label}: refused but wrote something")
    elif must_refuse:
        problems.append(f"{label}: accepted")
    if any(ch in run.err for ch in "\x1b\x07\u202e\u009b"):
        problems.append(f"{label}: raw control character on stderr")
    return problems


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_with_every_hostile_value(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    entry = COMMANDS[name]
    params = _value_params(TREE[name])
    problems: list[str] = []
    for key, refuse in entry.kinds.items():
        base = sandbox.fill(entry.argv)
        for value_name, value in VALUES.items():
            if key.startswith("-"):
                argv = list(base)
                if key in argv:
                    argv[argv.index(key) + 1] = value
                else:
                    argv[len(name.split()) : len(name.split())] = [key, value]
            else:
                # Replace the argument: it is the first positional after the command words.
                argv = [
                    *base[: len(name.split())],
                    *_replace_positional(base[len(name.split()) :], params, value),
                ]
            before = sandbox.state()
            run = sandbox.run(argv, entry.stdin, monkeypatch)
            label = f"{name} {key}={value_name}"
            must_refuse = value_name in refuse
            counts = entry.counts_refusals
            problems += _check(sandbox, label, must_refuse, before, run, counts_refusals=counts)
    assert not problems, "\n".join(problems)


def _replace_positional(
    rest: list[str], params: dict[str, click.Parameter], value: str
) -> list[str]:
    """``rest`` (options and arguments) with its first argument replaced by ``value``."""
    takes_value = {o for p in params.values() if isinstance(p, click.Option) for o in p.opts}
    i = 0
    while i < len(rest):
        if rest[i] in takes_value:
            i += 2
        elif rest[i].startswith("-"):
            i += 1
        else:
            return [*rest[:i], value, *rest[i + 1 :]]
    raise AssertionError("no positional argument in the base invocation")


@pytest.mark.parametrize("option", sorted(ROOT_KINDS))
def test_root_options_with_every_hostile_value(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    problems: list[str] = []
    for value_name, value in VALUES.items():
        argv = [option, value, "db", "upgrade"]
        before = sandbox.state()
        run = sandbox.run(argv, "", monkeypatch)
        refuse = value_name in ROOT_KINDS[option]
        problems += _check(sandbox, f"{option}={value_name}", refuse, before, run)
    assert not problems, "\n".join(problems)


TEXT_SETTINGS = {f.name for f in fields(Config) if f.type == "str" and f.name != "lang"}
TEXT_REFUSED = frozenset({"huge", "esc", "crlf", "non_utf8", "bidi", "c1"})
TOML_WRONG_TYPES = {
    "list": "[1, 2]",
    "table": "{ a = 1 }",
    "bool": "true",
    "float": "1.5",
    "int": "-1",
    "inf": "inf",
    "nan": "nan",
    "huge_int": "99999999999999999999",
    "date": "2024-01-01",
}


@pytest.mark.parametrize("setting", [f.name for f in fields(Config)])
def test_every_setting_with_every_hostile_value(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    """Each setting as an environment variable and as a config.toml value."""
    problems: list[str] = []
    env_name = f"GOSOCKET_{setting.upper()}"
    config_file = sandbox.folder / "config.toml"
    for value_name, value in VALUES.items():
        if value_name == "empty":
            continue  # an empty variable is an unset one
        refuse = value_name in TEXT_REFUSED if setting in TEXT_SETTINGS else True
        if setting == "db":
            refuse = True
        monkeypatch.setenv(env_name, value)
        before = sandbox.state()
        run = sandbox.run(["db", "upgrade"], "", monkeypatch)
        problems += _check(sandbox, f"{env_name}={value_name}", refuse, before, run)
        monkeypatch.delenv(env_name)
    if setting in {"db", "smtp_password"}:
        return  # the password may not be in a file; a database URL is checked as above
    monkeypatch.setenv("GOSOCKET_CONFIG", str(config_file))
    literals = {name: json.dumps(value) for name, value in VALUES.items()}
    literals |= {f"toml_{name}": text for name, text in TOML_WRONG_TYPES.items()}
    for value_name, literal in literals.items():
        is_text_value = not value_name.startswith("toml_")
        if setting in TEXT_SETTINGS:
            refuse = not is_text_value or value_name in TEXT_REFUSED
        elif setting == "smtp_verify_tls":
            refuse = value_name != "toml_bool"
        elif setting in {"smtp_timeout_seconds"}:
            refuse = value_name not in {"toml_float"}
        else:
            refuse = True
        config_file.write_text(f"{setting} = {literal}\n", encoding="utf-8")
        before = sandbox.state()
        run = sandbox.run(["db", "upgrade"], "", monkeypatch)
        problems += _check(sandbox, f"config.toml {setting} = {value_name}", refuse, before, run)
    config_file.unlink()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "stdin",
    [b"", b"\n", b"\xff\xfe secret\n", b"caf\xe9\n"],
    ids=["none", "blank", "binary", "latin1"],
)
@pytest.mark.parametrize("command", ["user add", "activate"])
def test_password_on_stdin_that_is_missing_or_not_utf8(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, command: str, stdin: bytes
) -> None:
    before = sandbox.state()
    run = sandbox.run(sandbox.fill(COMMANDS[command].argv), stdin, monkeypatch)
    assert not _check(sandbox, command, True, before, run, counts_refusals=True)
