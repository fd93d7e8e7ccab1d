"""Tax IDs (ID fiscal) per country: validate, normalise, format.

``countries`` holds the country table (python-stdnum's check per country), ``parse`` the
parser every form, search and import uses, and ``fast`` the shortcut bulk files take for
plain numbers of the main markets (stdnum's formulas written out, held equal to the parser
by property tests).
"""

from gosocket_tui.services.taxid.countries import (
    COUNTRIES,
    COUNTRY_CODES,
    ZERO_INSIGNIFICANT,
    Country,
    TaxId,
    canonical_compact,
)
from gosocket_tui.services.taxid.fast import fast_tax_id
from gosocket_tui.services.taxid.parse import (
    compact_tax_id,
    country_choices,
    country_name,
    expected_form,
    format_tax_id,
    parse_company_ref,
    parse_tax_id,
    zero_free_prefix,
)

__all__ = [
    "COUNTRIES",
    "COUNTRY_CODES",
    "ZERO_INSIGNIFICANT",
    "Country",
    "TaxId",
    "canonical_compact",
    "compact_tax_id",
    "country_choices",
    "country_name",
    "expected_form",
    "fast_tax_id",
    "format_tax_id",
    "parse_company_ref",
    "parse_tax_id",
    "zero_free_prefix",
]
