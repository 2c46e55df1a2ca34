"""Income records: government benefits and welfare schemes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from pds.records.types.fields import (
    Code,
    PastDate,
    Record,
    Rupees,
    Text,
    examples,
    other_name_iff_other,
)

__all__ = ["Benefit", "BenefitScheme", "Frequency"]

BenefitScheme = Literal[
    "pm_kisan", "mgnrega", "old_age_pension", "widow_pension", "disability_pension",
    "public_distribution_system", "pm_awas_yojana", "pm_jay", "maternity_benefit", "scholarship",
    "other",
]  # fmt: skip
Frequency = Literal[
    "one_time", "daily", "weekly", "fortnightly", "monthly", "quarterly", "yearly", "irregular"
]


class Benefit(Record):
    """A government benefit or welfare scheme the person receives or has applied for."""

    model_config = examples(
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
        return other_name_iff_other(other_name, info, "scheme")

    @field_validator("frequency")
    @classmethod
    def _frequency_with_amount(cls, frequency: str | None, info: ValidationInfo) -> str | None:
        if frequency is None and info.data.get("amount_inr") is not None:
            raise ValueError("say how often the amount is paid")
        return frequency
