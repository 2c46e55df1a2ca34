"""Education records: periods of study at a school, college or training centre."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from pds.records.types.fields import Code, Date, Record, Text, examples, today

__all__ = ["EducationLevel", "Enrolment"]

EducationLevel = Literal[
    "pre_primary", "primary", "upper_primary", "secondary", "higher_secondary", "vocational",
    "undergraduate", "postgraduate", "other",
]  # fmt: skip


class Enrolment(Record):
    """A period of study at a school, college or training centre."""

    model_config = examples(
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
        if status != "enrolled" and end_date is not None and end_date > today():
            raise ValueError(f"an enrolment that is {status} cannot end in the future")
        return status
