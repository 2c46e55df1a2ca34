"""Employment records: what the person does for a living."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from pds.records.types.fields import PastDate, Record, Rupees, Text, examples

__all__ = ["Employment", "EmploymentStatus"]

EmploymentStatus = Literal[
    "employed", "self_employed", "unemployed", "student", "homemaker", "retired", "unable_to_work",
    "other",
]  # fmt: skip


class Employment(Record):
    """What the person does for a living. Several records for several occupations at once."""

    model_config = examples(
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
