"""The one translation function every visible string goes through.

English is the source language: the English text is the key. Spanish catalogs live in
``locale/es/*.json`` (one file per area of the app, merged at first use) so that each feature
owns its own strings. A missing translation falls back to English rather than failing.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "es")
_LOCALE_DIR = Path(__file__).with_name("locale")
_current = "en"


@cache
def _catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    folder = _LOCALE_DIR / lang
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def normalize_language(value: str | None) -> str | None:
    """Map ``es_CL.UTF-8``, ``ES``, ``en-US`` … to a shipped language, or None."""
    if not value:
        return None
    code = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return code if code in LANGUAGES else None


def language_from_env(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        lang = normalize_language(env.get(name))
        if lang:
            return lang
    return "en"


def set_language(lang: str) -> None:
    global _current
    _current = normalize_language(lang) or "en"


def get_language() -> str:
    return _current


def translate(text: str, lang: str, /, **values: Any) -> str:
    """Translate ``text`` into ``lang`` and fill ``{named}`` placeholders."""
    result = _catalog(lang).get(text, text) if lang != "en" else text
    return result.format(**values) if values else result


def _(text: str, /, **values: Any) -> str:
    """Translate into the current language (the session's)."""
    return translate(text, _current, **values)


def format_int(value: int) -> str:
    """A whole number as the current language writes it: ``1,000,000`` in English,
    ``1.000.000`` in Spanish."""
    text = f"{value:,}"
    return text.replace(",", ".") if _current == "es" else text


def format_decimal(value: float) -> str:
    """A number with one decimal as the current language writes it: ``12.5`` in English,
    ``12,5`` in Spanish."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if _current == "es" else text
