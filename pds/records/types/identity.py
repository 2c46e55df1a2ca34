"""Identity records: a person's name, date of birth and government identity numbers."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from pds.records.types.fields import Flag, PastDate, Record, Text, ascii_digits, examples

__all__ = ["DateOfBirth", "GovernmentId", "IdScheme", "PersonName"]


class PersonName(Record):
    """A person's name. Many people in India have a single name, so only given_name is required."""

    model_config = examples(
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


class DateOfBirth(Record):
    """A person's date of birth."""

    model_config = examples(
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


class GovernmentId(Record):
    """A government-issued identity number."""

    model_config = examples(
        {"scheme": "aadhaar", "number": "234123412346", "issued_by": "UIDAI"},
        {"scheme": "pan", "number": "ABCPE1234F", "issued_by": None},
    )

    scheme: IdScheme = Field(description="Which kind of identity document this is.")
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)
    ] = Field(
        description="The number as printed; spaces and hyphens are dropped, letters upper-cased, "
        "digits of any script (e.g. Devanagari) stored as 0-9. "
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
        number = ascii_digits(number).upper()
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
