"""Household records: the people who live with the person."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from pds.records.types.fields import Count, Record, Text, examples, today

__all__ = ["HouseholdMember", "HouseholdMembers", "Relationship"]

Relationship = Literal[
    "self", "spouse", "child", "parent", "sibling", "grandparent", "grandchild", "parent_in_law",
    "child_in_law", "sibling_in_law", "other_relative", "not_related",
]  # fmt: skip


class HouseholdMember(Record):
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
        if year is not None and year > today().year:
            raise ValueError("must not be in the future")
        return year


class HouseholdMembers(Record):
    """The people who live in the person's household, the person included."""

    model_config = examples(
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
