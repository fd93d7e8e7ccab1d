"""The countries of the network and how each one's Tax ID looks (python-stdnum's checks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stdnum.ar import cuit as ar_cuit
from stdnum.br import cnpj as br_cnpj
from stdnum.cl import rut as cl_rut
from stdnum.co import nit as co_nit
from stdnum.cr import cpf as cr_cpf
from stdnum.cr import cpj as cr_cpj
from stdnum.do import rnc as do_rnc
from stdnum.ec import ruc as ec_ruc
from stdnum.exceptions import InvalidLength
from stdnum.gt import nit as gt_nit
from stdnum.mx import rfc as mx_rfc
from stdnum.pe import ruc as pe_ruc
from stdnum.py import ruc as py_ruc
from stdnum.sv import nit as sv_nit
from stdnum.uy import rut as uy_rut
from stdnum.ve import rif as ve_rif


@dataclass(frozen=True, slots=True)
class TaxId:
    """A validated Tax ID. Store and compare ``compact`` (per country); show ``formatted``.

    ``verifiable`` is False for countries without a checksum module (PA, HN, BO, NI): the
    value only passed a shape check, so the UI can say it was not verified.
    """

    country: str
    compact: str
    formatted: str
    verifiable: bool

    @property
    def ref(self) -> str:
        """The ``COUNTRY:TAXID`` form that ``parse_company_ref`` reads back (CLI, audit)."""
        return f"{self.country}:{self.formatted}"


@dataclass(frozen=True, slots=True)
class Scheme:
    """One kind of number a country accepts (Costa Rica: legal persons and people)."""

    validate: Callable[[str], str]
    format: Callable[[str], str] | None = None


@dataclass(frozen=True, slots=True)
class Country:
    """A country of the network and how its Tax ID looks.

    ``name`` and ``form`` are English source texts, translated when shown (``country_name``,
    ``expected_form``); ``id_name`` is the local acronym, the same in every language.
    """

    code: str
    name: str
    id_name: str
    form: str
    example: str
    schemes: tuple[Scheme, ...] = ()

    @property
    def verifiable(self) -> bool:
        return bool(self.schemes)


def _mx_validate(number: str) -> str:
    # The check digit stays off: about 1.5% of real RFCs fail it (see stdnum.mx.rfc). stdnum
    # also accepts the 10-character personal prefix without homoclave, which cannot invoice.
    compact = str(mx_rfc.validate(number, validate_check_digits=False))
    if len(compact) not in (12, 13):
        raise InvalidLength()
    return compact


_PLAIN_FORM = "3 to 20 letters or digits, like {example}"

# Ordered as DOMAIN.md lists them: Gosocket's main markets first, unverifiable ones last.
COUNTRIES: list[Country] = [
    Country(
        "CL",
        "Chile",
        "RUT",
        "7 or 8 digits and a check digit 0-9 or K, like {example}",
        "76.086.428-5",
        (Scheme(cl_rut.validate, cl_rut.format),),
    ),
    Country(
        "PE",
        "Peru",
        "RUC",
        "11 digits starting with 10, 15, 17 or 20, like {example}",
        "20512333797",
        (Scheme(pe_ruc.validate),),
    ),
    Country(
        "CO",
        "Colombia",
        "NIT",
        "the NIT digits followed by its check digit, like {example}",
        "860.007.386-1",
        (Scheme(co_nit.validate, co_nit.format),),
    ),
    Country(
        "MX",
        "Mexico",
        "RFC",
        "12 characters for a company or 13 for a person (letters, a date YYMMDD and a"
        " 3-character homoclave), like {example}",
        "MAB9307148T4",
        (Scheme(_mx_validate, mx_rfc.format),),
    ),
    Country(
        "UY",
        "Uruguay",
        "RUT",
        "12 digits ending in 001 and a check digit, like {example}",
        "21-100342-001-7",
        (Scheme(uy_rut.validate, uy_rut.format),),
    ),
    Country(
        "EC",
        "Ecuador",
        "RUC",
        "13 digits, like {example}",
        "1792060346001",
        (Scheme(ec_ruc.validate),),
    ),
    Country(
        "CR",
        "Costa Rica",
        "cédula",
        "10 digits, a cédula jurídica like {example} or a cédula física like 01-0613-0584",
        "3-101-123456",
        (Scheme(cr_cpj.validate, cr_cpj.format), Scheme(cr_cpf.validate, cr_cpf.format)),
    ),
    Country(
        "GT",
        "Guatemala",
        "NIT",
        "up to 11 digits and a check digit 0-9 or K, like {example}",
        "576937-K",
        (Scheme(gt_nit.validate, gt_nit.format),),
    ),
    Country(
        "AR",
        "Argentina",
        "CUIT",
        "11 digits (type, number and check digit), like {example}",
        "30-50001091-2",
        (Scheme(ar_cuit.validate, ar_cuit.format),),
    ),
    Country(
        "BR",
        "Brazil",
        "CNPJ",
        "14 characters, 12 digits or letters and 2 check digits, like {example}",
        "16.727.230/0001-97",
        (Scheme(br_cnpj.validate, br_cnpj.format),),
    ),
    Country(
        "PY",
        "Paraguay",
        "RUC",
        "up to 8 digits and a check digit, like {example}",
        "80028061-0",
        (Scheme(py_ruc.validate, py_ruc.format),),
    ),
    Country(
        "DO",
        "Dominican Republic",
        "RNC",
        "9 digits, like {example}",
        "1-01-85004-3",
        (Scheme(do_rnc.validate, do_rnc.format),),
    ),
    Country(
        "VE",
        "Venezuela",
        "RIF",
        "a letter V, E, J, P or G and 9 digits, like {example}",
        "J-31234567-5",
        (Scheme(ve_rif.validate),),
    ),
    Country(
        "SV",
        "El Salvador",
        "NIT",
        "14 digits, like {example}",
        "0614-050707-104-8",
        (Scheme(sv_nit.validate, sv_nit.format),),
    ),
    Country("PA", "Panama", "RUC", _PLAIN_FORM, "155596713-2-2015"),
    Country("HN", "Honduras", "RTN", _PLAIN_FORM, "08011999123456"),
    Country("BO", "Bolivia", "NIT", _PLAIN_FORM, "1020703023"),
    Country("NI", "Nicaragua", "RUC", _PLAIN_FORM, "J0310000000001"),
]

COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)
BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}

# Countries whose Tax ID is a plain number and a check digit computed from the right, so a
# leading zero changes neither the number nor its check digit: Chile's RUT, Colombia's NIT,
# Paraguay's RUC and Guatemala's NIT (stdnum already drops the latter's zeros). Their
# canonical form has the leading zeros dropped, then is padded back to the shortest length
# stdnum accepts (so every number has exactly one form and that form still validates).
# Every other verifiable country has a fixed length whose first digits carry meaning
# (Peru's 10/20 type, Ecuador's and Uruguay's province, Brazil's CNPJ, El Salvador's
# municipality, Costa Rica's class…): a padded number there is refused, not rewritten.
# Unverifiable countries (PA, HN, BO, NI) are kept as typed, separators apart: without
# their registry's rules we cannot know that a zero means nothing. SECURITY.md, "Canonical
# Tax IDs"; migration v4 rewrote the rows stored before this rule.
ZERO_INSIGNIFICANT: dict[str, int] = {"CL": 8, "CO": 8, "PY": 3, "GT": 3}


def canonical_compact(country: str, compact: str) -> str:
    """The one stored form of a valid compact number of ``country`` (see ZERO_INSIGNIFICANT)."""
    shortest = ZERO_INSIGNIFICANT.get(country)
    if shortest is None:
        return compact
    return compact.lstrip("0").rjust(shortest, "0")
