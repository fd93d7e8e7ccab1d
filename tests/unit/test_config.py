from pathlib import Path

import pytest

from gosocket_tui.config import Config, load_config
from gosocket_tui.errors import ConfigError


def test_defaults_use_platform_dirs(tmp_path: Path) -> None:
    config = load_config(env={}, config_path=tmp_path / "none.toml")
    assert config.db.startswith("sqlite:///") and config.db.endswith("gosocket.db")
    assert config.idle_timeout_minutes == 15
    assert config.activation_code_lifetime_hours == 7 * 24
    assert config.smtp_verify_tls is True


def test_precedence_flag_env_file_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('lang = "es"\n[smtp]\nhost = "file.example"\nport = 2525\nsender = "f@x.y"\n')
    env = {"GOSOCKET_SMTP_HOST": "env.example", "LANG": "en_US.UTF-8"}
    config = load_config({"smtp_host": "flag.example"}, env=env, config_path=path)
    assert config.smtp_host == "flag.example"
    config = load_config({}, env=env, config_path=path)
    assert config.smtp_host == "env.example"
    assert config.smtp_port == 2525  # from the file
    assert config.smtp_sender == "f@x.y"
    assert config.lang == "es"  # config file beats LANG
    assert config.smtp_security == "starttls"  # default


def test_language_flag_then_config_then_lang(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    assert load_config(env={"LANG": "es_CL.UTF-8"}, config_path=missing).lang == "es"
    assert load_config(env={"LANG": "C"}, config_path=missing).lang == "en"
    assert load_config({"lang": "en"}, env={"LANG": "es_ES"}, config_path=missing).lang == "en"


def test_env_values_are_typed(tmp_path: Path) -> None:
    env = {
        "GOSOCKET_SMTP_PORT": "465",
        "GOSOCKET_SMTP_SECURITY": "SSL",
        "GOSOCKET_SMTP_PASSWORD": "s3cret",
        "GOSOCKET_IDLE_TIMEOUT_MINUTES": "5",
        "GOSOCKET_SMTP_VERIFY_TLS": "false",
    }
    config = load_config(env=env, config_path=tmp_path / "none.toml")
    assert (config.smtp_port, config.smtp_security, config.idle_timeout_minutes) == (465, "ssl", 5)
    assert config.smtp_verify_tls is False
    assert config.masked()["smtp_password"] == "********"
    assert "s3cret" not in repr(config.masked())


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("lang = ", "not valid TOML"),
        ("smtp_port = 'abc'", "invalid value for smtp_port"),
        ("colour = 'red'", "unknown setting 'colour'"),
        ("[smtp]\npassword = 'x'", "may not be stored in a file"),
        ("smtp_security = 'tls'", "expected one of none, starttls, ssl"),
    ],
)
def test_malformed_file_names_the_file(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_config(env={}, config_path=path)
    message = info.value.message
    assert str(path) in message and needle in message and "\n" not in message


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GOSOCKET_SMTP_PORT"):
        load_config(env={"GOSOCKET_SMTP_PORT": "twenty"}, config_path=tmp_path / "n.toml")


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Config().lang = "es"  # type: ignore[misc]
