"""The UI's message catalogue: every string a person can see, gathered from one place each.

`python -m pds.web.messages` extracts the strings (Babel) into `locales/messages.pot` and merges
them into each locale's `.po`, where translators fill them in. Strings come from:
- the templates (`_("…")`) and the web's Python (`N_("…")`),
- the record catalogue (categories, labels, descriptions, field descriptions used as hints),
- the consent vocabulary (purposes in plain language).
`tests/pds/web/test_i18n.py` fails when a string has no translation in a shipped locale.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from consent.purposes import PURPOSES
from pds.records.catalogue import CATALOGUE, CATEGORIES
from pds.web.i18n import DEFAULT_LOCALE, LOCALE_DIR, LOCALES
from pds.web.labels import HINTS, field_hint

WEB_DIR = Path(__file__).parent
TEMPLATE = LOCALE_DIR / "messages.pot"
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "false"}


def _schema_descriptions(type_name: str, schema: dict[str, Any]) -> Iterator[str]:
    """The field descriptions a form shows as hints (those the web has no words of its own for)."""
    for definitions in [schema, *schema.get("$defs", {}).values()]:
        for key, prop in definitions.get("properties", {}).items():
            hint = field_hint(type_name, key, prop.get("description"))
            if hint and key and f"{type_name}.{key}" not in HINTS:
                yield hint


def _data_strings() -> Iterator[tuple[str, str]]:
    """(msgid, where it comes from) for the strings that live in data, not in UI code."""
    for label in CATEGORIES.values():
        yield label, "pds/records/catalogue.py"
    for record_type in CATALOGUE.values():
        yield record_type.label, "pds/records/catalogue.py"
        yield record_type.description, "pds/records/catalogue.py"
        for description in _schema_descriptions(record_type.name, record_type.json_schema()):
            yield description, f"pds/records/types ({record_type.name})"
    for label in PURPOSES.values():
        yield label, "consent/purposes.py"


def extract() -> Catalog:
    """Every user-facing msgid of the UI."""
    catalog = Catalog(project="PDS", version="1", charset="utf-8", fuzzy=False)
    options = {"templates/**.html": JINJA_OPTIONS}
    for filename, lineno, message, comments, _context in extract_from_dir(
        WEB_DIR, METHOD_MAP, options_map=options, strip_comment_tags=True
    ):
        if isinstance(message, tuple):  # ngettext: (singular, plural)
            catalog.add(message, locations=[(f"pds/web/{filename}", lineno)])
        else:
            catalog.add(
                message, locations=[(f"pds/web/{filename}", lineno)], auto_comments=comments
            )
    for message, where in _data_strings():
        if message not in catalog:
            catalog.add(message, locations=[(where, 0)])
    return catalog


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def untranslated(locale: str) -> list[str]:
    """The msgids a locale's catalogue lacks (or has only as fuzzy guesses)."""
    translated = read_catalog(po_path(locale), locale)
    missing = []
    for message in extract():
        if not message.id:
            continue
        found = translated.get(message.id)
        strings = found.string if found is not None else None
        values = strings if isinstance(strings, tuple) else (strings,)
        if found is None or found.fuzzy or not all(values):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update() -> None:
    """Write the template and merge it into every locale's catalogue (new strings untranslated)."""
    template = extract()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with TEMPLATE.open("wb") as handle:
        write_po(handle, template, width=100, sort_output=True, include_lineno=False)
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        path = po_path(locale)
        catalog = read_catalog(path, locale) if path.exists() else Catalog(locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(
                handle,
                catalog,
                width=100,
                sort_output=True,
                ignore_obsolete=True,
                include_lineno=False,
            )
        print(f"{locale}: {len(untranslated(locale))} strings to translate", file=sys.stderr)


if __name__ == "__main__":
    update()
