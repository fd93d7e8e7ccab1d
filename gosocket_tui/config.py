"""Effective configuration: flag, then env ``GOSOCKET_<NAME>``, then ``config.toml``, then default.

The config file is TOML with the same names as the fields below (``[smtp]`` may group the
``smtp_*`` settings: ``[smtp] host = …`` is ``smtp_host``). The SMTP password is only ever
read from ``GOSOCKET_SMTP_PASSWORD`` so it never sits in a file other users might read.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args

import platformdirs

from gosocket_tui.errors import ConfigError
from gosocket_tui.i18n import language_from_env, normalize_language

APP_NAME = "gosocket-tui"
SmtpSecurity = Literal["none", "starttls", "ssl"]
SECRET_FIELDS = frozenset({"smtp_password"})
ENV_ONLY_FIELDS = frozenset({"smtp_password"})


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_db_url() -> str:
    return "sqlite:///" + str(Path(platformdirs.user_data_dir(APP_NAME)) / "gosocket.db")


@dataclass(frozen=True)
class Config:
    """Every setting the app reads. Durations carry their unit in the name."""

    db: str = ""
    lang: str = "en"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: SmtpSecurity = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_sender: str = "no-reply@gosocket.local"
    smtp_timeout_seconds: float = 10.0
    smtp_verify_tls: bool = True
    activation_url: str = ""
    activation_code_lifetime_hours: int = 7 * 24
    activation_max_attempts: int = 5
    idle_timeout_minutes: int = 15
    session_lifetime_hours: int = 12
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    delivery_max_attempts: int = 8
    import_max_bytes: int = 200 * 1024 * 1024
    import_max_rows: int = 2_000_000
    maildir: str = ""
    exchange_dir: str = ""

    def masked(self) -> dict[str, Any]:
        """The configuration as a dict with secrets replaced, for ``config show``."""
        out = dataclasses.asdict(self)
        for name in SECRET_FIELDS:
            if out[name]:
                out[name] = "********"
        return out


def _coerce(name: str, raw: Any, source: str) -> Any:
    field = next(f for f in fields(Config) if f.name == name)
    kind = field.type if isinstance(field.type, str) else str(field.type)
    try:
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError("expected a whole number")
            value = int(raw)
            if value < 0:
                raise ValueError("must not be negative")
            return value
        if kind == "float":
            value_f = float(raw)
            if value_f <= 0:
                raise ValueError("must be positive")
            return value_f
        if kind == "SmtpSecurity":
            text = str(raw).strip().lower()
            if text not in get_args(SmtpSecurity):
                raise ValueError("expected one of none, starttls, ssl")
            return text
        if kind == "str":
            if not isinstance(raw, str | int | float):
                raise ValueError("expected text")
            return str(raw)
    except ValueError as exc:
        raise ConfigError(f"{source}: invalid value for {name}: {exc}") from None
    raise ConfigError(f"{source}: unsupported setting {name}")  # pragma: no cover


def read_config_file(path: Path) -> dict[str, Any]:
    """Read and flatten a config file; a malformed one is a one-line ConfigError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                flat[f"{key}_{sub}"] = subvalue
        else:
            flat[key] = value
    known = {f.name for f in fields(Config)}
    for key in flat:
        if key not in known:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        if key in ENV_ONLY_FIELDS:
            raise ConfigError(
                f"{path}: {key} may not be stored in a file; set GOSOCKET_{key.upper()} instead"
            )
    return flat


def load_config(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Config:
    """Build the effective configuration with precedence flag > env > file > default."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    path = config_path or Path(env.get("GOSOCKET_CONFIG") or default_config_path())
    from_file = read_config_file(path)
    values: dict[str, Any] = {}
    for field in fields(Config):
        name = field.name
        env_name = f"GOSOCKET_{name.upper()}"
        if name in flags:
            values[name] = _coerce(name, flags[name], f"option --{name.replace('_', '-')}")
        elif env.get(env_name, "") != "":
            values[name] = _coerce(name, env[env_name], f"environment variable {env_name}")
        elif name in from_file:
            values[name] = _coerce(name, from_file[name], str(path))
    if not values.get("db"):
        values["db"] = default_db_url()
    lang_source = values.get("lang")
    if lang_source is not None:
        lang = normalize_language(str(lang_source))
        if lang is None:
            raise ConfigError(f"invalid language {lang_source!r}: expected en or es")
        values["lang"] = lang
    else:
        values["lang"] = language_from_env(dict(env))
    return Config(**values)


def with_overrides(config: Config, **changes: Any) -> Config:
    return dataclasses.replace(config, **changes)
