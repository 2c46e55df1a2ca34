"""A record's value as a person reads it: labelled rows in their language, and a summary line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date

from pds.records.catalogue import RecordType
from pds.web.forms import FormField, form_fields
from pds.web.i18n import N_, Translator

YES = N_("Yes")
NO = N_("No")


@dataclass(frozen=True)
class Row:
    label: str  # translated
    text: str
    groups: list[list[Row]] = field(default_factory=list)


def _text(form_field: FormField, _: Translator) -> str:
    value = form_field.value
    if form_field.kind == "checkbox":
        return _(YES) if value else _(NO)
    if form_field.kind == "select":
        return next((_(label) for v, label in form_field.options if v == value), value)
    if form_field.kind == "date" and value:
        try:
            return format_date(dt.date.fromisoformat(value), "long", locale=_.format_locale)
        except ValueError:
            return value
    if form_field.kind == "lines":
        return ", ".join(value.splitlines())
    return value


def _rows(fields: list[FormField], _: Translator) -> list[Row]:
    rows = []
    for form_field in fields:
        if form_field.kind == "group":
            groups = [_rows(row, _) for row in form_field.rows]
            groups = [group for group in groups if group]
            rows.append(Row(_(form_field.label), "", groups))
            continue
        text = _text(form_field, _)
        if text and not (form_field.kind == "checkbox" and not form_field.value):
            rows.append(Row(_(form_field.label), text))
    return rows


def display_rows(record_type: RecordType, value: Mapping[str, Any], _: Translator) -> list[Row]:
    """The filled-in fields of a record, labelled; empty optional fields are left out."""
    fields = form_fields(record_type, value)
    for form_field in fields:
        if form_field.kind == "group":  # only the stored rows, not the form's blank ones
            form_field.rows = form_field.rows[: len(value.get(form_field.key) or [])]
    return _rows(fields, _)


def summary(record_type: RecordType, value: Mapping[str, Any], _: Translator) -> str:
    """A few of the record's values on one line, to tell records of one type apart."""
    parts: list[str] = []
    for row in display_rows(record_type, value, _):
        if row.groups:
            parts.extend(group[0].text for group in row.groups if group)
        elif row.text == _(YES):  # a ticked box: its label says what is so, a bare "Yes" not
            parts.append(row.label)
        elif row.text:
            parts.append(row.text)
    line = " · ".join(parts[:3])
    return line if len(line) <= 120 else line[:119] + "…"
