"""The one translation function every visible string goes through.

English is the source language: the English text is the key. Spanish catalogs live in
``locale/es/*.json`` (one file per area of the app, merged at first use) so that each feature
owns its own strings. A missing translation falls back to English rather than failing.

Two sets of languages: the administrator's interface speaks :data:`LANGUAGES` (English and
Spanish); what a supplier receives or sees (the invitation email, the activation screen) speaks
:data:`SUPPLIER_LANGUAGES`, which adds Portuguese (``locale/pt``, supplier-facing texts only).

The interface's language is one per process (:func:`set_language`). Supplier-facing text is
written in the supplier's language either explicitly (:func:`translate`) or inside
:func:`speaking`, which changes the language of ``_`` for the current thread (a context
variable) only: a thread worker that writes Portuguese for a supplier leaves the language of
the administrator's screens, and of every other thread, as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "es")
#: What a supplier may read: the interface's languages and Portuguese.
SUPPLIER_LANGUAGES = ("es", "pt", "en")
_LOCALE_DIR = Path(__file__).with_name("locale")
_current = "en"
_speaking: ContextVar[str | None] = ContextVar("gosocket_speaking", default=None)


@cache
def _catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    folder = _LOCALE_DIR / lang
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def _language_code(value: str) -> str:
    return value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]


def normalize_language(value: str | None) -> str | None:
    """Map ``es_CL.UTF-8``, ``ES``, ``en-US`` … to an interface language, or None."""
    if not value:
        return None
    code = _language_code(value)
    return code if code in LANGUAGES else None


def normalize_supplier_language(value: str | None) -> str | None:
    """Map ``pt_BR.UTF-8``, ``PT``, ``es-CL`` … to a supplier language, or None."""
    if not value:
        return None
    code = _language_code(value)
    return code if code in SUPPLIER_LANGUAGES else None


def language_from_env(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        lang = normalize_language(env.get(name))
        if lang:
            return lang
    return "en"


def supplier_language_from_env(env: dict[str, str] | None = None) -> str | None:
    """The supplier language the environment asks for (``LANG=pt_BR.UTF-8`` → pt), or None."""
    env = dict(os.environ) if env is None else env
    for name in ("GOSOCKET_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        lang = normalize_supplier_language(env.get(name))
        if lang:
            return lang
    return None


def set_language(lang: str) -> None:
    global _current
    _current = normalize_language(lang) or "en"


def get_language() -> str:
    """The language ``_`` writes in here: :func:`speaking`'s, else the interface's."""
    return _speaking.get() or _current


@contextmanager
def speaking(lang: str) -> Iterator[str]:
    """Within the block, ``_`` writes ``lang`` (a supplier language) in this thread only."""
    chosen = normalize_supplier_language(lang) or "en"
    token = _speaking.set(chosen)
    try:
        yield chosen
    finally:
        _speaking.reset(token)


def translate(text: str, lang: str, /, **values: Any) -> str:
    """Translate ``text`` into ``lang`` and fill ``{named}`` placeholders."""
    result = _catalog(lang).get(text, text) if lang != "en" else text
    return result.format(**values) if values else result


def _(text: str, /, **values: Any) -> str:
    """Translate into the current language (the session's, or :func:`speaking`'s)."""
    return translate(text, _speaking.get() or _current, **values)


def format_int(value: int) -> str:
    """A whole number as the current language writes it: ``1,000,000`` in English,
    ``1.000.000`` in Spanish and Portuguese."""
    text = f"{value:,}"
    return text.replace(",", ".") if get_language() in ("es", "pt") else text


def format_decimal(value: float) -> str:
    """A number with one decimal as the current language writes it: ``12.5`` in English,
    ``12,5`` in Spanish and Portuguese."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if get_language() in ("es", "pt") else text
