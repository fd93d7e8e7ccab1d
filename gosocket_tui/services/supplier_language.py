"""The language a supplier is written to: chosen per supplier, by default from its country.

Brazil reads Portuguese; the rest of Latin America (every country the network knows but
Brazil) and the other Spanish-speaking countries read Spanish; anyone else reads English.
The invitation and everything sent after it take the language stored on the supplier's link
(``SupplierLink.language``), never the language of the administrator who sends it.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import SUPPLIER_LANGUAGES, _
from gosocket_tui.services.taxid import COUNTRY_CODES

PORTUGUESE_SPEAKING: Final = frozenset({"BR"})
# The network's countries (all Latin American) plus the Spanish-speaking ones it does not
# know yet (Spain, Cuba, Puerto Rico, Equatorial Guinea).
SPANISH_SPEAKING: Final = frozenset(COUNTRY_CODES) - PORTUGUESE_SPEAKING | {"ES", "CU", "PR", "GQ"}

# What a user may type for a language (CLI, bulk files), folded (lower case, no accents):
# the code, a locale like ``pt-BR``, or the language's name in English, Spanish or its own.
_SPELLINGS: Final[dict[str, str]] = {
    "es": "es",
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
    "espanhol": "es",
    "pt": "pt",
    "portuguese": "pt",
    "portugues": "pt",
    "en": "en",
    "english": "en",
    "ingles": "en",
}


def default_language(country: str) -> str:
    """The language a supplier of ``country`` gets unless one is chosen for it."""
    code = country.strip().upper()
    if code in PORTUGUESE_SPEAKING:
        return "pt"
    return "es" if code in SPANISH_SPEAKING else "en"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace("_", "-").split("-")[0] if "-" in plain or "_" in plain else plain


def parse_language(text: str) -> str | None:
    """``pt``, ``PT-br``, ``Português``, ``Spanish`` … → ``pt``/``es``/``en``; None if unknown."""
    return _SPELLINGS.get(_fold(text))


def clean_language(text: str | None, country: str) -> str:
    """The language to store: the one given, or the country's default when empty.

    Raises ValidationError (field ``language``) for a value that names no supplier language.
    """
    if text is None or not text.strip():
        return default_language(country)
    lang = parse_language(text)
    if lang is None:
        raise ValidationError(unknown_language(), field="language")
    return lang


def unknown_language() -> str:
    return _("The language must be es (Spanish), pt (Portuguese) or en (English).")


def language_name(lang: str) -> str:
    """The language's name in the current language, for forms and the supplier detail."""
    names = {"es": _("Spanish"), "pt": _("Portuguese"), "en": _("English")}
    return names.get(lang, lang)


def language_choices() -> list[tuple[str, str]]:
    """``(name, code)`` pairs in the order the form offers them."""
    return [(language_name(lang), lang) for lang in SUPPLIER_LANGUAGES]
