"""The catalogue of record types a person can keep: one Pydantic model per type.

A record's value is validated by its type's model and stored in the normalised JSON form that
`validate_value` returns, so every stored value has already passed the same checks an API client
sees in the type's JSON Schema. The models are strict about shape (unknown fields, wrong types,
empty or over-long strings are rejected) but forgiving about how a field worker types a value
(spaces in an Aadhaar number, a phone number without +91, a lower-case PAN): those are normalised.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pydantic

from pds.records.types.contact import Address, Email, Phone
from pds.records.types.education import Enrolment
from pds.records.types.employment import Employment
from pds.records.types.health import Condition, Immunisation
from pds.records.types.household import HouseholdMembers
from pds.records.types.identity import DateOfBirth, GovernmentId, PersonName
from pds.records.types.income import Benefit

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


@functools.cache
def _json_schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    # Generating a schema takes about a millisecond per type and GET /api/v1/record-types serves
    # every type's schema on every call; the models never change, so each is generated once.
    return model.model_json_schema()


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
        """The JSON Schema of a value of this type, with examples.

        Generated once per type and shared: the same dict on every call, so do not modify it.
        """
        return _json_schema(self.model)


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
