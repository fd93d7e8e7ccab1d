"""Tax ID validation and normalisation per country (services/taxid), and the bulk fast path."""

from __future__ import annotations

import contextlib
import json
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.br import cnpj
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.pe import ruc

from gosocket_tui.errors import GosocketError, ValidationError
from gosocket_tui.i18n import set_language
from gosocket_tui.services.taxid import (
    COUNTRIES,
    COUNTRY_CODES,
    Country,
    TaxId,
    compact_tax_id,
    country_choices,
    country_name,
    expected_form,
    fast_tax_id,
    format_tax_id,
    parse_company_ref,
    parse_tax_id,
)

CATALOG = Path(__file__).parents[2] / "gosocket_tui" / "locale" / "es" / "taxid.json"
UNVERIFIABLE = {"PA", "HN", "BO", "NI"}

# country -> (as typed, compact, formatted); the numbers are stdnum's own doctest samples or
# built with the module's check digit calculation.
VALID: dict[str, list[tuple[str, str, str]]] = {
    "CL": [
        ("76.086.428-5", "760864285", "76.086.428-5"),
        ("12531909-2", "125319092", "12.531.909-2"),
    ],
    "PE": [
        ("20512333797", "20512333797", "20512333797"),
        ("10054148289", "10054148289", "10054148289"),
    ],
    "CO": [
        ("860.007.386-1", "8600073861", "860.007.386-1"),
        ("213.123.432-1", "2131234321", "213.123.432-1"),
    ],
    "MX": [
        ("MAB-930714-8T4", "MAB9307148T4", "MAB 930714 8T4"),
        ("gode 561231 gr8", "GODE561231GR8", "GODE 561231 GR8"),
    ],
    "UY": [
        ("21-100342-001-7", "211003420017", "21-100342-001-7"),
        ("UY 21 140634 001 1", "211406340011", "21-140634-001-1"),
    ],
    "EC": [("1792060346-001", "1792060346001", "1792060346001")],
    "CR": [
        ("3-101-999999", "3101999999", "3-101-999999"),
        ("1-0613-0584", "0106130584", "01-0613-0584"),
        ("1-613-584", "0106130584", "01-0613-0584"),
    ],
    "GT": [("576937-k", "576937K", "576937-K"), ("7108-0", "71080", "7108-0")],
    "AR": [
        ("20-05536168-2", "20055361682", "20-05536168-2"),
        ("30500010912", "30500010912", "30-50001091-2"),
    ],
    "BR": [
        ("16.727.230/0001-97", "16727230000197", "16.727.230/0001-97"),
        ("12. ABC.345 /01DE–35", "12ABC34501DE35", "12.ABC.345/01DE-35"),
    ],
    "PY": [("80028061-0", "800280610", "80028061-0"), ("2660-3", "26603", "2660-3")],
    "DO": [("1-01-85004-3", "101850043", "1-01-85004-3")],
    "VE": [("V-11470283-4", "V114702834", "V114702834")],
    "SV": [
        ("0614-050707-104-8", "06140507071048", "0614-050707-104-8"),
        ("SV 0614-050707-104-8", "06140507071048", "0614-050707-104-8"),
    ],
    "PA": [("155596713-2-2015", "15559671322015", "15559671322015")],
    "HN": [("0801 1999 123456", "08011999123456", "08011999123456")],
    "BO": [("1020703023", "1020703023", "1020703023")],
    "NI": [("j031-000000-0001", "J0310000000001", "J0310000000001")],
}

INVALID: dict[str, list[str]] = {
    "CL": ["76.086.428-4", "76086A28-5", "1234"],
    "PE": ["20512333798", "30512333797"],
    "CO": ["2131234325", "12345"],
    "MX": ["MAB-930732-8T4", "COMG-600703", "CACA561231GR8"],  # bad date, no homoclave, banned
    "UY": ["210303670014", "12345678"],
    "EC": ["1763154690001", "179206034601"],
    "CR": ["3-534-123559", "6-101-123456", "12345678"],
    "GT": ["8977112-0", "1234567890123"],
    "AR": ["20267565392", "40-05536168-2"],
    "BR": ["16.727.230.0001-98", "00000000000000"],
    "PY": ["800532492", "80123456789", "00"],
    "DO": ["101850042", "1018A0043"],
    "VE": ["V-11470283-3", "X-11470283-4"],
    "SV": ["0614-050707-104-0", "12345678"],
    "PA": ["AB", "155#596"],
    "HN": ["0801 1999 123456 0801 1999"],  # longer than 20
    "BO": ["10207ñ03023"],
    "NI": ["J-0"],
}


@pytest.fixture
def spanish() -> Iterator[None]:
    set_language("es")
    try:
        yield
    finally:
        set_language("en")


def _cases(table: dict[str, list[tuple[str, str, str]]]) -> list[tuple[str, str, str, str]]:
    return [(code, *row) for code, rows in table.items() for row in rows]


def test_samples_cover_every_country() -> None:
    assert set(VALID) == set(COUNTRY_CODES) == set(INVALID)
    assert len(COUNTRY_CODES) == len(set(COUNTRY_CODES)) == 18


@pytest.mark.parametrize(("country", "typed", "compact", "formatted"), _cases(VALID))
def test_valid_samples(country: str, typed: str, compact: str, formatted: str) -> None:
    tax_id = parse_tax_id(country, typed)
    assert tax_id == TaxId(country, compact, formatted, country not in UNVERIFIABLE)
    assert parse_tax_id(country, formatted).compact == compact
    assert compact_tax_id(country, typed) == compact
    assert format_tax_id(country, compact) == formatted


@pytest.mark.parametrize(
    ("country", "typed"), [(c, v) for c, values in INVALID.items() for v in values]
)
def test_invalid_samples_name_the_expected_form(country: str, typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_tax_id(country, typed)
    assert caught.value.field == "tax_id"
    message = caught.value.message
    assert country_name(country) in message
    assert expected_form(country) in message
    spec = next(c for c in COUNTRIES if c.code == country)
    assert spec.id_name in message and spec.example in message


@pytest.mark.parametrize("spec", COUNTRIES, ids=lambda c: c.code)
def test_every_example_in_the_messages_really_validates(spec: Country) -> None:
    tax_id = parse_tax_id(spec.code, spec.example)
    assert tax_id.verifiable is spec.verifiable
    assert spec.example in expected_form(spec.code)


def test_costa_rica_hint_example_for_people_validates() -> None:
    assert "01-0613-0584" in expected_form("CR")
    assert parse_tax_id("CR", "01-0613-0584").compact == "0106130584"


def test_example_message_for_chile() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_tax_id("CL", "76.086.428-4")
    assert caught.value.message == (
        "Invalid RUT for Chile: expected 7 or 8 digits and a check digit 0-9 or K,"
        " like 76.086.428-5"
    )


def test_punctuation_variants_are_the_same_supplier() -> None:
    variants = ["76.086.428-5", "760864285", "76086428-5", " 76 086 428 5 ", "76086428/5"]
    variants += [
        "CL 76.086.428-5",
        "７６．０８６．４２８－５",
        "76.086.428–5",
    ]  # full width, en dash
    assert {parse_tax_id("CL", v).compact for v in variants} == {"760864285"}
    assert {compact_tax_id("CL", v) for v in variants} == {"760864285"}


def test_check_digit_k_is_case_insensitive() -> None:
    assert parse_tax_id("GT", "576937-k") == parse_tax_id("GT", "576937-K")
    body = "1234567"
    digit = rut.calc_check_digit(body)
    assert parse_tax_id("CL", body + digit.lower()).compact == body + digit


def test_country_code_is_case_and_space_insensitive() -> None:
    assert parse_tax_id(" cl ", "760864285").country == "CL"


@pytest.mark.parametrize("country", ["", "  ", "XX", "Chile", "C L", "ZZZZZZZZZZZZZZZZZZZZ"])
def test_unknown_country(country: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_tax_id(country, "760864285")
    assert caught.value.field == "country"
    with pytest.raises(ValidationError):
        expected_form(country)


def test_unknown_country_message_lists_the_codes() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_tax_id("XX", "1")
    assert "XX" in caught.value.message and "CL" in caught.value.message


def test_empty_tax_id_asks_for_it() -> None:
    for value in ("", "   ", "-.-"):
        with pytest.raises(ValidationError) as caught:
            parse_tax_id("CL", value)
        assert caught.value.field == "tax_id"
        assert caught.value.message == "Enter the tax ID (RUT)"


def test_mexico_lengths() -> None:
    assert len(parse_tax_id("MX", "MAB9307148T4").compact) == 12
    assert len(parse_tax_id("MX", "GODE561231GR8").compact) == 13
    # A real RFC whose last check digit is wrong: accepted, the check stays off.
    assert parse_tax_id("MX", "VACE-460910-SX6").compact == "VACE460910SX6"
    with pytest.raises(ValidationError):
        parse_tax_id("MX", "COMG600703")  # personal prefix without homoclave


def test_brazil_new_alphanumeric_cnpj() -> None:
    base = "12ABC34501DE"
    number = base + cnpj.calc_check_digits(base)
    assert parse_tax_id("BR", number.lower()).compact == number


# --- Colombia: with and without check digit -------------------------------------------------


def test_colombia_requires_the_check_digit_by_default() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_tax_id("CO", "860007386")
    assert "860.007.386-1" in caught.value.message
    assert parse_tax_id("CO", "860007386-1").compact == "8600073861"


def test_colombia_without_check_digit_computes_it() -> None:
    tax_id = parse_tax_id("CO", "860007386", allow_missing_check_digit=True)
    assert tax_id == parse_tax_id("CO", "860.007.386-1")
    assert parse_tax_id("CO", "860.007.386", allow_missing_check_digit=True) == tax_id


def test_colombia_without_check_digit_still_accepts_the_full_nit() -> None:
    for value in ("860007386-1", "8600073861", "860.007.386-1"):
        assert parse_tax_id("CO", value, allow_missing_check_digit=True).compact == "8600073861"
    with pytest.raises(ValidationError) as caught:
        parse_tax_id("CO", "860007386-2", allow_missing_check_digit=True)
    assert "860007386" in caught.value.message  # the hint shows the form without check digit


def test_colombia_short_nit_with_separated_check_digit_is_not_reread() -> None:
    # 8 digits + "-" + check digit is a complete NIT, not 9 digits without check digit.
    assert parse_tax_id("CO", "86000738-1", allow_missing_check_digit=True).compact == "860007381"


def test_missing_check_digit_flag_only_affects_colombia() -> None:
    assert parse_tax_id("CL", "760864285", allow_missing_check_digit=True).compact == "760864285"
    with pytest.raises(ValidationError):
        parse_tax_id("PE", "205123337", allow_missing_check_digit=True)


def test_colombia_hint_differs_when_check_digit_may_be_missing() -> None:
    assert expected_form("CO") != expected_form("CO", allow_missing_check_digit=True)
    assert expected_form("CL") == expected_form("CL", allow_missing_check_digit=True)


# --- countries without a checksum module ---------------------------------------------------


@pytest.mark.parametrize("country", sorted(UNVERIFIABLE))
def test_unverifiable_countries_accept_plain_identifiers(country: str) -> None:
    tax_id = parse_tax_id(country, " ab-12.34 5 ")
    assert tax_id == TaxId(country, "AB12345", "AB12345", verifiable=False)
    assert compact_tax_id(country, "ab-12.34 5") == "AB12345"
    for bad in ("A1", "X" * 21, "AB#12", "ÁB12"):
        with pytest.raises(ValidationError):
            parse_tax_id(country, bad)
    assert parse_tax_id(country, "X" * 20).compact == "X" * 20


# --- COUNTRY:TAXID ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "country", "compact"),
    [
        ("CL:76.086.428-5", "CL", "760864285"),
        ("co:860007386-1", "CO", "8600073861"),
        (" pe : 20512333797 ", "PE", "20512333797"),
        ("MX:MAB 930714 8T4", "MX", "MAB9307148T4"),
        ("PA:8-NT-1-12345", "PA", "8NT112345"),
        ("CL：760864285", "CL", "760864285"),  # full-width colon
    ],
)
def test_company_ref(ref: str, country: str, compact: str) -> None:
    tax_id = parse_company_ref(ref)
    assert (tax_id.country, tax_id.compact) == (country, compact)
    assert parse_company_ref(tax_id.ref) == tax_id


@pytest.mark.parametrize("ref", ["", "CL", "760864285", "CL:", ":760864285", " : "])
def test_company_ref_bad_form(ref: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_company_ref(ref)
    assert caught.value.message == "Expected COUNTRY:TAXID, for example CL:76.086.428-5"


def test_company_ref_errors_come_from_the_parts() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_company_ref("XX:123")
    assert caught.value.field == "country"
    with pytest.raises(ValidationError) as caught:
        parse_company_ref("CL:76.086.428-4")
    assert caught.value.field == "tax_id"


# --- search form and display form -----------------------------------------------------------


def test_compact_for_search_prefixes() -> None:
    assert compact_tax_id("CL", "76.086") == "76086"
    assert "760864285".startswith(compact_tax_id("CL", "76.086.4"))
    assert compact_tax_id("BR", "16.727.230/00") == "1672723000"
    assert compact_tax_id("GT", "0576937-K") == "576937K"  # complete: the stored form
    assert compact_tax_id("", "76.086.428-5") == "760864285"  # all countries: generic
    assert compact_tax_id("XX", "ab-1") == "AB1"


def test_format_tax_id_is_a_lenient_display_helper() -> None:
    assert format_tax_id("CL", "760864285") == "76.086.428-5"
    assert format_tax_id("PE", "20512333797") == "20512333797"  # no format() in stdnum
    assert format_tax_id("CL", "garbage") == "garbage"
    assert format_tax_id("XX", "760864285") == "760864285"


def test_country_names_and_choices() -> None:
    assert country_name("DO") == "Dominican Republic"
    assert country_name("do") == "Dominican Republic"
    assert country_name("XX") == "XX"
    choices = country_choices()
    assert [code for _, code in choices] != list(COUNTRY_CODES)  # sorted by name
    assert sorted(code for _, code in choices) == sorted(COUNTRY_CODES)
    assert choices[0] == ("Argentina", "AR")


# --- Spanish ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("spanish")
def test_spanish_messages() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_tax_id("CL", "76.086.428-4")
    assert caught.value.message == (
        "Número de RUT no válido para Chile; formato esperado: 7 u 8 dígitos y un dígito"
        " verificador 0-9 o K, como 76.086.428-5"
    )
    with pytest.raises(ValidationError) as caught:
        parse_tax_id("PE", "1")
    assert "Perú" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        parse_company_ref("nada")
    assert caught.value.message == "Se esperaba PAÍS:ID_FISCAL, por ejemplo CL:76.086.428-5"
    with pytest.raises(ValidationError) as caught:
        parse_tax_id("", "1")
    assert caught.value.message == "Elija un país"
    assert "sin el dígito verificador" in expected_form("CO", allow_missing_check_digit=True)


@pytest.mark.usefixtures("spanish")
def test_spanish_country_choices_sort_ignoring_accents() -> None:
    names = [name for name, _ in country_choices()]
    assert names.index("México") < names.index("Nicaragua")
    assert names.index("Perú") < names.index("República Dominicana") < names.index("Uruguay")
    assert country_name("BR") == "Brasil"


def test_every_name_and_form_has_a_spanish_translation() -> None:
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    for spec in COUNTRIES:
        assert spec.name in catalog
        assert spec.form in catalog
        assert set(_placeholders(spec.form)) == set(_placeholders(catalog[spec.form]))
    for english, spanish in catalog.items():
        assert set(_placeholders(english)) == set(_placeholders(spanish)), english


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


# --- properties ----------------------------------------------------------------------------

DIGITS = "0123456789"
CHECK_CHARS = "0123456789K"


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(DIGITS, min_size=n, max_size=n)


def _date() -> st.SearchStrategy[str]:
    return st.dates().map(lambda d: d.strftime("%y%m%d"))


# Templates of plausible numbers; "?" is the check digit, filled in by _complete.
TEMPLATES: dict[str, st.SearchStrategy[str]] = {
    "CL": st.integers(1_000_000, 99_999_999).map(lambda n: f"{n}?"),
    "PE": st.tuples(st.sampled_from(["10", "15", "17", "20"]), _digits(8)).map(
        lambda t: f"{t[0]}{t[1]}?"
    ),
    "CO": st.integers(1_000_000, 999_999_999_999).map(lambda n: f"{n}?"),
    "MX": st.tuples(
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ñ", min_size=3, max_size=4),
        _date(),
        st.text(DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    ).map("".join),
    "UY": st.tuples(st.integers(1, 22), st.integers(1, 999_999)).map(
        lambda t: f"{t[0]:02d}{t[1]:06d}001?"
    ),
    "EC": st.tuples(st.integers(1, 24), _digits(6)).map(lambda t: f"{t[0]:02d}9{t[1]}?001"),
    "CR": st.one_of(
        st.tuples(
            st.sampled_from(["2100", "3101", "3102", "3014", "4000", "5001"]), _digits(6)
        ).map("".join),
        st.tuples(st.integers(1, 9), _digits(8)).map(lambda t: f"0{t[0]}{t[1]}"),
    ),
    "GT": st.integers(1, 99_999_999_999).map(lambda n: f"{n}?"),
    "AR": st.tuples(st.sampled_from(["20", "23", "24", "27", "30", "33", "34"]), _digits(8)).map(
        lambda t: f"{t[0]}{t[1]}?"
    ),
    "BR": st.text(DIGITS * 3 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=12, max_size=12).map(
        lambda base: base + cnpj.calc_check_digits(base)
    ),
    "PY": st.integers(100, 99_999_999).map(lambda n: f"{n}?"),
    "DO": st.integers(10_000_000, 99_999_999).map(lambda n: f"{n}?"),
    "VE": st.tuples(st.sampled_from("VEJPG"), _digits(8)).map(lambda t: f"{t[0]}{t[1]}?"),
    "SV": st.tuples(st.sampled_from("019"), _digits(12)).map(lambda t: f"{t[0]}{t[1]}?"),
    "PA": st.from_regex(r"[A-Z0-9]{3,20}", fullmatch=True),
    "HN": st.from_regex(r"[0-9]{14}", fullmatch=True),
    "BO": st.from_regex(r"[0-9]{5,12}", fullmatch=True),
    "NI": st.from_regex(r"[A-Z0-9]{14}", fullmatch=True),
}


def _complete(country: str, template: str) -> TaxId | None:
    for char in CHECK_CHARS if "?" in template else " ":
        try:
            return parse_tax_id(country, template.replace("?", char))
        except ValidationError:
            continue
    return None


@st.composite
def valid_tax_ids(draw: st.DrawFn) -> TaxId:
    country = draw(st.sampled_from(COUNTRY_CODES))
    tax_id = _complete(country, draw(TEMPLATES[country]))
    assume(tax_id is not None)
    assert tax_id is not None
    return tax_id


ALL_CODES = st.one_of(
    st.sampled_from(COUNTRY_CODES), st.sampled_from(COUNTRY_CODES).map(str.lower), st.text()
)
TAXISH = st.text(DIGITS + "Kk-. /,_:Ññ&ABCDEFGHIJVEJPXZ\u2013\uff11\u00a0")
ANY_TEXT = st.one_of(st.text(), TAXISH)


def test_templates_cover_every_country() -> None:
    assert set(TEMPLATES) == set(COUNTRY_CODES)


@settings(max_examples=400, deadline=None)
@given(valid_tax_ids())
def test_formatted_valid_number_parses_back_to_the_same_compact(tax_id: TaxId) -> None:
    country = tax_id.country
    assert parse_tax_id(country, tax_id.formatted) == tax_id
    assert parse_tax_id(country, tax_id.compact) == tax_id
    assert parse_tax_id(country, tax_id.formatted.lower()).compact == tax_id.compact
    assert compact_tax_id(country, tax_id.formatted) == tax_id.compact
    assert compact_tax_id(country, tax_id.compact) == tax_id.compact
    assert format_tax_id(country, tax_id.compact) == tax_id.formatted
    assert parse_company_ref(tax_id.ref) == tax_id


@settings(max_examples=300, deadline=None)
@given(ALL_CODES, ANY_TEXT)
def test_compact_is_idempotent_and_never_raises(country: str, value: str) -> None:
    once = compact_tax_id(country, value)
    assert compact_tax_id(country, once) == once


@settings(max_examples=300, deadline=None)
@given(ALL_CODES, ANY_TEXT, st.booleans())
def test_parse_raises_only_project_errors(country: str, value: str, allow_missing: bool) -> None:
    try:
        tax_id = parse_tax_id(country, value, allow_missing_check_digit=allow_missing)
    except GosocketError as error:
        assert isinstance(error, ValidationError)
        assert error.field in ("country", "tax_id")
        assert error.message
        return
    assert isinstance(tax_id, TaxId)
    assert tax_id.country in COUNTRY_CODES
    assert parse_tax_id(tax_id.country, tax_id.formatted) == tax_id


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.tuples(ALL_CODES, ANY_TEXT).map(":".join)))
def test_company_ref_raises_only_project_errors(ref: str) -> None:
    with contextlib.suppress(GosocketError):
        assert isinstance(parse_company_ref(ref), TaxId)


@settings(max_examples=200, deadline=None)
@given(ALL_CODES, ANY_TEXT)
def test_display_helpers_never_raise(country: str, value: str) -> None:
    assert isinstance(format_tax_id(country, value), str)
    assert isinstance(country_name(country), str)


# --------------------------------------------------------------------------- fast path
# ``fast_tax_id`` (taxid/fast.py) shortcuts ``parse_tax_id`` for bulk files; they must agree.


def _slow_tax(country: str, value: str) -> tuple[str, str] | None:
    try:
        tax = parse_tax_id(country, value)
    except ValidationError:
        return None
    return tax.country, tax.compact


def _fast_tax(country: str, value: str) -> tuple[str, str] | None:
    try:
        return fast_tax_id(country, value)
    except ValidationError:
        return None


@st.composite
def tax_inputs(draw: st.DrawFn) -> tuple[str, str]:
    country = draw(st.sampled_from(["CL", "PE", "CO", "MX", "AR", "CR"]))
    kind = draw(st.integers(0, 3))
    if kind == 0:  # random characters of the shapes the fast path looks at
        value = draw(st.text(alphabet="0123456789kKAEZ .-&Ñ", min_size=0, max_size=16))
    elif country == "CL":
        body = str(draw(st.integers(1_000_000, 99_999_999)))
        value = body + (rut.calc_check_digit(body) if kind == 1 else "7")
        value = rut.format(value) if kind == 2 else value
    elif country == "PE":
        body = draw(st.sampled_from(["10", "15", "16", "17", "20"])) + str(
            draw(st.integers(10_000_000, 99_999_999))
        )
        value = body + (ruc.calc_check_digit(body) if kind != 3 else "0")
    elif country == "CO":
        body = str(draw(st.integers(1_000_000, 9_999_999_999)))
        value = body + nit.calc_check_digit(body)
        value = nit.format(value) if kind == 2 else value
    else:
        letters = draw(st.text(alphabet="ABCXYZ", min_size=3, max_size=4))
        date = f"{draw(st.integers(0, 99)):02d}{draw(st.integers(0, 13)):02d}"
        date += f"{draw(st.integers(0, 32)):02d}"
        value = letters + date + draw(st.text(alphabet="A1B2", min_size=3, max_size=3))
    separators = draw(st.sampled_from(["", " ", "-", "."]))
    if separators and len(value) > 4:
        value = value[:2] + separators + value[2:]
    return country, draw(st.sampled_from([value, value.lower(), f" {value} ".strip()]))


@settings(max_examples=300, deadline=None)
@given(tax_inputs())
def test_fast_tax_id_agrees_with_parse_tax_id(case: tuple[str, str]) -> None:
    country, value = case
    assert _fast_tax(country, value) == _slow_tax(country, value)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["CL", "PE", "CO"]),
    st.integers(10_000_000, 999_999_999_999_999),
    st.sampled_from(["10", "15", "17", "20"]),
)
def test_fast_check_digits_are_stdnums(country: str, number: int, pe_type: str) -> None:
    """The fast path's written-out check-digit formulas accept exactly stdnum's digit: every
    other digit is refused (through ``parse_tax_id``, whose refusal the fast path returns)."""
    module = {"CL": rut, "PE": ruc, "CO": nit}[country]
    body = {
        "CL": str(number)[: 7 + number % 2],
        "PE": pe_type + str(number)[:8],
        "CO": str(number),
    }[country]
    right = module.calc_check_digit(body)
    for digit in "0123456789K":
        value = body + digit
        if digit == right:
            assert fast_tax_id(country, value)[0] == country
        else:
            with pytest.raises(ValidationError):
                fast_tax_id(country, value)
