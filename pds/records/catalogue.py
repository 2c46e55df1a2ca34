"""The catalogue of record types a person can keep: one Pydantic model per type.

A record's value is validated by its type's model and stored in the normalised JSON form that
`validate_value` returns, so every stored value has already passed the same checks an API client
sees in the type's JSON Schema. The models are strict about shape (unknown fields, wrong types,
empty or over-long strings are rejected) but forgiving about how a field worker types a value
(spaces in an Aadhaar number, a phone number without +91, a lower-case PAN): those are normalised.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, Literal

import phonenumbers
import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

__all__ = [
    "CATALOGUE",
    "CATEGORIES",
    "RecordType",
    "UnknownRecordType",
    "get_record_type",
    "validate_value",
]


class UnknownRecordType(LookupError):
    """No record type of that name is in the catalogue."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown record type: {name!r}")
        self.name = name


# --- shared field types ---------------------------------------------------------------------


def _nfc(value: object) -> object:
    # Indic scripts can spell the same name with different code point sequences; NFC makes equal
    # names equal. It runs before the length check so a normalised value always re-validates.
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


# No control characters: they are never part of a name or an address and they corrupt exports,
# logs and screens. Notes may span lines, so they keep tab and newline.
_ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
_MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"

# In every Annotated below StringConstraints come before a BeforeValidator: placed after it, their
# pattern is still enforced but silently left out of the JSON Schema.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_ONE_LINE),
    BeforeValidator(_nfc),
]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=_ONE_LINE),
    BeforeValidator(_nfc),
]
Notes = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=_MULTI_LINE),
    BeforeValidator(_nfc),
]
# Strict: a JSON client that sends "2" or true where a number belongs has a bug worth reporting.
Count = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]
Rupees = Annotated[int, Strict(), Field(ge=0, le=10_000_000)]

_EARLIEST = dt.date(1900, 1, 1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_only(value: object) -> object:
    # Pydantic's lax mode would also read 86400 as 1970-01-02 and accept datetimes; a record date
    # is a calendar date written YYYY-MM-DD, nothing else.
    if type(value) is dt.date or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("should be a date written YYYY-MM-DD")


def _today() -> dt.date:
    # The latest calendar date anywhere on Earth (UTC+14): a date that is today for the person
    # entering it must never be rejected as "in the future", whatever the server's clock zone.
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=14))).date()


def _not_before_1900(value: dt.date) -> dt.date:
    # Nobody alive was born earlier; an older date is a typo (0990 for 1990).
    if value < _EARLIEST:
        raise ValueError("must not be before 1900")
    return value


def _not_in_future(value: dt.date) -> dt.date:
    if value > _today():
        raise ValueError("must not be in the future")
    return value


Date = Annotated[dt.date, BeforeValidator(_iso_date_only), AfterValidator(_not_before_1900)]
PastDate = Annotated[Date, AfterValidator(_not_in_future)]


class _Record(BaseModel):
    # Every model refuses unknown fields: a misspelt field name must not be stored silently.
    model_config = ConfigDict(extra="forbid", revalidate_instances="always")


def _examples(*values: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(values)})


# --- identity -------------------------------------------------------------------------------


class PersonName(_Record):
    """A person's name. Many people in India have a single name, so only given_name is required."""

    model_config = _examples(
        {"given_name": "Lakshmi", "family_name": None, "other_names": [], "preferred_name": None},
        {
            "given_name": "Ravi",
            "family_name": "Kumar",
            "other_names": ["रवि कुमार"],
            "preferred_name": "Ravi",
        },
    )

    given_name: Text = Field(
        description="The person's own name; for someone with one name, that name."
    )
    family_name: Text | None = Field(
        default=None, description="Surname or family name, if the person has one."
    )
    other_names: list[Text] = Field(
        default_factory=list,
        max_length=10,
        description="Other names: aliases, or the name in another script.",
    )
    preferred_name: Text | None = Field(
        default=None, description="What the person likes to be called."
    )


class DateOfBirth(_Record):
    """A person's date of birth."""

    model_config = _examples(
        {"date": "1987-06-01", "approximate": True}, {"date": "2019-11-23", "approximate": False}
    )

    date: PastDate = Field(
        description="Date of birth (YYYY-MM-DD), not in the future and not before 1900."
    )
    approximate: Flag = Field(
        default=False,
        description="True when only the year (or year and month) is known and the rest is a guess.",
    )


IdScheme = Literal[
    "aadhaar", "pan", "voter_id", "passport", "ration_card", "driving_licence", "other"
]

# (format after removing spaces and hyphens, what to tell the person when it does not match).
_ID_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "aadhaar": (re.compile(r"[2-9][0-9]{11}"), "12 digits, not starting with 0 or 1"),
    # The fourth letter is the holder type (P for a person, C for a company, ...).
    "pan": (re.compile(r"[A-Z]{3}[ABCFGHJLPTK][A-Z][0-9]{4}[A-Z]"), "like ABCPE1234F"),
    "voter_id": (re.compile(r"[A-Z]{3}[0-9]{7}"), "3 letters and 7 digits, like ABC1234567"),
    "passport": (re.compile(r"[A-Z][0-9]{7}"), "a letter and 7 digits, like K1234567"),
    "driving_licence": (
        re.compile(r"[A-Z]{2}[0-9A-Z]{6,18}"),
        "a state code and number, like MH1220110012345",
    ),
}
# Ration card numbers differ by state, so they (and "other") only get a sanity check.
_ANY_ID = re.compile(r"[A-Z0-9][A-Z0-9 /.-]*")

_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def _verhoeff_valid(digits: str) -> bool:
    # Aadhaar's last digit is a Verhoeff check digit: it catches every single-digit typo and
    # every swap of adjacent digits, the two mistakes people make copying a number off a card.
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


class GovernmentId(_Record):
    """A government-issued identity number."""

    model_config = _examples(
        {"scheme": "aadhaar", "number": "234123412346", "issued_by": "UIDAI"},
        {"scheme": "pan", "number": "ABCPE1234F", "issued_by": None},
    )

    scheme: IdScheme = Field(description="Which kind of identity document this is.")
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)
    ] = Field(
        description="The number as printed; spaces and hyphens are dropped, letters upper-cased. "
        "Aadhaar: 12 digits with a valid check digit; PAN: ABCPE1234F; "
        "voter ID (EPIC): ABC1234567; passport: K1234567.",
        examples=["2341 2341 2346"],
    )
    issued_by: Text | None = Field(
        default=None,
        validate_default=True,
        description="Who issued it, e.g. a state's food department; required for scheme 'other'.",
    )

    @field_validator("number")
    @classmethod
    def _check_number(cls, number: str, info: ValidationInfo) -> str:
        number = number.upper()
        scheme = info.data.get("scheme")
        if scheme not in _ID_FORMATS:
            if not _ANY_ID.fullmatch(number):
                raise ValueError("use only letters, digits, spaces and / . -")
            return number
        pattern, hint = _ID_FORMATS[scheme]
        compact = number.replace(" ", "").replace("-", "")
        if not pattern.fullmatch(compact):
            raise ValueError(f"not a valid {scheme} number: expected {hint}")
        if scheme == "aadhaar" and not _verhoeff_valid(compact):
            raise ValueError(
                "not a valid aadhaar number: the check digit does not match (is a digit mistyped?)"
            )
        return compact

    @field_validator("issued_by")
    @classmethod
    def _issuer_for_other(cls, issued_by: str | None, info: ValidationInfo) -> str | None:
        if issued_by is None and info.data.get("scheme") == "other":
            raise ValueError("say who issued an identity document of scheme 'other'")
        return issued_by


# --- contact --------------------------------------------------------------------------------


class Phone(_Record):
    """A phone number."""

    model_config = _examples(
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


class Email(_Record):
    """An email address."""

    model_config = _examples({"email": "asha.devi@example.org"})

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


class Address(_Record):
    """A postal address. The country comes first because it decides how the rest is checked."""

    model_config = _examples(
        {"country": "IN", "line1": "House 12, Gandhi Nagar", "village_or_city": "Rampur",
         "district": "Bareilly", "state": "Uttar Pradesh", "postal_code": "243001"},
        {"country": "AE", "line1": "Flat 4, Al Nahda Building", "village_or_city": "Dubai"},
    )  # fmt: skip

    country: Annotated[
        str,
        StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{2}$"),
        BeforeValidator(_upper),
    ] = Field(default="IN", description="ISO 3166-1 alpha-2 country code.")
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
        compact = postal_code.replace(" ", "")
        if not _PIN.fullmatch(compact):
            raise ValueError("a PIN code is 6 digits and does not start with 0")
        return compact


# --- household ------------------------------------------------------------------------------

Relationship = Literal[
    "self", "spouse", "child", "parent", "sibling", "grandparent", "grandchild", "parent_in_law",
    "child_in_law", "sibling_in_law", "other_relative", "not_related",
]  # fmt: skip


class HouseholdMember(_Record):
    """One person living in the household."""

    name: Text = Field(description="The member's name.")
    relationship: Relationship = Field(
        description="How the member is related to the person who keeps this record."
    )
    year_of_birth: Annotated[Count, Field(ge=1900)] | None = Field(
        default=None, description="Year of birth, if known; not after the current year."
    )

    @field_validator("year_of_birth")
    @classmethod
    def _born_already(cls, year: int | None) -> int | None:
        if year is not None and year > _today().year:
            raise ValueError("must not be in the future")
        return year


class HouseholdMembers(_Record):
    """The people who live in the person's household, the person included."""

    model_config = _examples(
        {
            "members": [
                {"name": "Sunita", "relationship": "self", "year_of_birth": 1990},
                {"name": "Ramesh", "relationship": "spouse", "year_of_birth": 1985},
                {"name": "Priya", "relationship": "child", "year_of_birth": None},
            ]
        }
    )

    members: list[HouseholdMember] = Field(
        min_length=1, max_length=30, description="Everyone in the household."
    )

    @field_validator("members")
    @classmethod
    def _one_self(cls, members: list[HouseholdMember]) -> list[HouseholdMember]:
        if sum(member.relationship == "self" for member in members) > 1:
            raise ValueError("only one member can be 'self'")
        return members


# --- health ---------------------------------------------------------------------------------

# The vaccines on India's Universal Immunisation Programme schedule (and on the Mother and Child
# Protection card), plus TT from older cards and COVID-19, which most adults have on record.
Vaccine = Literal[
    "bcg", "hepatitis_b", "opv", "ipv", "pentavalent", "rotavirus", "pcv", "measles_rubella",
    "japanese_encephalitis", "dpt", "td", "tt", "hpv", "covid_19", "other",
]  # fmt: skip


def _other_name_iff_other(other_name: str | None, info: ValidationInfo, field: str) -> str | None:
    is_other = info.data.get(field) == "other"
    if is_other and other_name is None:
        raise ValueError(f"name the {field} when it is 'other'")
    if not is_other and other_name is not None:
        raise ValueError(f"only used when {field} is 'other'")
    return other_name


class Immunisation(_Record):
    """One dose of a vaccine."""

    model_config = _examples(
        {"vaccine": "pentavalent", "dose": 2, "date": "2023-08-14", "batch": "PV-2301",
         "administered_by": "ANM, Sub-centre Rampur"},
        {"vaccine": "other", "other_name": "Typhoid conjugate", "dose": 1, "date": "2022-01-10"},
    )  # fmt: skip

    vaccine: Vaccine = Field(description="The vaccine given.")
    other_name: Text | None = Field(
        default=None,
        validate_default=True,
        description="The vaccine's name; required when vaccine is 'other'.",
    )
    # 0 is the birth dose the MCP card records as OPV-0; a 1-based count would have no place for it.
    dose: Annotated[Count, Field(ge=0, le=10)] = Field(
        description="Dose number; 0 for a birth dose such as OPV-0."
    )
    date: PastDate = Field(description="Date given (YYYY-MM-DD), not in the future.")
    administered_by: Text | None = Field(
        default=None, description="Who gave it, or where: a health worker or facility."
    )
    batch: Code | None = Field(default=None, description="Batch or lot number from the vial.")

    @field_validator("other_name")
    @classmethod
    def _other_vaccine(cls, other_name: str | None, info: ValidationInfo) -> str | None:
        return _other_name_iff_other(other_name, info, "vaccine")


# A category (E11) or a code (E11.9); ICD-10-CM extensions (S52.521A) fit too.
Icd10Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"),
    BeforeValidator(_upper),
]


class Condition(_Record):
    """A diagnosed health condition."""

    model_config = _examples(
        {"name": "Type 2 diabetes", "icd10_code": "E11.9", "diagnosed_on": "2020-02-01",
         "status": "managed", "notes": "On metformin; checks at the PHC every month."},
        {"name": "Tuberculosis", "status": "resolved"},
    )  # fmt: skip

    name: Text = Field(description="The condition, in the words the person or health worker uses.")
    icd10_code: Icd10Code | None = Field(
        default=None, description="ICD-10 code, if known.", examples=["E11.9", "A15.0"]
    )
    diagnosed_on: PastDate | None = Field(
        default=None, description="Date of diagnosis (YYYY-MM-DD), not in the future."
    )
    status: Literal["active", "managed", "resolved"] = Field(
        description="active: not under control; managed: treated or controlled; resolved: over."
    )
    notes: Notes | None = Field(
        default=None, description="Anything else worth knowing, up to 2000 characters."
    )


# --- education, income, employment ----------------------------------------------------------

EducationLevel = Literal[
    "pre_primary", "primary", "upper_primary", "secondary", "higher_secondary", "vocational",
    "undergraduate", "postgraduate", "other",
]  # fmt: skip


class Enrolment(_Record):
    """A period of study at a school, college or training centre."""

    model_config = _examples(
        {"institution": "Government Primary School, Rampur", "level": "primary",
         "grade": "Class 4", "start_date": "2021-06-15", "status": "enrolled"},
        {"institution": "ITI Bareilly", "level": "vocational", "start_date": "2018-08-01",
         "end_date": "2020-07-31", "status": "completed"},
    )  # fmt: skip

    institution: Text = Field(description="Name of the school, college or centre.")
    level: EducationLevel = Field(description="Level of study.")
    grade: Code | None = Field(
        default=None, description="Class, standard or year, e.g. 'Class 4' or '2nd year'."
    )
    start_date: Date = Field(description="When the enrolment started (YYYY-MM-DD).")
    end_date: Date | None = Field(
        default=None, description="When it ended or is expected to end; not before the start."
    )
    status: Literal["enrolled", "completed", "dropped_out", "transferred"] = Field(
        description="Where it stands."
    )

    @field_validator("end_date")
    @classmethod
    def _ends_after_start(cls, end_date: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start_date = info.data.get("start_date")
        if end_date is not None and start_date is not None and end_date < start_date:
            raise ValueError("must not be before the start date")
        return end_date

    @field_validator("status")
    @classmethod
    def _finished_in_past(cls, status: str, info: ValidationInfo) -> str:
        # Only a current enrolment can have an expected end date; a finished one ended already.
        end_date = info.data.get("end_date")
        if status != "enrolled" and end_date is not None and end_date > _today():
            raise ValueError(f"an enrolment that is {status} cannot end in the future")
        return status


BenefitScheme = Literal[
    "pm_kisan", "mgnrega", "old_age_pension", "widow_pension", "disability_pension",
    "public_distribution_system", "pm_awas_yojana", "pm_jay", "maternity_benefit", "scholarship",
    "other",
]  # fmt: skip
Frequency = Literal[
    "one_time", "daily", "weekly", "fortnightly", "monthly", "quarterly", "yearly", "irregular"
]


class Benefit(_Record):
    """A government benefit or welfare scheme the person receives or has applied for."""

    model_config = _examples(
        {"scheme": "pm_kisan", "beneficiary_id": "UP123456789", "amount_inr": 6000,
         "frequency": "yearly", "since": "2019-04-01", "status": "receiving"},
        {"scheme": "other", "other_name": "Ladli Behna Yojana", "status": "applied"},
    )  # fmt: skip

    scheme: BenefitScheme = Field(description="The scheme.")
    other_name: Text | None = Field(
        default=None,
        validate_default=True,
        description="The scheme's name; required when scheme is 'other'.",
    )
    beneficiary_id: Code | None = Field(
        default=None, description="The person's id or registration number in the scheme."
    )
    amount_inr: Rupees | None = Field(
        default=None, description="Amount in whole rupees per payment period."
    )
    frequency: Frequency | None = Field(
        default=None,
        validate_default=True,
        description="How often the amount is paid; required with an amount.",
    )
    since: PastDate | None = Field(
        default=None, description="Since when (YYYY-MM-DD), not in the future."
    )
    status: Literal["applied", "receiving", "suspended", "stopped", "rejected"] = Field(
        description="Where it stands."
    )

    @field_validator("other_name")
    @classmethod
    def _other_scheme(cls, other_name: str | None, info: ValidationInfo) -> str | None:
        return _other_name_iff_other(other_name, info, "scheme")

    @field_validator("frequency")
    @classmethod
    def _frequency_with_amount(cls, frequency: str | None, info: ValidationInfo) -> str | None:
        if frequency is None and info.data.get("amount_inr") is not None:
            raise ValueError("say how often the amount is paid")
        return frequency


EmploymentStatus = Literal[
    "employed", "self_employed", "unemployed", "student", "homemaker", "retired", "unable_to_work",
    "other",
]  # fmt: skip


class Employment(_Record):
    """What the person does for a living. Several records for several occupations at once."""

    model_config = _examples(
        {"status": "employed", "occupation": "Construction worker", "employer": "Sharma Builders",
         "monthly_income_inr": 12000, "since": "2022-03-01"},
        {"status": "self_employed", "occupation": "Tailor"},
    )  # fmt: skip

    status: EmploymentStatus = Field(description="Work status.")
    occupation: Text | None = Field(
        default=None, description="The work done, e.g. 'farm labourer' or 'tailor'."
    )
    employer: Text | None = Field(
        default=None, description="Who employs the person; only for status 'employed'."
    )
    monthly_income_inr: Rupees | None = Field(
        default=None, description="Usual income per month, in whole rupees."
    )
    since: PastDate | None = Field(
        default=None, description="Since when (YYYY-MM-DD), not in the future."
    )

    @field_validator("employer")
    @classmethod
    def _employer_when_employed(cls, employer: str | None, info: ValidationInfo) -> str | None:
        if employer is not None and info.data.get("status") != "employed":
            raise ValueError("only used when status is 'employed'")
        return employer


# --- the catalogue --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordType:
    """One kind of record a person can keep, with the model that validates its values."""

    name: str
    category: str
    label: str
    description: str
    model: type[pydantic.BaseModel]
    # Special-category data (health, government ids, benefits): shown with extra care.
    sensitive: bool
    # Whether a person may hold several records of this type.
    multiple: bool

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of a value of this type, with examples."""
        return self.model.model_json_schema()


CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "identity": "Identity",
        "contact": "Contact details",
        "household": "Household",
        "health": "Health",
        "education": "Education",
        "income": "Income and benefits",
        "employment": "Work",
    }
)


# fmt: off
_RECORD_TYPES = (
    # name, label, description for the consent screen, model, sensitive, multiple
    ("identity.name", "Name",
     "your name: given name, family name and other names", PersonName, False, False),
    ("identity.date_of_birth", "Date of birth",
     "your date of birth, or the year if that is all you know", DateOfBirth, False, False),
    ("identity.government_id", "Government IDs",
     "your identity numbers, such as Aadhaar, PAN or voter ID", GovernmentId, True, True),
    ("contact.phone", "Phone numbers",
     "your phone numbers", Phone, False, True),
    ("contact.email", "Email addresses",
     "your email addresses", Email, False, True),
    ("contact.address", "Addresses",
     "your addresses: village or city, district, state and PIN code", Address, False, True),
    ("household.members", "Household members",
     "the people in your household: names, relationship to you and year of birth",
     HouseholdMembers, False, False),
    ("health.immunisations", "Immunisations",
     "your immunisation history: vaccine, dose and date", Immunisation, True, True),
    ("health.conditions", "Health conditions",
     "your health conditions: diagnosis, when it was made and how it is now",
     Condition, True, True),
    ("education.enrolment", "Education",
     "your schooling and studies: where, at what level and when", Enrolment, False, True),
    ("income.benefits", "Government benefits",
     "the government benefits you receive or applied for, and their amounts", Benefit, True, True),
    ("employment.status", "Work",
     "your work: whether you work, your occupation and your income", Employment, False, True),
)
# fmt: on

CATALOGUE: Mapping[str, RecordType] = MappingProxyType(
    {
        name: RecordType(name, name.partition(".")[0], label, description, model, sensitive, many)
        for name, label, description, model, sensitive, many in _RECORD_TYPES
    }
)


def get_record_type(name: str) -> RecordType:
    """The record type called `name`; raises UnknownRecordType if there is none."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise UnknownRecordType(name) from None


def validate_value(type_name: str, value: object) -> dict[str, Any]:
    """Validate `value` as a record of type `type_name` and return its normalised JSON form.

    Raises UnknownRecordType for an unknown type and pydantic.ValidationError for a bad value;
    each error's `loc` names the offending field. Validating the result again returns it unchanged.
    """
    record = get_record_type(type_name).model.model_validate(value)
    return record.model_dump(mode="json")
