"""Tax IDs (ID fiscal) per country: validate, normalise, format.

A company in the network is identified by (country, compact Tax ID). "76.086.428-5" and
"760864285" are the same supplier, so everything that stores or compares a Tax ID goes through
``parse_tax_id`` (store ``.compact``, show ``.formatted``) and every search box through
``compact_tax_id``. python-stdnum does the per-country checks; this module adds the country
table, the translated messages, leniency about punctuation and odd Unicode (full-width digits,
typographic dashes), and the guarantee that any input ends in a project error, never a crash.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from stdnum.co import nit as co_nit

from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _
from gosocket_tui.services.taxid.countries import (
    BY_CODE,
    COUNTRIES,
    COUNTRY_CODES,
    Country,
    Scheme,
    TaxId,
    canonical_compact,
)

# Colombian example for the activation form, which asks for the NIT without its check digit.
_CO_WITHOUT_CHECK_DIGIT_EXAMPLE = "860007386"

# Separators people type inside Tax IDs; dropped by the compact form.
_SEPARATORS = frozenset(" -./,_")
# Anything longer than this (after dropping separators) is no Tax ID: refuse before stdnum.
_MAX_COMPACT = 40
# What stdnum may hand back; anything else (exotic digits it let through) is refused.
_COMPACT_RE = re.compile(r"[0-9A-ZÑ&]{3,}")
_PLAIN_RE = re.compile(r"[0-9A-Z]{3,20}")
_NINE_DIGITS_RE = re.compile(r"[0-9]{9}")
_CHECK_DIGIT_SEPARATED_RE = re.compile(r"-\s*[0-9]\s*$")


@lru_cache(maxsize=2048)
def _fold_char(ch: str) -> str:
    """Map one character to what the user meant: a-z → A-Z, full-width/other-script digits →
    0-9, any space → " ", any dash → "-". Others stay as they are.

    Works per character, and every result is a fixed point of this function, so folding is
    idempotent (which ``compact_tax_id`` promises).
    """
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category == "Pd" or ch == "\u2212":  # dashes, minus sign
        return "-"
    if ch in "ñÑ":
        return "Ñ"
    normal = unicodedata.normalize("NFKC", ch)
    if normal.isascii() and normal.isalnum():
        return normal.upper()
    if normal in (".", ",", "/", "_", ":"):
        return normal
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    return ch


def _fold(value: str) -> str:
    return "".join(_fold_char(ch) for ch in value)


def _drop_separators(folded: str) -> str:
    return "".join(ch for ch in folded if ch not in _SEPARATORS)


def _normalise_code(country: str) -> str:
    return _fold(country).strip()


def _lookup(country: str) -> Country:
    code = _normalise_code(country)
    found = BY_CODE.get(code)
    if found is not None:
        return found
    if not code:
        raise ValidationError(_("Choose a country"), field="country")
    raise ValidationError(
        _(
            "Unknown country {code}; use one of {codes}",
            code=code[:10],
            codes=", ".join(sorted(COUNTRY_CODES)),
        ),
        field="country",
    )


def _try(scheme: Scheme, candidate: str) -> str | None:
    """The compact form if ``scheme`` accepts ``candidate``, else None."""
    try:
        compact = scheme.validate(candidate)
    except Exception:  # stdnum's ValidationError subclasses, and anything odd Unicode causes
        return None
    if not isinstance(compact, str) or not _COMPACT_RE.fullmatch(compact):
        return None
    if not compact.strip("0"):  # stdnum takes "00" as a Paraguayan RUC
        return None
    return compact


def _format(scheme: Scheme, compact: str) -> str:
    if scheme.format is None:
        return compact
    try:
        return str(scheme.format(compact))
    except Exception:  # a display form must never break the caller
        return compact


def _candidates(
    country: Country, folded: str, plain: str, allow_missing_check_digit: bool
) -> Iterator[str]:
    """The strings to offer stdnum, in order.

    First the folded input as typed (stdnum knows its own separators, e.g. Costa Rica's
    "1-613-584" pads each group), then with every separator dropped (so "76086428/5" or
    "76 086 428 5" work too), last without the leading zeros that countries of
    ZERO_INSIGNIFICANT ignore (so "000.123.456-0" is Chile's "0123456-0").
    """
    if (
        allow_missing_check_digit
        and country.code == "CO"
        and _NINE_DIGITS_RE.fullmatch(plain)
        and not _CHECK_DIGIT_SEPARATED_RE.search(folded)
    ):
        # Nine bare digits here mean "NIT without check digit": never reread them as an
        # 8-digit NIT plus check digit.
        yield plain + co_nit.calc_check_digit(plain)
        return
    yield folded
    if plain != folded:
        yield plain
    unpadded = canonical_compact(country.code, plain)
    if unpadded != plain:
        yield unpadded  # more zeros than stdnum's length allows: still the same number
        short = plain.lstrip("0")
        if (
            allow_missing_check_digit
            and country.code == "CO"
            and _NINE_DIGITS_RE.fullmatch(short)
            and not _CHECK_DIGIT_SEPARATED_RE.search(folded)
        ):
            yield short + co_nit.calc_check_digit(short)  # a padded NIT without check digit


def _invalid(country: Country, allow_missing_check_digit: bool) -> ValidationError:
    return ValidationError(
        _(
            "Invalid {id_name} for {country}: expected {form}",
            id_name=country.id_name,
            country=_(country.name),
            form=expected_form(country.code, allow_missing_check_digit=allow_missing_check_digit),
        ),
        field="tax_id",
    )


def parse_tax_id(country: str, value: str, *, allow_missing_check_digit: bool = False) -> TaxId:
    """Validate ``value`` as a Tax ID of ``country`` and normalise it.

    Raises ``ValidationError`` (field "country" or "tax_id") whose message names the expected
    form; never anything else, whatever the input.

    ``allow_missing_check_digit`` only changes Colombia: 9 bare digits are taken as the NIT
    *without* its check digit, which is computed (Gosocket's activation asks for it that way);
    the full NIT with check digit is still accepted. Meant for the supplier activation only
    (the supplier's own and the inviting company's NIT); everything else (supplier forms,
    CSV import, CLI refs) validates the full NIT.
    """
    spec = _lookup(country)
    folded = _fold(value).strip()
    plain = _drop_separators(folded)
    if not plain:
        raise ValidationError(
            _("Enter the tax ID ({id_name})", id_name=spec.id_name), field="tax_id"
        )
    if len(plain) <= _MAX_COMPACT:
        if not spec.schemes:
            if _PLAIN_RE.fullmatch(plain):
                return TaxId(spec.code, plain, plain, verifiable=False)
        else:
            for candidate in _candidates(spec, folded, plain, allow_missing_check_digit):
                for scheme in spec.schemes:
                    compact = _try(scheme, candidate)
                    if compact is not None:
                        compact = canonical_compact(spec.code, compact)
                        return TaxId(spec.code, compact, _format(scheme, compact), True)
    raise _invalid(spec, allow_missing_check_digit and spec.code == "CO")


def compact_tax_id(country: str, value: str) -> str:
    """Normalise a Tax ID, possibly partial, for search and prefix filtering. Never raises.

    A complete valid number gives exactly its stored compact form (so "CL 76.086.428-5" and
    "0576937-K" in GT find their company); anything else has separators dropped and is
    upper-cased, so a typed prefix like "76.086" matches the stored "760864285". An unknown
    or empty country (a search over all countries) gets the generic normalisation.
    Idempotent: ``compact_tax_id(c, compact_tax_id(c, v)) == compact_tax_id(c, v)``.
    """
    plain = _drop_separators(_fold(value))
    spec = BY_CODE.get(_normalise_code(country))
    if spec is None or not spec.schemes:
        return plain
    try:
        return parse_tax_id(spec.code, value).compact
    except ValidationError:
        return plain


def zero_free_prefix(prefix: str) -> str:
    """``prefix`` (a separator-free search) without leading zeros, to look it up among the
    countries of ZERO_INSIGNIFICANT, whose stored numbers never start with a zero they did
    not need. Empty when nothing would change (no other lookup is needed)."""
    stripped = prefix.lstrip("0")
    return stripped if stripped != prefix else ""


def format_tax_id(country: str, compact: str) -> str:
    """The display form of a stored compact Tax ID (stdnum's ``format()`` where it has one).

    For display only, so it never raises: a value that does not validate (legacy data, an
    unknown country) is shown as it is.
    """
    try:
        return parse_tax_id(country, compact).formatted
    except ValidationError:
        return compact


def parse_company_ref(ref: str) -> TaxId:
    """Read the command line form ``COUNTRY:TAXID`` (``CL:76.086.428-5``, ``co:860007386-1``)."""
    country, sep, tax = _fold(ref).partition(":")
    if not sep or not country.strip() or not tax.strip():
        raise ValidationError(
            _("Expected COUNTRY:TAXID, for example {example}", example="CL:76.086.428-5"),
            field="tax_id",
        )
    return parse_tax_id(country, tax)


def expected_form(country: str, *, allow_missing_check_digit: bool = False) -> str:
    """Translated description of the country's Tax ID with an example that validates.

    Used in error messages and as the hint under a Tax ID field.
    """
    spec = _lookup(country)
    if allow_missing_check_digit and spec.code == "CO":
        return _(
            "9 digits without the check digit, like {short}, or the whole NIT, like {example}",
            short=_CO_WITHOUT_CHECK_DIGIT_EXAMPLE,
            example=spec.example,
        )
    return _(spec.form, example=spec.example)


def country_name(code: str) -> str:
    """Translated country name; an unknown code is shown as it is (display helper)."""
    spec = BY_CODE.get(_normalise_code(code))
    return _(spec.name) if spec is not None else code


def country_choices() -> list[tuple[str, str]]:
    """``(translated name, code)`` pairs sorted by name in the current language (Select)."""

    def key(pair: tuple[str, str]) -> str:
        decomposed = unicodedata.normalize("NFKD", pair[0])
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()

    return sorted(((_(c.name), c.code) for c in COUNTRIES), key=key)
