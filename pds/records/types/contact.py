"""Contact records: phone numbers, email addresses and postal addresses."""

from __future__ import annotations

import re
from typing import Annotated, Literal

import phonenumbers
from pydantic import (
    BeforeValidator,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from pds.records.types.fields import Code, Record, Text, ascii_digits, examples

__all__ = ["Address", "Email", "Phone"]


class Phone(Record):
    """A phone number."""

    model_config = examples(
        {"number": "+919876543210", "kind": "mobile"},
        {"number": "+918022223333", "kind": "landline"},
    )

    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)
    ] = Field(
        description="Phone number; read as Indian without a country code. Stored in E.164 form.",
        examples=["+919876543210", "098765 43210"],
    )
    kind: Literal["mobile", "landline", "whatsapp"] = Field(
        default="mobile", validate_default=True, description="What the number is used for."
    )

    @field_validator("number")
    @classmethod
    def _to_e164(cls, number: str) -> str:
        try:
            parsed = phonenumbers.parse(number, "IN")
        except phonenumbers.NumberParseException as exc:
            raise ValueError("not a phone number") from exc
        if not phonenumbers.is_valid_number(parsed):
            raise ValueError("not a valid phone number for its country")
        if parsed.extension:
            raise ValueError("extensions are not supported")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("kind")
    @classmethod
    def _kind_fits_number(cls, kind: str, info: ValidationInfo) -> str:
        number = info.data.get("number")
        if number is None:
            return kind
        # A landline cannot receive the SMS reminders NGOs send to "mobile" numbers, and the
        # reverse mix-up hides a reachable number; WhatsApp runs on both, so it is not checked.
        number_type = phonenumbers.number_type(phonenumbers.parse(number))
        if kind == "mobile" and number_type == phonenumbers.PhoneNumberType.FIXED_LINE:
            raise ValueError("this is a landline number")
        if kind == "landline" and number_type == phonenumbers.PhoneNumberType.MOBILE:
            raise ValueError("this is a mobile number")
        return kind


class Email(Record):
    """An email address."""

    model_config = examples({"email": "asha.devi@example.org"})

    email: EmailStr = Field(description="Email address; the domain is stored in lower case.")


# phonenumbers' region list: ISO 3166-1 alpha-2 codes of every place with a phone numbering plan.
_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)

_INDIAN_STATES = (
    "Andhra Pradesh", "Arunachal Pradesh", "Assam", "Bihar", "Chhattisgarh", "Goa", "Gujarat",
    "Haryana", "Himachal Pradesh", "Jharkhand", "Karnataka", "Kerala", "Madhya Pradesh",
    "Maharashtra", "Manipur", "Meghalaya", "Mizoram", "Nagaland", "Odisha", "Punjab", "Rajasthan",
    "Sikkim", "Tamil Nadu", "Telangana", "Tripura", "Uttar Pradesh", "Uttarakhand", "West Bengal",
    # The union territories.
    "Andaman and Nicobar Islands", "Chandigarh", "Dadra and Nagar Haveli and Daman and Diu",
    "Delhi", "Jammu and Kashmir", "Ladakh", "Lakshadweep", "Puducherry",
)  # fmt: skip


def _state_key(name: str) -> str:
    return " ".join(name.replace("&", " and ").casefold().split())


# Old names still printed on many documents map to today's.
_STATE_BY_KEY = {_state_key(state): state for state in _INDIAN_STATES} | {
    "orissa": "Odisha", "pondicherry": "Puducherry", "uttaranchal": "Uttarakhand",
    "nct of delhi": "Delhi", "new delhi": "Delhi",
}  # fmt: skip
_PIN = re.compile(r"[1-9][0-9]{5}")
COUNTRY_PATTERN = r"^[A-Z]{2}$"  # ISO 3166-1 alpha-2, checked against the known ones below
# What people type for India where a code is asked for: its alpha-3 code and its names.
_INDIA = frozenset({"IND", "INDIA", "BHARAT", "भारत"})


def _country_code(value: object) -> object:
    """Upper case, and India by any of its usual names as IN."""
    if not isinstance(value, str):
        return value
    code = value.strip().upper()
    return "IN" if code in _INDIA else code


class Address(Record):
    """A postal address. The country comes first because it decides how the rest is checked."""

    model_config = examples(
        {"country": "IN", "line1": "House 12, Gandhi Nagar", "village_or_city": "Rampur",
         "district": "Bareilly", "state": "Uttar Pradesh", "postal_code": "243001"},
        {"country": "AE", "line1": "Flat 4, Al Nahda Building", "village_or_city": "Dubai"},
    )  # fmt: skip

    country: Annotated[
        str,
        StringConstraints(strip_whitespace=True, pattern=COUNTRY_PATTERN),
        BeforeValidator(_country_code),
    ] = Field(default="IN", description="ISO 3166-1 alpha-2 country code (IND, India: IN).")
    line1: Text = Field(description="House, street or landmark.")
    line2: Text | None = Field(default=None, description="More of the address, if needed.")
    village_or_city: Text = Field(description="Village, town or city.")
    district: Text | None = Field(default=None, description="District.")
    state: Text | None = Field(
        default=None,
        description="State or union territory; in India one of the 36, e.g. 'Tamil Nadu'.",
    )
    postal_code: Code | None = Field(
        default=None,
        validate_default=True,
        description="Postal code; required in India: the 6-digit PIN code.",
    )

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str) -> str:
        if country not in _COUNTRIES:
            raise ValueError("not a known ISO 3166-1 alpha-2 country code")
        return country

    @field_validator("state")
    @classmethod
    def _indian_state(cls, state: str | None, info: ValidationInfo) -> str | None:
        if state is None or info.data.get("country") != "IN":
            return state
        canonical = _STATE_BY_KEY.get(_state_key(state))
        if canonical is None:
            raise ValueError("not a state or union territory of India")
        return canonical

    @field_validator("postal_code")
    @classmethod
    def _indian_pin(cls, postal_code: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("country") != "IN":
            return postal_code
        if postal_code is None:
            raise ValueError("a PIN code is required for an address in India")
        compact = ascii_digits(postal_code).replace(" ", "")  # a Hindi keyboard's digits too
        if not _PIN.fullmatch(compact):
            raise ValueError("a PIN code is 6 digits and does not start with 0")
        return compact
