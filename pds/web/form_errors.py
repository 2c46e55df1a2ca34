"""Validation errors of a record form, said in plain words next to the field they are about.

The catalogue's models report errors by JSON location and pydantic error type; a person needs a
sentence in their language beside the right input (list rows counted as the form shows them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pds.records.catalogue import RecordType
from pds.records.types.contact import COUNTRY_PATTERN
from pds.records.types.fields import MULTI_LINE, ONE_LINE
from pds.records.types.health import ICD10_PATTERN
from pds.web.forms import FormField, resolve
from pds.web.i18n import N_, Translator

# The catalogue's validator messages, said for a person filling in a form.
VALIDATOR_MESSAGES: Mapping[str, str] = {
    "must not be in the future": N_("This cannot be in the future."),
    "must not be before 1900": N_("This date cannot be before 1900."),
    "should be a date written YYYY-MM-DD": N_("Enter a date like 2024-01-31."),
    "must not be before the start date": N_("This cannot be before the start date."),
    "only one member can be 'self'": N_("Only one person can be yourself."),
    "not a phone number": N_("This is not a phone number."),
    "not a valid phone number for its country": N_(
        "Check the number: it has too few or too many digits."
    ),
    "extensions are not supported": N_("Leave out the extension."),
    "this is a landline number": N_("This is a landline number: choose Landline."),
    "this is a mobile number": N_("This is a mobile number: choose Mobile or WhatsApp."),
    "not a known ISO 3166-1 alpha-2 country code": N_("Use a two-letter country code, like IN."),
    "not a state or union territory of India": N_(
        "Write the name of a state or union territory of India."
    ),
    "a PIN code is required for an address in India": N_("Enter the 6-digit PIN code."),
    "a PIN code is 6 digits and does not start with 0": N_(
        "A PIN code has 6 digits and does not start with 0."
    ),
    "only used when status is 'employed'": N_("Leave this empty unless the status is Employed."),
    "use only letters, digits, spaces and / . -": N_("Use only letters, digits, spaces and / . -"),
    "say who issued an identity document of scheme 'other'": N_("Say who issued this document."),
    "say how often the amount is paid": N_("Say how often the amount is paid."),
    "name the vaccine when it is 'other'": N_("Write the vaccine's name, because you chose Other."),
    "only used when vaccine is 'other'": N_("Leave this empty unless the vaccine is Other."),
    "name the scheme when it is 'other'": N_("Write the scheme's name, because you chose Other."),
    "only used when scheme is 'other'": N_("Leave this empty unless the scheme is Other."),
    "not a valid aadhaar number: expected 12 digits, not starting with 0 or 1": N_(
        "An Aadhaar number has 12 digits and does not start with 0 or 1."
    ),
    "not a valid aadhaar number: the check digit does not match (is a digit mistyped?)": N_(
        "This Aadhaar number is not valid: is a digit mistyped?"
    ),
    "not a valid pan number: expected like ABCPE1234F": N_("A PAN looks like ABCPE1234F."),
    "not a valid voter_id number: expected 3 letters and 7 digits, like ABC1234567": N_(
        "A voter ID has 3 letters and 7 digits, like ABC1234567."
    ),
    "not a valid passport number: expected a letter and 7 digits, like K1234567": N_(
        "A passport number is a letter and 7 digits, like K1234567."
    ),
    "not a valid driving_licence number: expected a state code and number, like MH1220110012345": N_(  # noqa: E501
        "A driving licence number starts with the state code, like MH1220110012345."
    ),
}

# What each of the catalogue's patterns asks for, in words (its regex means nothing to a person).
PATTERN_MESSAGES: Mapping[str, str] = {
    ONE_LINE: N_("Remove tabs and other hidden characters."),
    MULTI_LINE: N_("Remove tabs and other hidden characters."),
    COUNTRY_PATTERN: N_("Use a two-letter country code, like IN."),
    ICD10_PATTERN: N_("An ICD-10 code looks like E11 or E11.9."),
}

_TYPE_MESSAGES: Mapping[str, str] = {
    "missing": N_("Fill in this field."),
    "string_too_short": N_("Fill in this field."),
    "string_too_long": N_("Use at most %(limit)s characters."),
    "string_pattern_mismatch": N_("Check this: it is not in the expected form."),
    "literal_error": N_("Choose one of the options."),
    "enum": N_("Choose one of the options."),
    "int_type": N_("Enter a whole number, like 12."),
    "int_parsing": N_("Enter a whole number, like 12."),
    "greater_than_equal": N_("Enter %(limit)s or more."),
    "less_than_equal": N_("Enter %(limit)s or less."),
    "too_short": N_("Add at least one."),
    "too_long": N_("Too many: at most %(limit)s."),
    "date_parsing": N_("Enter a date like 2024-01-31."),
    "date_from_datetime_parsing": N_("Enter a date like 2024-01-31."),
}
_LIMITS = {
    "string_too_long": "maxLength",
    "greater_than_equal": "minimum",
    "less_than_equal": "maximum",
    "too_long": "maxItems",
}
CHOOSE_MESSAGE = N_("Choose one of the options.")
EMAIL_MESSAGE = N_("Enter an email address like name@example.org.")


def error_message(error: Mapping[str, Any], prop: Mapping[str, Any], _: Translator) -> str:
    """One validation error as a sentence in the person's language."""
    kind = str(error.get("type", ""))
    message = str(error.get("msg", ""))
    if kind == "value_error":
        detail = message.removeprefix("Value error, ")
        if detail.startswith("value is not a valid email address"):
            return _(EMAIL_MESSAGE)
        if detail in VALIDATOR_MESSAGES:
            return _(VALIDATOR_MESSAGES[detail])
        return detail[:1].upper() + detail[1:] + "."
    pattern_words = PATTERN_MESSAGES.get(str(prop.get("pattern")))
    if kind == "string_pattern_mismatch" and pattern_words is not None:
        return _(pattern_words)
    if kind in _TYPE_MESSAGES:
        limit = prop.get(_LIMITS.get(kind, ""), "")
        return _(_TYPE_MESSAGES[kind], limit=limit) if kind in _LIMITS else _(_TYPE_MESSAGES[kind])
    return message


def _field_at(fields: Sequence[FormField], path: Sequence[Any]) -> FormField | None:
    """The form field an error location points to (list rows by their form index)."""
    current: Sequence[FormField] = fields
    found: FormField | None = None
    parts = list(path)
    while parts:
        key = parts.pop(0)
        found = next((f for f in current if f.key == key), None)
        if found is None:
            return None
        if found.kind == "group" and parts and isinstance(parts[0], int):
            index = parts.pop(0)
            if index >= len(found.rows):
                return found
            current = found.rows[index]
        elif found.kind == "lines":
            return found
    return found


def attach_errors(
    record_type: RecordType,
    fields: list[FormField],
    errors: Sequence[Mapping[str, Any]],
    row_origins: Mapping[str, list[int]],
    _: Translator,
) -> list[str]:
    """Put each error next to its field; returns the errors that belong to no single field."""
    schema = record_type.json_schema()
    general = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part != "value"]
        if len(loc) >= 2 and isinstance(loc[1], int) and loc[0] in row_origins:
            origins = row_origins[loc[0]]
            loc[1] = origins[loc[1]] if loc[1] < len(origins) else loc[1]
        target = _field_at(fields, loc)
        prop = _schema_at(schema, loc)
        text = error_message(error, prop, _)
        if target is not None and target.kind == "select" and error.get("type") == "missing":
            text = _(CHOOSE_MESSAGE)
        if target is None:
            general.append(text)
        elif target.error is None:  # one message per field: the first is the one to fix first
            target.error = text
    return general


def _schema_at(schema: Mapping[str, Any], loc: Sequence[Any]) -> Mapping[str, Any]:
    current: Mapping[str, Any] = schema
    for part in loc:
        if isinstance(part, int):
            current, _ = resolve(schema, current.get("items", {}))
        elif "properties" in current and part in current["properties"]:
            current, _ = resolve(schema, current["properties"][part])
    return current


def field_errors(
    fields: Sequence[FormField], person: int | None = None
) -> list[tuple[str, str, str, int | None]]:
    """(control id, label msgid, message, the row's person number or None) of every field in
    error, for the error summary: "Person 3 - Relationship: …", not a bare "Relationship"."""
    found: list[tuple[str, str, str, int | None]] = []
    for form_field in fields:
        if form_field.error:
            found.append(("f-" + form_field.name, form_field.label, form_field.error, person))
        for number, row in enumerate(form_field.rows, start=1):
            found.extend(field_errors(row, number))
    return found
