"""What the activation form holds and what the screen checks before asking the service.

The form checks only what the service cannot see (a country not chosen, two passwords that
differ); every other rule is the service's to say, and :data:`FIELD_INPUTS` places the
service's message under the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from gosocket_tui.i18n import _
from gosocket_tui.services.taxid import COUNTRIES, expected_form

# Service field name → the input whose note shows the message.
FIELD_INPUTS: dict[str, str] = {
    "country": "act-tax-id",
    "tax_id": "act-tax-id",
    "inviter_country": "act-inviter-tax-id",
    "inviter_tax_id": "act-inviter-tax-id",
    "code": "act-code",
    "username": "act-username",
    "password": "act-password",
    "password_again": "act-password-again",
}


@dataclass(frozen=True)
class ActivationForm:
    """What the fields hold when the supplier presses Activate."""

    supplier_country: str
    supplier_tax_id: str
    inviter_country: str
    inviter_tax_id: str
    code: str
    username: str
    password: str
    password_again: str


def check_form(form: ActivationForm) -> dict[str, str]:
    """What the screen itself checks before asking the service: field → message.

    Only what the service cannot see: a country not chosen, and the two passwords differing.
    Everything else (Tax IDs, code, username and password rules) is the service's to say.
    """
    errors: dict[str, str] = {}
    if not form.supplier_country:
        errors["country"] = _("Choose your company's country.")
    if not form.inviter_country:
        errors["inviter_country"] = _("Choose the country of the company that invited you.")
    if form.password_again != form.password:
        errors["password_again"] = _("The passwords do not match.")
    return errors


def tax_id_hint(country: str) -> str:
    """``RUT: 7 or 8 digits …, like 76.086.428-5`` (the NIT may omit its check digit)."""
    id_name = next((c.id_name for c in COUNTRIES if c.code == country), "")
    form = expected_form(country, allow_missing_check_digit=True)
    return f"{id_name}: {form}" if id_name else form
