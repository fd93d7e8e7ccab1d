"""Effective configuration: flag, then env ``GOSOCKET_<NAME>``, then ``config.toml``, then default.

The config file is TOML with the same names as the fields below (``[smtp]`` may group the
``smtp_*`` settings: ``[smtp] host = …`` is ``smtp_host``). The SMTP password is only ever
read from ``GOSOCKET_SMTP_PASSWORD`` so it never sits in a file other users might read.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

import platformdirs

from gosocket_tui.errors import ConfigError
from gosocket_tui.i18n import _, language_from_env, normalize_language
from gosocket_tui.safe_text import plain

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
    exchange_max_bytes: int = 200 * 1024 * 1024
    exchange_max_files: int = 1000
    sftp_host: str = ""
    sftp_port: int = 0

    def masked(self) -> dict[str, Any]:
        """The configuration as a dict with secrets replaced, for ``config show``."""
        out = dataclasses.asdict(self)
        for name in SECRET_FIELDS:
            if out[name]:
                out[name] = "********"
        return out


# Whole-number settings and the range each may take. A value outside its range is refused
# rather than clamped: a lifetime of 10^17 hours overflows the date arithmetic, a port of 0
# or a lockout threshold of 0 turns a safeguard off without anyone meaning to.
INT_RANGES: dict[str, tuple[int, int]] = {
    "smtp_port": (1, 65535),
    "activation_code_lifetime_hours": (1, 24 * 366),
    "activation_max_attempts": (1, 100),
    "idle_timeout_minutes": (1, 24 * 60),
    "session_lifetime_hours": (1, 24 * 31),
    "lockout_threshold": (1, 100),
    "lockout_minutes": (1, 7 * 24 * 60),
    "delivery_max_attempts": (1, 100),
    "import_max_bytes": (1024, 16 * 1024**3),
    "import_max_rows": (1, 100_000_000),
    "exchange_max_bytes": (1024, 1024**4),
    "exchange_max_files": (1, 1_000_000),
    "sftp_port": (0, 65535),
}
FLOAT_RANGES: dict[str, tuple[float, float]] = {"smtp_timeout_seconds": (0.1, 3600.0)}
_Number = TypeVar("_Number", int, float)
# The host shown in the ``sftp`` lines of exports (empty: the address the client reached).
SFTP_HOST = re.compile(r"[A-Za-z0-9.:-]{0,253}")

# Text settings and their longest accepted value; none may hold a control or bidi character (a
# CR or LF in the SMTP sender or username would be a second SMTP command).
TEXT_LIMITS: dict[str, int] = {
    "db": 4096,
    "smtp_host": 253,
    "smtp_username": 256,
    "smtp_password": 1024,
    "smtp_sender": 254,
    "activation_url": 2048,
    "maildir": 4096,
    "exchange_dir": 4096,
    "sftp_host": 253,
}


def _within(value: _Number, bounds: tuple[_Number, _Number]) -> _Number:
    """``value`` when inside ``bounds`` (both ends included); else why not, for the setting."""
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(_("must be between {low} and {high}", low=low, high=high))
    return value


def _as_int(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(_("expected a whole number"))
    text = str(raw).strip()
    if not text.lstrip("+-").isascii() or not text.lstrip("+-").isdigit() or len(text) > 20:
        raise ValueError(_("expected a whole number"))
    return int(text)


def _as_float(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(_("expected a number"))
    try:
        value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
    except ValueError:
        raise ValueError(_("expected a number")) from None
    if not math.isfinite(value):
        raise ValueError(_("expected a finite number"))
    return value


def _check_value(name: str, kind: str, raw: Any) -> Any:
    """The typed value of one setting, or ValueError with a translated reason."""
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower() if isinstance(raw, str | int) else ""
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError(_("expected true or false"))
    if kind == "int":
        return _within(_as_int(raw), INT_RANGES[name])
    if kind == "float":
        return _within(_as_float(raw), FLOAT_RANGES[name])
    if kind == "SmtpSecurity":
        text = raw.strip().lower() if isinstance(raw, str) else ""
        if text not in get_args(SmtpSecurity):
            raise ValueError(_("expected one of none, starttls, ssl"))
        return text
    if name == "lang":
        lang = normalize_language(raw) if isinstance(raw, str) else None
        if lang is None:
            raise ValueError(_("expected en or es"))
        return lang
    if not isinstance(raw, str):
        raise ValueError(_("expected text"))
    if len(raw) > TEXT_LIMITS[name]:
        raise ValueError(_("longer than {limit} characters", limit=TEXT_LIMITS[name]))
    if name == "db" and not raw:
        raise ValueError(_("must not be empty"))
    if plain(raw) != raw:
        raise ValueError(_("contains a control character"))
    if name == "sftp_host" and not SFTP_HOST.fullmatch(raw):
        raise ValueError(_("expected a host name or an IP address"))
    if any("\ud800" <= ch <= "\udfff" for ch in raw):
        raise ValueError(_("is not valid text (UTF-8)"))
    return raw


def _coerce(name: str, raw: Any, source: str) -> Any:
    field = next(f for f in fields(Config) if f.name == name)
    kind = field.type if isinstance(field.type, str) else str(field.type)
    try:
        return _check_value(name, kind, raw)
    except ValueError as exc:
        raise ConfigError(
            _("{source}: invalid value for {name}: {reason}", source=source, name=name, reason=exc)
        ) from None


def read_config_file(path: Path) -> dict[str, Any]:
    """Read and flatten a config file; a malformed one is a one-line ConfigError."""
    where = plain(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        if isinstance(exc, tomllib.TOMLDecodeError):
            reason = plain(exc)
            raise ConfigError(
                _("{path}: not valid TOML: {reason}", path=where, reason=reason)
            ) from None
        reason = plain(getattr(exc, "strerror", None) or exc)
        raise ConfigError(
            _("{path}: cannot read the config file: {reason}", path=where, reason=reason)
        ) from None
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
            raise ConfigError(
                _("{path}: unknown setting {name}", path=where, name=plain(repr(key)))
            )
        if key in ENV_ONLY_FIELDS:
            raise ConfigError(
                _(
                    "{path}: {name} may not be stored in a file; set {env} instead",
                    path=where,
                    name=key,
                    env=f"GOSOCKET_{key.upper()}",
                )
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
            values[name] = _coerce(
                name, flags[name], _("option --{name}", name=name.replace("_", "-"))
            )
        elif env.get(env_name, "") != "":
            values[name] = _coerce(
                name, env[env_name], _("environment variable {name}", name=env_name)
            )
        elif name in from_file:
            values[name] = _coerce(name, from_file[name], plain(path))
    if not values.get("db"):
        values["db"] = default_db_url()
    if "lang" not in values:
        values["lang"] = language_from_env(dict(env))
    return Config(**values)


def with_overrides(config: Config, **changes: Any) -> Config:
    return dataclasses.replace(config, **changes)
