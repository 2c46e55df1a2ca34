"""Record forms come from the catalogue's JSON Schemas and give back what the models accept."""

from __future__ import annotations

from typing import Any

import pytest

from pds.records.catalogue import CATALOGUE, validate_value
from pds.web.form_errors import attach_errors, field_errors
from pds.web.forms import FormField, as_posted, form_fields, value_from_form
from pds.web.i18n import Translator
from pds.web.pages.record_display import summary

EXAMPLES = [
    (name, example)
    for name, record_type in CATALOGUE.items()
    for example in record_type.json_schema().get("examples", [])
]


def _as_form(fields: list[FormField]) -> dict[str, str]:
    """What a browser posts for these fields as shown (unticked checkboxes send nothing)."""
    posted: dict[str, str] = {}
    for field in fields:
        if field.kind == "group":
            for row in field.rows:
                posted |= _as_form(row)
        elif field.kind != "checkbox" or field.value:
            posted[field.name] = field.value
    return posted


@pytest.mark.parametrize(("type_name", "example"), EXAMPLES)
def test_a_stored_value_shown_and_posted_back_is_unchanged(
    type_name: str, example: dict[str, Any]
) -> None:
    stored = validate_value(type_name, example)
    record_type = CATALOGUE[type_name]
    value, _origins = value_from_form(record_type, _as_form(form_fields(record_type, stored)))
    assert validate_value(type_name, value) == stored


def test_every_field_kind_is_generated() -> None:
    kinds = {field.kind for record_type in CATALOGUE.values() for field in form_fields(record_type)}
    assert kinds == {"text", "select", "date", "number", "checkbox", "lines", "notes", "email",
                     "group"}  # fmt: skip


def test_errors_land_next_to_their_fields_and_rows_keep_their_places() -> None:
    record_type = CATALOGUE["household.members"]
    posted = {
        "members.0.name": "Sunita",
        "members.0.relationship": "self",
        "members.1.name": "",  # an empty row in between is ignored, not an error
        "members.2.year_of_birth": "1985",  # a half-filled row: its name is missing
    }
    value, origins = value_from_form(record_type, posted)
    assert value["members"] == [
        {"name": "Sunita", "relationship": "self"},
        {"year_of_birth": 1985},
    ]
    errors = [
        {"loc": ("value", "members", 1, "name"), "msg": "Field required", "type": "missing"},
        {"loc": ("value", "members", 1, "relationship"), "msg": "x", "type": "missing"},
    ]
    fields = form_fields(record_type, as_posted(value, origins))
    general = attach_errors(record_type, fields, errors, origins, Translator("en"))
    assert general == []
    assert [(fid, message) for fid, _label, message, _person in field_errors(fields)] == [
        ("f-members.2.name", "Fill in this field."),
        ("f-members.2.relationship", "Choose one of the options."),
    ]


def test_validator_messages_are_said_plainly_and_translated() -> None:
    record_type = CATALOGUE["identity.government_id"]
    fields = form_fields(record_type, {"scheme": "aadhaar", "number": "1234"})
    error = {
        "loc": ("value", "number"),
        "msg": "Value error, not a valid aadhaar number: expected 12 digits, not starting "
        "with 0 or 1",
        "type": "value_error",
    }
    attach_errors(record_type, fields, [error], {}, Translator("en"))
    number = next(f for f in fields if f.key == "number")
    assert number.error == "An Aadhaar number has 12 digits and does not start with 0 or 1."
    hindi = form_fields(record_type, {"scheme": "aadhaar", "number": "1234"})
    attach_errors(record_type, hindi, [error], {}, Translator("hi"))
    translated = next(f for f in hindi if f.key == "number").error
    assert translated and translated != number.error


def test_numbers_as_people_type_them() -> None:
    record_type = CATALOGUE["employment.status"]
    value, _ = value_from_form(record_type, {"status": "employed", "monthly_income_inr": "12,000"})
    assert value == {"status": "employed", "monthly_income_inr": 12000}
    value, _ = value_from_form(record_type, {"status": "employed", "monthly_income_inr": "lots"})
    assert value["monthly_income_inr"] == "lots"  # left for the model to refuse, with a message


def test_a_records_summary_line_has_no_bare_yes() -> None:
    """Found in review: an approximate date of birth showed as "1 January 1985 · Yes"."""
    record_type = CATALOGUE["identity.date_of_birth"]
    value = {"date": "1985-01-01", "approximate": True}
    assert (
        summary(record_type, value, Translator("en")) == "1 January 1985 · The date is approximate"
    )
