"""Health records: immunisations and diagnosed conditions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, ValidationInfo, field_validator

from pds.records.types.fields import (
    Code,
    Count,
    Notes,
    PastDate,
    Record,
    Text,
    examples,
    other_name_iff_other,
    upper,
)

__all__ = ["Condition", "Icd10Code", "Immunisation", "Vaccine"]

# The vaccines on India's Universal Immunisation Programme schedule (and on the Mother and Child
# Protection card), plus TT from older cards and COVID-19, which most adults have on record.
Vaccine = Literal[
    "bcg", "hepatitis_b", "opv", "ipv", "pentavalent", "rotavirus", "pcv", "measles_rubella",
    "japanese_encephalitis", "dpt", "td", "tt", "hpv", "covid_19", "other",
]  # fmt: skip


class Immunisation(Record):
    """One dose of a vaccine."""

    model_config = examples(
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
        return other_name_iff_other(other_name, info, "vaccine")


# A category (E11) or a code (E11.9); ICD-10-CM extensions (S52.521A) fit too.
ICD10_PATTERN = r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"
Icd10Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=ICD10_PATTERN), BeforeValidator(upper)
]


class Condition(Record):
    """A diagnosed health condition."""

    model_config = examples(
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
