"""Field types and validators shared by every record type.

A record's text is NFC-normalised, stripped and free of control characters; its numbers and flags
are strict; its dates are calendar dates written YYYY-MM-DD, never before 1900.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
)

__all__ = [
    "Code",
    "Count",
    "Date",
    "Flag",
    "Notes",
    "PastDate",
    "Record",
    "Rupees",
    "Text",
    "ascii_digits",
    "examples",
    "nfc",
    "other_name_iff_other",
    "today",
    "upper",
]


def nfc(value: object) -> object:
    # Indic scripts can spell the same name with different code point sequences; NFC makes equal
    # names equal. It runs before the length check so a normalised value always re-validates.
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def ascii_digits(text: str) -> str:
    """Digits of any script (Devanagari १९९०, Bengali, Tamil, …) as 0-9, other characters kept:
    numbers and identity numbers are stored one way however they were typed."""
    if text.isascii():
        return text
    return "".join(
        str(digit) if (digit := unicodedata.decimal(char, None)) is not None else char
        for char in text
    )


def upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


# No control characters: they are never part of a name or an address and they corrupt exports,
# logs and screens. Notes may span lines, so they keep tab and newline.
ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"

# In every Annotated below StringConstraints come before a BeforeValidator: placed after it, their
# pattern is still enforced but silently left out of the JSON Schema.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=ONE_LINE),
    BeforeValidator(nfc),
]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=ONE_LINE),
    BeforeValidator(nfc),
]
Notes = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=MULTI_LINE),
    BeforeValidator(nfc),
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


def today() -> dt.date:
    # The latest calendar date anywhere on Earth (UTC+14): a date that is today for the person
    # entering it must never be rejected as "in the future", whatever the server's clock zone.
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=14))).date()


def _not_before_1900(value: dt.date) -> dt.date:
    # Nobody alive was born earlier; an older date is a typo (0990 for 1990).
    if value < _EARLIEST:
        raise ValueError("must not be before 1900")
    return value


def _not_in_future(value: dt.date) -> dt.date:
    if value > today():
        raise ValueError("must not be in the future")
    return value


Date = Annotated[dt.date, BeforeValidator(_iso_date_only), AfterValidator(_not_before_1900)]
PastDate = Annotated[Date, AfterValidator(_not_in_future)]


class Record(BaseModel):
    # Every model refuses unknown fields: a misspelt field name must not be stored silently.
    model_config = ConfigDict(extra="forbid", revalidate_instances="always")


def examples(*values: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(values)})


def other_name_iff_other(other_name: str | None, info: ValidationInfo, field: str) -> str | None:
    is_other = info.data.get(field) == "other"
    if is_other and other_name is None:
        raise ValueError(f"name the {field} when it is 'other'")
    if not is_other and other_name is not None:
        raise ValueError(f"only used when {field} is 'other'")
    return other_name
