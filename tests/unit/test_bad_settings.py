"""Every setting is checked for type and range, every database URL for its form, before use."""

from __future__ import annotations

from pathlib import Path

import pytest

from gosocket_tui.config import load_config
from gosocket_tui.db.connection import open_database
from gosocket_tui.errors import ConfigError, DatabaseError


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("smtp_port", "0"),
        ("smtp_port", "65536"),
        ("smtp_port", "-25"),
        ("smtp_port", "1e3"),
        ("smtp_port", "٣"),  # a digit, but not an ASCII one
        ("smtp_timeout_seconds", "inf"),
        ("smtp_timeout_seconds", "nan"),
        ("smtp_timeout_seconds", "-1"),
        ("smtp_timeout_seconds", "0"),
        ("activation_code_lifetime_hours", "99999999999999999"),
        ("activation_code_lifetime_hours", "0"),
        ("lockout_threshold", "0"),
        ("idle_timeout_minutes", "0"),
        ("delivery_max_attempts", "1000000"),
        pytest.param("import_max_rows", "9" * 5000, id="import_max_rows-huge"),
        ("smtp_verify_tls", "maybe"),
        ("smtp_security", "tls"),
        ("lang", "fr"),
        ("smtp_sender", "a@b.c\r\nRCPT TO:<x@y.z>"),
        ("smtp_host", "mail\x1b]0;x\x07"),
        pytest.param("smtp_host", "h" * 300, id="smtp_host-huge"),
        ("activation_url", "https://x.example/\udcff"),
        ("exchange_max_bytes", "0"),
        ("exchange_max_files", "0"),
        ("sftp_port", "65536"),
        ("sftp_host", "host; rm -rf ~"),
        ("sftp_host", "$(id)"),
        ("sftp_host", "h\u202e"),
    ],
)
def test_bad_env_value_is_one_line_naming_the_variable(
    tmp_path: Path, name: str, value: str
) -> None:
    env_name = f"GOSOCKET_{name.upper()}"
    with pytest.raises(ConfigError) as caught:
        load_config(env={env_name: value}, config_path=tmp_path / "none.toml")
    message = caught.value.message
    assert env_name in message and name in message
    assert "\n" not in message and "\r" not in message and "\x1b" not in message


@pytest.mark.parametrize(
    "line",
    [
        "smtp_port = [1, 2]",
        "smtp_port = 1.5",
        "smtp_port = true",
        "smtp_timeout_seconds = inf",
        "smtp_timeout_seconds = nan",
        "activation_code_lifetime_hours = 99999999999999999",
        "lang = 3",
        "smtp_host = [1]",
        "smtp_verify_tls = 2024-01-01",
        'db = "sqlite:///x\\u0000.db"',
        "[smtp]\nport = -1",
    ],
)
def test_bad_file_value_is_one_line_naming_the_file(tmp_path: Path, line: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(env={}, config_path=path)
    message = caught.value.message
    assert str(path) in message and "invalid value for" in message and "\n" not in message


def test_config_path_that_is_a_folder_or_too_long(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / ("c" * 5000)):
        with pytest.raises(ConfigError, match="cannot read the config file"):
            load_config(env={}, config_path=path)


def test_good_values_at_the_bounds(tmp_path: Path) -> None:
    env = {
        "GOSOCKET_SMTP_PORT": "65535",
        "GOSOCKET_SMTP_TIMEOUT_SECONDS": "2.5",
        "GOSOCKET_ACTIVATION_CODE_LIFETIME_HOURS": "1",
        "GOSOCKET_LANG": "es_CL.UTF-8",
    }
    config = load_config(env=env, config_path=tmp_path / "none.toml")
    assert (config.smtp_port, config.smtp_timeout_seconds) == (65535, 2.5)
    assert (config.activation_code_lifetime_hours, config.lang) == (1, "es")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://relative.db",
        "mysql://user:pw@localhost/x",
        "sqlite:///x.db?mode=ro",
        "sqlite:///x.db#frag",
        "sqlite:///",
        "sqlite:///folder/",
        "sqlite:x.db",
        "x.db",
        "",
        pytest.param("sqlite:///" + "a" * 300 + "/x.db", id="name-too-long"),
        pytest.param("sqlite:///" + "/".join(["d"] * 3000), id="path-too-long"),
        "sqlite:///no-such-folder-is-a-file.txt/x.db",
    ],
)
def test_bad_database_url_is_refused_before_any_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "no-such-folder-is-a-file.txt").write_text("")
    with pytest.raises(DatabaseError) as caught:
        open_database(url, bind=False)
    assert "\n" not in caught.value.message and "pw" not in caught.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-such-folder-is-a-file.txt"]


def test_documented_sqlite_forms_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for url in (f"sqlite:///{tmp_path}/abs.db", "sqlite:///rel.db", "sqlite:///:memory:"):
        open_database(url, bind=False).close()
    assert {"abs.db", "rel.db"} <= {p.name for p in tmp_path.iterdir()}


def test_missing_source_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no database"):
        open_database(f"sqlite:///{tmp_path}/missing.db", bind=False, create=False)
    assert list(tmp_path.iterdir()) == []
