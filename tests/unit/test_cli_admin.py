from pathlib import Path

import pytest

from tests.cli_helpers import Cli


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path / "cli.db", capsys, monkeypatch)


def test_company_and_user_lifecycle(cli: Cli) -> None:
    result = cli(
        "company",
        "add",
        "--country",
        "CL",
        "--tax-id",
        "76.086.428-5",
        "--name",
        "Comercial Andes SpA",
    )
    assert result.code == 0, result.err
    assert "CL:76.086.428-5" in result.out
    result = cli(
        "user",
        "add",
        "--company",
        "cl:760864285",
        "--username",
        "ana",
        "--admin",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert result.code == 0, result.err
    assert "administrator ana" in result.out
    listed = cli("user", "list", "--company", "CL:76086428-5")
    assert "ana" in listed.out and "admin" in listed.out
    assert cli("user", "disable", "ana").code == 0
    assert "disabled" in cli("user", "list").out
    assert cli("user", "enable", "ana").code == 0
    assert cli("user", "unlock", "ana").code == 0


def test_user_errors_exit_1_with_one_line(cli: Cli) -> None:
    cases = [
        ("company", "add", "--country", "CL", "--tax-id", "76.086.428-6", "--name", "X"),
        ("company", "add", "--country", "ZZ", "--tax-id", "123", "--name", "X"),
        ("user", "add", "--company", "CL:76.086.428-5", "--username", "x", "--password-stdin"),
        ("user", "unlock", "nobody"),
        ("user", "list", "--company", "not-a-ref"),
    ]
    for args in cases:
        result = cli(*args, stdin="correct horse battery\n")
        assert result.code == 1, (args, result)
        assert result.err.count("\n") == 1 and result.err.startswith("Error: "), result.err
        assert "Traceback" not in result.err


def test_the_reserved_name_activate_is_refused_in_one_line(cli: Cli) -> None:
    args = ("company", "add", "--country", "CL", "--tax-id", "76.086.428-5", "--name", "A")
    assert cli(*args).code == 0
    user = ("user", "add", "--company", "CL:76.086.428-5", "--password-stdin")
    result = cli(*user, "--username", "Activate", stdin="correct horse battery\n")
    assert result.code == 1
    assert result.err == (
        "Error: The username activate is reserved for activation over SSH; choose another.\n"
    )
    assert "activate" not in cli("user", "list").out


def test_duplicate_company_and_weak_password(cli: Cli) -> None:
    args = ("company", "add", "--country", "CL", "--tax-id", "76.086.428-5", "--name", "A")
    assert cli(*args).code == 0
    dup = cli("company", "add", "--country", "CL", "--tax-id", "760864285", "--name", "B")
    assert dup.code == 1 and "already exists" in dup.err
    weak = cli(
        "user",
        "add",
        "--company",
        "CL:76.086.428-5",
        "--username",
        "bob",
        "--password-stdin",
        stdin="password\n",
    )
    assert weak.code == 1 and "password" in weak.err.lower()


def test_bad_usage_exits_2(cli: Cli) -> None:
    assert cli("company", "add", "--country", "CL").code == 2
    assert cli("no-such-command").code == 2
    assert cli("--lang", "fr", "config", "show").code == 2


def test_config_show_masks_secrets(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOSOCKET_SMTP_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("GOSOCKET_SMTP_HOST", "mail.example")
    result = cli("config", "show")
    assert result.code == 0
    assert "smtp_host = mail.example" in result.out
    assert "hunter2-secret" not in result.out and "********" in result.out


def test_malformed_config_file_one_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("idle_timeout_minutes = [")
    monkeypatch.setenv("GOSOCKET_CONFIG", str(bad))
    result = cli("config", "show")
    assert result.code == 1 and str(bad) in result.err and result.err.count("\n") == 1


def test_db_upgrade_and_newer_db(cli: Cli) -> None:
    first = cli("db", "upgrade")
    assert first.code == 0 and "schema" in first.out
    assert "up to date" in cli("db", "upgrade").out
