"""The record-type catalogue, tested only through its public names."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import ValidationError

from pds.records.catalogue import (
    CATALOGUE,
    CATEGORIES,
    UnknownRecordType,
    get_record_type,
    validate_value,
)

# Few examples per type keep the whole module well under 15 s; no database, so no files are
# written into the work tree.
properties = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

TODAY = dt.date.today()
# A week ahead is in the future in every time zone, whatever the clock of the machine.
NEXT_WEEK = str(TODAY + dt.timedelta(days=7))

REQUIRED_TYPES = [
    "identity.name",
    "identity.date_of_birth",
    "identity.government_id",
    "contact.phone",
    "contact.email",
    "contact.address",
    "household.members",
    "health.immunisations",
    "health.conditions",
    "education.enrolment",
    "income.benefits",
    "employment.status",
]


def schema_validator(type_name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(get_record_type(type_name).json_schema())


def enum(type_name: str, field: str) -> list[str]:
    """The allowed values of an enum field of the record or of an object in it, from its schema."""
    schema = get_record_type(type_name).json_schema()
    objects = [schema, *schema.get("$defs", {}).values()]
    for prop in (obj["properties"][field] for obj in objects if field in obj["properties"]):
        for option in prop.get("anyOf", [prop]):
            if "enum" in option:
                return list(option["enum"])
    raise AssertionError(f"{type_name}.{field} has no enum")


def errors_at(type_name: str, value: object) -> list[tuple[str | int, ...]]:
    with pytest.raises(ValidationError) as caught:
        validate_value(type_name, value)
    return [tuple(error["loc"]) for error in caught.value.errors()]


# --- an independent Verhoeff, from the dihedral group D5 rather than the usual lookup tables ----

_P1 = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)


def _d5(a: int, b: int) -> int:
    if a < 5:
        return (a + b) % 5 if b < 5 else (a + b - 5) % 5 + 5
    return (a - 5 - b) % 5 + 5 if b < 5 else (a - b) % 5


def verhoeff_check_digit(payload: str) -> str:
    check = 0
    for position, char in enumerate(reversed(payload), start=1):
        digit = int(char)
        for _ in range(position % 8):
            digit = _P1[digit]
        check = _d5(check, digit)
    return str((5 - check) % 5 if check < 5 else check)


def test_independent_verhoeff_matches_published_vectors() -> None:
    assert verhoeff_check_digit("236") == "3"
    assert verhoeff_check_digit("23412341234") == "6"  # python-stdnum's Aadhaar doc test


# --- the catalogue itself -------------------------------------------------------------------


def test_catalogue_has_at_least_the_agreed_types() -> None:
    assert set(REQUIRED_TYPES) <= set(CATALOGUE)


@pytest.mark.parametrize("type_name", list(CATALOGUE))
def test_every_type_is_described_and_in_a_category(type_name: str) -> None:
    record_type = get_record_type(type_name)
    assert record_type is CATALOGUE[type_name]
    assert record_type.name == type_name
    assert record_type.category in CATEGORIES
    assert type_name.startswith(record_type.category + ".")
    assert record_type.label.strip()
    assert record_type.description.strip()
    with pytest.raises(dataclasses.FrozenInstanceError):
        record_type.label = "changed"  # type: ignore[misc]


def test_catalogue_is_grouped_in_category_display_order() -> None:
    seen = [CATALOGUE[name].category for name in CATALOGUE]
    grouped = list(dict.fromkeys(seen))
    assert grouped == [category for category in CATEGORIES if category in grouped]
    assert sorted(seen, key=list(CATEGORIES).index) == seen
    assert all(label.strip() for label in CATEGORIES.values())
    assert set(grouped) == set(CATEGORIES), "a category without record types"


def test_special_category_data_is_marked_sensitive() -> None:
    sensitive = {name for name, record_type in CATALOGUE.items() if record_type.sensitive}
    assert {"identity.government_id", "income.benefits"} <= sensitive
    assert {name for name in CATALOGUE if name.startswith("health.")} <= sensitive
    assert not CATALOGUE["contact.email"].sensitive


def test_single_and_multiple_types() -> None:
    assert not CATALOGUE["identity.date_of_birth"].multiple
    assert not CATALOGUE["identity.name"].multiple
    assert CATALOGUE["health.immunisations"].multiple
    assert CATALOGUE["contact.phone"].multiple


@pytest.mark.parametrize("name", ["health.unknown", "", "identity", "IDENTITY.NAME"])
def test_unknown_type_is_refused(name: str) -> None:
    with pytest.raises(UnknownRecordType):
        get_record_type(name)
    with pytest.raises(UnknownRecordType):
        validate_value(name, {})
    assert issubclass(UnknownRecordType, LookupError)


# --- schemas and their examples ---------------------------------------------------------------


@pytest.mark.parametrize("type_name", list(CATALOGUE))
def test_schema_is_useful_to_clients(type_name: str) -> None:
    schema = get_record_type(type_name).json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema.get("description")
    for field, prop in schema["properties"].items():
        assert prop.get("description"), f"{type_name}.{field} has no description"


@pytest.mark.parametrize("type_name", list(CATALOGUE))
def test_schema_examples_validate(type_name: str) -> None:
    examples = get_record_type(type_name).json_schema()["examples"]
    assert examples
    for example in examples:
        normalised = validate_value(type_name, example)
        schema_validator(type_name).validate(normalised)
        assert validate_value(type_name, normalised) == normalised


def from_record_schema(schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values matching `schema`, a part of the record type's schema `root`.

    Objects are generated here and only the rest by hypothesis-jsonschema: its object generator
    (0.23.1) calls a private Hypothesis API that current Hypothesis no longer has.
    """
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return from_record_schema(root["$defs"][name], root)
    if "anyOf" in schema:
        return st.one_of([from_record_schema(option, root) for option in schema["anyOf"]])
    if schema.get("type") == "object":
        fields = {
            key: from_record_schema(value, root) for key, value in schema["properties"].items()
        }
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {key: fields[key] for key in fields if key in required},
            optional={key: fields[key] for key in fields if key not in required},
        )
    if schema.get("type") == "array":
        return st.lists(
            from_record_schema(schema["items"], root),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems"),
        )
    return from_schema(schema)


@functools.cache
def values_from_schema(type_name: str) -> st.SearchStrategy[Any]:
    schema = get_record_type(type_name).json_schema()
    return from_record_schema(schema, schema)


@pytest.mark.parametrize("type_name", list(CATALOGUE))
@properties
@given(data=st.data())
def test_schema_values_validate_or_raise_validation_error(
    type_name: str, data: st.DataObject
) -> None:
    value = data.draw(values_from_schema(type_name))
    try:
        normalised = validate_value(type_name, value)
    except ValidationError:
        return
    assert validate_value(type_name, normalised) == normalised
    schema_validator(type_name).validate(normalised)


# --- hand-written strategies of valid values --------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DEVANAGARI = "अआइकखगचजटडतथदधनपबमयरलवशसहािीुेो्"
_TAMIL = "அஆஇகஙசஞடணதநபமயரலவாிீு்"

words = st.text(alphabet=_LETTERS + _DEVANAGARI + _TAMIL + ".'-", min_size=1, max_size=12)
texts = st.builds(
    lambda parts, pad: pad + " ".join(parts) + pad,
    st.lists(words, min_size=1, max_size=4),
    st.sampled_from(["", " ", "  \t"]),
)
maybe_texts = st.none() | texts
# A `Code` (an id in a scheme, a batch number) holds at most 50 characters; four long words
# joined by spaces can reach 51 (found by this test's own property run).
maybe_codes = st.none() | texts.filter(lambda text: len(text.strip()) <= 50)
past_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY).map(str)
maybe_past_dates = st.none() | past_dates


def matching(regex: str) -> st.SearchStrategy[str]:
    return st.from_regex(regex, fullmatch=True)


def with_optional(
    required: dict[str, st.SearchStrategy[Any]], **optional: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=optional)


def aadhaar_numbers() -> st.SearchStrategy[str]:
    numbers = matching(r"[2-9][0-9]{10}").map(lambda p: p + verhoeff_check_digit(p))
    spaced = numbers.map(lambda n: f"{n[:4]} {n[4:8]} {n[8:]}")
    return numbers | spaced


_PAN = r"[A-Za-z]{3}[PpCcHhFfAaTtBbLlJjGgKk][A-Za-z][0-9]{3}[1-9][A-Za-z]"
government_ids = st.one_of(
    st.fixed_dictionaries({"scheme": st.just("aadhaar"), "number": aadhaar_numbers()}),
    st.fixed_dictionaries({"scheme": st.just("pan"), "number": matching(_PAN)}),
    st.fixed_dictionaries({"scheme": st.just("voter_id"), "number": matching(r"[A-Z]{3}[0-9]{7}")}),
    st.fixed_dictionaries({"scheme": st.just("passport"), "number": matching(r"[A-Z][0-9]{7}")}),
    st.fixed_dictionaries(
        {"scheme": st.just("driving_licence"), "number": matching(r"[A-Z]{2}-?[0-9]{2} ?[0-9]{11}")}
    ),
    st.fixed_dictionaries({"scheme": st.just("ration_card"), "number": matching(r"[0-9]{10,12}")}),
    st.fixed_dictionaries(
        {"scheme": st.just("other"), "number": matching(r"[A-Z0-9]{4,20}"), "issued_by": texts}
    ),
)

indian_mobiles = matching(r"9[0-9]{9}").flatmap(
    lambda n: st.sampled_from([n, "+91" + n, "0" + n, f"+91 {n[:5]} {n[5:]}", f"{n[:5]} {n[5:]}"])
)
phones = st.fixed_dictionaries(
    {"number": indian_mobiles}, optional={"kind": st.sampled_from(["mobile", "whatsapp"])}
) | st.fixed_dictionaries(
    {"number": st.just("+91 80 2222 3333"), "kind": st.sampled_from(["landline", "whatsapp"])}
)

emails = st.builds(
    lambda local, domain: {"email": f"{local}@{domain}"},
    matching(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10})?"),
    st.sampled_from(["example.org", "Gmail.com", "NGO.ORG.IN"]),
)

states = st.sampled_from(["Uttar Pradesh", "tamil nadu", "Jammu & Kashmir", "Orissa", "DELHI"])
addresses = with_optional(
    {
        "line1": texts,
        "village_or_city": texts,
        "postal_code": matching(r"[1-9][0-9]{2} ?[0-9]{3}"),
    },
    country=st.sampled_from(["IN", "in"]),
    line2=maybe_texts,
    district=maybe_texts,
    state=st.none() | states,
) | with_optional(
    {"country": st.sampled_from(["AE", "np", "GB"]), "line1": texts, "village_or_city": texts},
    state=maybe_texts,
    postal_code=st.none() | matching(r"[A-Z0-9]{2,4} ?[A-Z0-9]{3}"),
)


def household_members() -> st.SearchStrategy[dict[str, Any]]:
    others = [r for r in enum("household.members", "relationship") if r != "self"]
    member = with_optional(
        {"name": texts, "relationship": st.sampled_from(others)},
        year_of_birth=st.none() | st.integers(1900, TODAY.year),
    )
    me = st.fixed_dictionaries({"name": texts, "relationship": st.just("self")})
    return st.builds(
        lambda members, self_: {"members": [*self_, *members][:30]},
        st.lists(member, max_size=6),
        st.lists(me, max_size=1),
    ).filter(lambda value: value["members"])


def immunisations() -> st.SearchStrategy[dict[str, Any]]:
    listed = [v for v in enum("health.immunisations", "vaccine") if v != "other"]
    optional = {
        "administered_by": maybe_texts,
        "batch": st.none() | matching(r"[A-Z0-9]{2,8}(-[0-9]{1,4})?"),
    }
    base = {"dose": st.integers(0, 10), "date": past_dates}
    return with_optional({**base, "vaccine": st.sampled_from(listed)}, **optional) | with_optional(
        {**base, "vaccine": st.just("other"), "other_name": texts}, **optional
    )


conditions = st.builds(
    lambda value, status: {**value, "status": status},
    with_optional(
        {"name": texts},
        icd10_code=st.none() | matching(r"[A-Za-z][0-9]{2}(\.[0-9]{1,2})?"),
        diagnosed_on=maybe_past_dates,
        notes=st.none() | st.lists(texts, min_size=1, max_size=4).map("\n".join),
    ),
    st.sampled_from(["active", "managed", "resolved"]),
)


@st.composite
def enrolments(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.dates(min_value=dt.date(1950, 1, 1), max_value=TODAY))
    status = draw(st.sampled_from(enum("education.enrolment", "status")))
    # A current enrolment may have an expected end; a finished one ended already.
    latest_end = start + dt.timedelta(days=3000) if status == "enrolled" else TODAY
    value = {
        "institution": draw(texts),
        "level": draw(st.sampled_from(enum("education.enrolment", "level"))),
        "start_date": str(start),
        "status": status,
    }
    if draw(st.booleans()):
        value["end_date"] = str(draw(st.dates(min_value=start, max_value=latest_end)))
    if draw(st.booleans()):
        value["grade"] = draw(st.sampled_from(["Class 4", "2nd year", " Std. X "]))
    return value


@st.composite
def benefits(draw: st.DrawFn) -> dict[str, Any]:
    scheme = draw(st.sampled_from(enum("income.benefits", "scheme")))
    value: dict[str, Any] = {
        "scheme": scheme,
        "status": draw(st.sampled_from(enum("income.benefits", "status"))),
    }
    if scheme == "other":
        value["other_name"] = draw(texts)
    if draw(st.booleans()):
        value["amount_inr"] = draw(st.integers(0, 10_000_000))
        value["frequency"] = draw(st.sampled_from(enum("income.benefits", "frequency")))
    optional = {"beneficiary_id": maybe_codes, "since": maybe_past_dates}
    value |= draw(st.fixed_dictionaries({}, optional=optional))
    return value


@st.composite
def employments(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(st.sampled_from(enum("employment.status", "status")))
    optional: dict[str, st.SearchStrategy[Any]] = {
        "occupation": maybe_texts,
        "monthly_income_inr": st.none() | st.integers(0, 10_000_000),
        "since": maybe_past_dates,
    }
    if status == "employed":
        optional["employer"] = maybe_texts
    return {"status": status, **draw(st.fixed_dictionaries({}, optional=optional))}


VALID: dict[str, st.SearchStrategy[Any]] = {
    "identity.name": with_optional(
        {"given_name": texts},
        family_name=maybe_texts,
        other_names=st.lists(texts, max_size=10),
        preferred_name=maybe_texts,
    ),
    "identity.date_of_birth": with_optional(
        {"date": past_dates | st.dates(dt.date(1900, 1, 1), TODAY)}, approximate=st.booleans()
    ),
    "identity.government_id": government_ids,
    "contact.phone": phones,
    "contact.email": emails,
    "contact.address": addresses,
    "household.members": household_members(),
    "health.immunisations": immunisations(),
    "health.conditions": conditions,
    "education.enrolment": enrolments(),
    "income.benefits": benefits(),
    "employment.status": employments(),
}


def test_every_type_has_a_strategy_of_valid_values() -> None:
    assert set(VALID) == set(CATALOGUE)


@pytest.mark.parametrize("type_name", list(VALID))
@properties
@given(data=st.data())
def test_valid_values_validate_and_round_trip(type_name: str, data: st.DataObject) -> None:
    normalised = validate_value(type_name, data.draw(VALID[type_name]))
    assert validate_value(type_name, normalised) == normalised
    schema_validator(type_name).validate(normalised)


# --- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "value", "field", "expected"),
    [
        ("identity.name", {"given_name": "  Asha  "}, "given_name", "Asha"),
        # KA + NUKTA and the precomposed QA are the same letter; NFC keeps the decomposed pair.
        ("identity.name", {"given_name": "\u0958"}, "given_name", "\u0915\u093c"),
        ("identity.government_id", {"scheme": "aadhaar", "number": "2341-2341-2346"}, "number",
         "234123412346"),
        ("identity.government_id", {"scheme": "pan", "number": " abcpe 1234f"}, "number",
         "ABCPE1234F"),
        ("identity.government_id", {"scheme": "voter_id", "number": "abc1234567"}, "number",
         "ABC1234567"),
        ("contact.phone", {"number": "098765 43210"}, "number", "+919876543210"),
        ("contact.phone", {"number": "+91-98765-43210"}, "number", "+919876543210"),
        ("contact.email", {"email": "Asha.Devi@EXAMPLE.ORG"}, "email", "Asha.Devi@example.org"),
        ("contact.address", {"line1": "1", "village_or_city": "Puri", "state": "orissa",
                             "postal_code": "752 001"}, "state", "Odisha"),
        ("contact.address", {"line1": "1", "village_or_city": "Puri", "state": "orissa",
                             "postal_code": "752 001"}, "postal_code", "752001"),
        ("contact.address", {"country": "np", "line1": "1", "village_or_city": "Pokhara"},
         "country", "NP"),
        ("health.conditions", {"name": "Diabetes", "icd10_code": "e11.9", "status": "managed"},
         "icd10_code", "E11.9"),
    ],
)  # fmt: skip
def test_values_are_normalised(type_name: str, value: object, field: str, expected: object) -> None:
    assert validate_value(type_name, value)[field] == expected


def test_address_country_defaults_to_india_and_needs_a_pin() -> None:
    value = validate_value(
        "contact.address", {"line1": "1", "village_or_city": "Puri", "postal_code": "752001"}
    )
    assert value["country"] == "IN"
    assert ("postal_code",) in errors_at(
        "contact.address", {"line1": "1", "village_or_city": "Puri"}
    )


# --- Aadhaar check digit --------------------------------------------------------------------


def accepts(type_name: str, value: object) -> bool:
    try:
        validate_value(type_name, value)
    except ValidationError:
        return False
    return True


@properties
@given(payload=matching(r"[2-9][0-9]{10}"))
def test_exactly_one_aadhaar_check_digit_is_accepted(payload: str) -> None:
    accepted = [
        digit
        for digit in "0123456789"
        if accepts("identity.government_id", {"scheme": "aadhaar", "number": payload + digit})
    ]
    assert accepted == [verhoeff_check_digit(payload)]


@properties
@given(payload=matching(r"[2-9][0-9]{10}"), data=st.data())
def test_aadhaar_typos_are_caught(payload: str, data: st.DataObject) -> None:
    number = payload + verhoeff_check_digit(payload)
    position = data.draw(st.integers(1, 11))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    before, at, after = (
        number[: position - 1],
        number[position - 1 : position + 1],
        number[position + 1 :],
    )
    mistyped = before + at[0] + wrong + after
    swapped = before + at[::-1] + after
    assert not accepts("identity.government_id", {"scheme": "aadhaar", "number": mistyped})
    if swapped != number and swapped[0] in "23456789":
        assert not accepts("identity.government_id", {"scheme": "aadhaar", "number": swapped})


# --- invalid values name the field ----------------------------------------------------------

NAME = {"given_name": "Asha"}
DOB = {"date": "1990-05-17"}
AADHAAR = {"scheme": "aadhaar", "number": "234123412346"}
PHONE = {"number": "+919876543210"}
ADDRESS = {"line1": "12 Station Road", "village_or_city": "Rampur", "state": "Uttar Pradesh",
           "postal_code": "243001"}  # fmt: skip
HOUSEHOLD = {"members": [{"name": "Asha", "relationship": "self"}]}
VACCINE = {"vaccine": "bcg", "dose": 1, "date": "2020-01-15"}
CONDITION = {"name": "Anaemia", "status": "active"}
ENROLMENT = {"institution": "GPS Rampur", "level": "primary", "start_date": "2019-06-01",
             "status": "enrolled"}  # fmt: skip
BENEFIT = {"scheme": "mgnrega", "status": "receiving"}
WORK = {"status": "unemployed"}

INVALID = [
    # wrong types
    ("identity.name", {"given_name": 42}, ("given_name",)),
    ("identity.name", {**NAME, "other_names": "Ash"}, ("other_names",)),
    ("identity.date_of_birth", {**DOB, "approximate": "yes"}, ("approximate",)),
    ("identity.date_of_birth", {"date": 86400}, ("date",)),
    ("identity.date_of_birth", {"date": "2020-01-01T00:00:00"}, ("date",)),
    ("identity.date_of_birth", {"date": "2020-02-30"}, ("date",)),
    ("health.immunisations", {**VACCINE, "dose": "2"}, ("dose",)),
    ("health.immunisations", {**VACCINE, "dose": 2.0}, ("dose",)),
    ("income.benefits", {**BENEFIT, "amount_inr": "100", "frequency": "daily"}, ("amount_inr",)),
    ("household.members", {"members": "Asha"}, ("members",)),
    # empty, blank, over-long and control-character strings
    ("identity.name", {"given_name": ""}, ("given_name",)),
    ("identity.name", {"given_name": "   "}, ("given_name",)),
    ("identity.name", {"given_name": "a" * 201}, ("given_name",)),
    ("identity.name", {"given_name": "Asha\x00"}, ("given_name",)),
    ("identity.name", {**NAME, "other_names": ["x"] * 11}, ("other_names",)),
    ("health.conditions", {**CONDITION, "notes": "n" * 2001}, ("notes",)),
    ("health.immunisations", {**VACCINE, "batch": "B" * 51}, ("batch",)),
    # dates in the future or too far back
    ("identity.date_of_birth", {"date": NEXT_WEEK}, ("date",)),
    ("identity.date_of_birth", {"date": "1899-12-31"}, ("date",)),
    ("health.immunisations", {**VACCINE, "date": NEXT_WEEK}, ("date",)),
    ("health.conditions", {**CONDITION, "diagnosed_on": NEXT_WEEK}, ("diagnosed_on",)),
    ("income.benefits", {**BENEFIT, "since": NEXT_WEEK}, ("since",)),
    ("employment.status", {**WORK, "since": NEXT_WEEK}, ("since",)),
    ("household.members", {"members": [{"name": "A", "relationship": "child",
                                        "year_of_birth": TODAY.year + 2}]},
     ("members", 0, "year_of_birth")),
    # government ids
    ("identity.government_id", {**AADHAAR, "number": "234123412347"}, ("number",)),
    ("identity.government_id", {**AADHAAR, "number": "123412341234"}, ("number",)),
    ("identity.government_id", {**AADHAAR, "number": "23412341234"}, ("number",)),
    ("identity.government_id", {**AADHAAR, "number": "2341234123A6"}, ("number",)),
    ("identity.government_id", {"scheme": "pan", "number": "ABCPE1234"}, ("number",)),
    ("identity.government_id", {"scheme": "pan", "number": "ABCXE1234F"}, ("number",)),
    ("identity.government_id", {"scheme": "pan", "number": "12345ABCDE"}, ("number",)),
    ("identity.government_id", {"scheme": "voter_id", "number": "AB12345678"}, ("number",)),
    ("identity.government_id", {"scheme": "passport", "number": "12345678"}, ("number",)),
    ("identity.government_id", {"scheme": "other", "number": "X-1"}, ("issued_by",)),
    ("identity.government_id", {"scheme": "nrega_card", "number": "X1"}, ("scheme",)),
    # phones and email
    ("contact.phone", {"number": "12345"}, ("number",)),
    ("contact.phone", {"number": "not a phone"}, ("number",)),
    ("contact.phone", {"number": "+91 98765 4321"}, ("number",)),
    ("contact.phone", {"number": "+91 80 2222 3333", "kind": "mobile"}, ("kind",)),
    ("contact.phone", {**PHONE, "kind": "landline"}, ("kind",)),
    ("contact.phone", {**PHONE, "kind": "pager"}, ("kind",)),
    ("contact.email", {"email": "asha.example.org"}, ("email",)),
    ("contact.email", {"email": "asha@"}, ("email",)),
    # addresses
    ("contact.address", {**ADDRESS, "postal_code": "012345"}, ("postal_code",)),
    ("contact.address", {**ADDRESS, "postal_code": "24300"}, ("postal_code",)),
    ("contact.address", {**ADDRESS, "postal_code": "2430011"}, ("postal_code",)),
    ("contact.address", {**ADDRESS, "state": "Atlantis"}, ("state",)),
    ("contact.address", {**ADDRESS, "country": "XX"}, ("country",)),
    ("contact.address", {**ADDRESS, "country": "USA"}, ("country",)),
    ("contact.address", {"line1": "1", "postal_code": "243001"}, ("village_or_city",)),
    # households
    ("household.members", {"members": []}, ("members",)),
    ("household.members", {"members": HOUSEHOLD["members"] * 2}, ("members",)),
    ("household.members", {"members": [{"name": "A", "relationship": "child"}] * 31},
     ("members",)),
    ("household.members", {"members": [{"name": "A", "relationship": "cousin"}]},
     ("members", 0, "relationship")),
    ("household.members", {"members": [{"name": "A", "relationship": "child", "age": 3}]},
     ("members", 0, "age")),
    # health
    ("health.immunisations", {**VACCINE, "vaccine": "other"}, ("other_name",)),
    ("health.immunisations", {**VACCINE, "other_name": "BCG"}, ("other_name",)),
    ("health.immunisations", {**VACCINE, "dose": 11}, ("dose",)),
    ("health.immunisations", {**VACCINE, "vaccine": "polio"}, ("vaccine",)),
    ("health.conditions", {**CONDITION, "icd10_code": "11.9"}, ("icd10_code",)),
    ("health.conditions", {**CONDITION, "status": "cured"}, ("status",)),
    # education, income, work
    ("education.enrolment", {**ENROLMENT, "end_date": "2019-05-31"}, ("end_date",)),
    ("education.enrolment", {**ENROLMENT, "status": "completed", "end_date": NEXT_WEEK},
     ("status",)),
    ("education.enrolment", {**ENROLMENT, "level": "phd"}, ("level",)),
    ("income.benefits", {**BENEFIT, "amount_inr": -1, "frequency": "daily"}, ("amount_inr",)),
    ("income.benefits", {**BENEFIT, "amount_inr": 10**9, "frequency": "daily"}, ("amount_inr",)),
    ("income.benefits", {**BENEFIT, "amount_inr": 300}, ("frequency",)),
    ("income.benefits", {**BENEFIT, "scheme": "other"}, ("other_name",)),
    ("employment.status", {**WORK, "employer": "Sharma Builders"}, ("employer",)),
    ("employment.status", {**WORK, "monthly_income_inr": -5}, ("monthly_income_inr",)),
]  # fmt: skip


@pytest.mark.parametrize(("type_name", "value", "loc"), INVALID)
def test_invalid_values_are_refused_naming_the_field(
    type_name: str, value: object, loc: tuple[str | int, ...]
) -> None:
    assert loc in errors_at(type_name, value)


@pytest.mark.parametrize("type_name", list(CATALOGUE))
def test_unknown_fields_are_refused(type_name: str) -> None:
    example = get_record_type(type_name).json_schema()["examples"][0]
    assert ("unexpected",) in errors_at(type_name, {**example, "unexpected": 1})


@pytest.mark.parametrize("value", [None, "Asha", 42, ["Asha"]])
def test_a_value_that_is_not_an_object_is_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        validate_value("identity.name", value)


_DEVANAGARI = str.maketrans("0123456789", "".join(chr(0x0966 + d) for d in range(10)))


@properties
@given(payload=matching(r"[2-9][0-9]{10}"))
def test_an_id_typed_in_devanagari_digits_is_stored_in_0_to_9(payload: str) -> None:
    """Found in review: a Hindi keyboard's digits were refused for an Aadhaar ("12 digits")."""
    number = payload + verhoeff_check_digit(payload)
    typed = f"{number[:4]} {number[4:8]} {number[8:]}".translate(_DEVANAGARI)
    stored = validate_value("identity.government_id", {"scheme": "aadhaar", "number": typed})
    assert stored["number"] == number
