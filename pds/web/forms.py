"""Record forms generated from each record type's JSON Schema, and their errors in plain words.

The catalogue's Pydantic models stay the one definition of a record: a field's input kind, whether
it is required, its options and its limits come from the model's JSON Schema; the values a form
posts are shaped back into JSON and validated by the same model the API uses. Only the words are
the web's own (`labels.py`, `form_errors.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pds.records.catalogue import RecordType
from pds.records.types.fields import ascii_digits
from pds.web.labels import field_hint, field_label, option_label

# Blank rows offered for a list of people (a household): enough for most, more on request.
BLANK_ROWS = 2
LONG_TEXT = 200


@dataclass
class FormField:
    name: str  # the form control's name: `given_name`, `members.0.name`
    key: str  # the schema property
    kind: str  # text, email, date, number, select, checkbox, lines, notes, group
    label: str
    hint: str | None
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label msgid)
    maxlength: int | None = None
    value: str = ""
    error: str | None = None
    rows: list[list[FormField]] = field(default_factory=list)
    blank_option: bool = False
    added_row: int | None = None  # the row "add another" just made: the page comes back there


def resolve(schema: Mapping[str, Any], prop: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The property's own schema (refs followed, `| None` unwrapped) and whether it is optional."""
    optional = False
    if "anyOf" in prop:
        choices = [c for c in prop["anyOf"] if c.get("type") != "null"]
        optional = len(choices) < len(prop["anyOf"])
        prop = {**prop, **choices[0]}
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        prop = {**prop, **schema["$defs"][name]}
    return dict(prop), optional


def _kind(schema: Mapping[str, Any], prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind == "array":
        items, _ = resolve(schema, prop["items"])
        return "group" if items.get("type") == "object" else "lines"
    if kind == "integer":
        return "number"
    if kind == "boolean":
        return "checkbox"
    if prop.get("format") in ("date", "email"):
        return str(prop["format"])
    return "notes" if prop.get("maxLength", 0) > LONG_TEXT else "text"


def _display(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "lines":
        return "\n".join(str(v) for v in value)
    if kind == "checkbox":
        return "yes" if value else ""
    return str(value)


def _fields(
    schema: Mapping[str, Any],
    object_schema: Mapping[str, Any],
    value: Mapping[str, Any],
    prefix: str,
    type_name: str,
) -> list[FormField]:
    required = set(object_schema.get("required", ()))
    fields = []
    for key, raw_prop in object_schema["properties"].items():
        prop, optional = resolve(schema, raw_prop)
        kind = _kind(schema, prop)
        form_field = FormField(
            name=prefix + key,
            key=key,
            kind=kind,
            label=field_label(key),
            hint=field_hint(type_name, key, raw_prop.get("description")),
            required=key in required,
            maxlength=prop.get("maxLength"),
            value=_display(value.get(key, prop.get("default")), kind),
        )
        if kind == "select":
            form_field.options = [(v, option_label(v)) for v in prop["enum"]]
            form_field.blank_option = optional or "default" not in prop
        if kind == "group":
            item_schema, _ = resolve(schema, prop["items"])
            rows = list(value.get(key) or [])
            rows += [{}] * BLANK_ROWS
            form_field.rows = [
                _fields(schema, item_schema, row, f"{prefix}{key}.{index}.", type_name)
                for index, row in enumerate(rows)
            ]
        fields.append(form_field)
    return fields


def form_fields(record_type: RecordType, value: Mapping[str, Any] | None = None) -> list[FormField]:
    """The form of a record type, filled with `value` (a stored value or what was posted)."""
    schema = record_type.json_schema()
    return _fields(schema, schema, value or {}, "", record_type.name)


_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")


def _parse(kind: str, raw: str) -> Any:
    if kind == "number":
        compact = ascii_digits(raw).replace(",", "").replace(" ", "")
        return int(compact) if _INTEGER.fullmatch(compact) else raw
    if kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    return raw


def _object_from_form(
    schema: Mapping[str, Any],
    object_schema: Mapping[str, Any],
    form: Mapping[str, str],
    prefix: str,
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    value: dict[str, Any] = {}
    row_origins: dict[str, list[int]] = {}
    for key, raw_prop in object_schema["properties"].items():
        prop, _ = resolve(schema, raw_prop)
        kind = _kind(schema, prop)
        name = prefix + key
        if kind == "checkbox":
            value[key] = form.get(name) == "yes"
        elif kind == "group":
            item_schema, _ = resolve(schema, prop["items"])
            rows, origins = [], []
            for index in _row_indices(form, name):
                row, _ = _object_from_form(schema, item_schema, form, f"{name}.{index}.")
                if any(v not in ("", None, False, []) for v in row.values()):
                    rows.append(row)
                    origins.append(index)
            value[key] = rows
            row_origins[key] = origins
        else:
            raw = form.get(name, "").strip()
            if raw:  # a blank optional field is left out, so the model's default applies
                value[key] = _parse(kind, raw)
    return value, row_origins


def _row_indices(form: Mapping[str, str], name: str) -> list[int]:
    pattern = re.compile(rf"{re.escape(name)}\.([0-9]{{1,2}})\.")
    return sorted({int(m.group(1)) for key in form if (m := pattern.match(key))})


def value_from_form(
    record_type: RecordType, form: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The JSON value a posted form describes, and which form row each list item came from."""
    schema = record_type.json_schema()
    return _object_from_form(schema, schema, form, "")


def as_posted(value: Mapping[str, Any], origins: Mapping[str, list[int]]) -> dict[str, Any]:
    """The value laid out as the form was, list rows back at their places, to show it again.

    Errors name rows by their form position, so the form must not close the gaps a person left.
    """
    shown = dict(value)
    for key, positions in origins.items():
        rows: list[Any] = [{} for _ in range(max(positions, default=-1) + 1)]
        for row, position in zip(value.get(key, []), positions, strict=False):
            rows[position] = row
        shown[key] = rows
    return shown


def without_row(form: Mapping[str, str], row: str) -> dict[str, str]:
    """The posted form minus one list row (`members.1`): the "remove this person" button.

    The row's fields are simply not read, so the rows after it close up when shown again."""
    prefix = row + "."
    return {key: value for key, value in form.items() if not key.startswith(prefix)}


def posted_rows(form: Mapping[str, str], name: str) -> int:
    """How many rows of the list `name` the posted form showed."""
    indices = _row_indices(form, name)
    return max(indices) + 1 if indices else 0


def add_row(fields: list[FormField], key: str, shown: int) -> None:
    """One more blank row in the group `key` than the `shown` rows the form had ("add another
    person"): blank rows are dropped when a form is read, so without counting them the button
    would add none."""
    for form_field in fields:
        if form_field.key == key and form_field.kind == "group" and form_field.rows:
            template = form_field.rows[-1]
            form_field.added_row = max(len(form_field.rows), shown)
            while len(form_field.rows) <= form_field.added_row:
                index = len(form_field.rows)
                form_field.rows.append(
                    [
                        FormField(**{**vars(f), "name": f"{form_field.name}.{index}.{f.key}"})
                        for f in template
                    ]
                )
                for cell in form_field.rows[-1]:
                    cell.value, cell.error = "", None
