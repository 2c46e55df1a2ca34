"""The committed OpenAPI document is the running app's, and it documents every operation fully:
who may call, request and answer schemas with examples, and every error in its format."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from pds.openapi_document import openapi_document, render
from pds.rate_limits import is_limited

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def test_the_committed_document_is_the_apps(document: dict[str, Any]) -> None:
    fresh = render(document)
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if fresh != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), fresh.splitlines(), "committed", "app", lineterm="", n=1
        )
        pytest.fail(
            "openapi/openapi.json differs from the app's document: run `make openapi` and "
            "commit it.\n" + "\n".join(list(diff)[:60])
        )


def test_the_document_is_the_same_every_time(document: dict[str, Any]) -> None:
    assert render(openapi_document()) == render(document)
    text = render(document)
    assert "/tmp" not in text and str(Path.home()) not in text
    assert "__Host-pds_session" in text  # the production cookie, whatever this machine runs


def test_every_operation_says_who_may_call_it(document: dict[str, Any]) -> None:
    schemes = set(document["components"]["securitySchemes"])
    for method, path, operation in operations(document):
        security = operation.get("security")
        assert isinstance(security, list) and security, f"{method} {path} declares no security"
        for requirement in security:
            assert set(requirement) <= schemes, (method, path, requirement)
        if {} not in security:
            assert "401" in operation["responses"], f"{method} {path}: no 401 documented"


def test_every_error_is_documented_in_its_format(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            if path.startswith("/oauth/") and int(status) in (400, 401):
                assert set(content) == {"application/json"}, (method, path, status)
                ref = content["application/json"]["schema"]["$ref"]
                assert ref.endswith("/OAuthError"), (method, path, status)
            elif path == "/health/ready":
                assert set(content) == {"application/json"}
            else:
                assert set(content) == {PROBLEM}, (method, path, status, set(content))
                assert content[PROBLEM]["schema"]["$ref"].endswith("/ProblemDetails")
                assert content[PROBLEM].get("examples"), (method, path, status)


def test_429_is_documented_exactly_where_a_rate_limit_applies(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        documented = "429" in operation["responses"]
        assert documented == is_limited(method, path), (method, path)


def test_every_body_has_an_example(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        bodies = [("request", operation["requestBody"])] if "requestBody" in operation else []
        bodies += list(operation["responses"].items())
        for name, body in bodies:
            for media_type, media in body.get("content", {}).items():
                assert _examples(document, media), f"{method} {path} {name} {media_type}"


def test_every_example_matches_its_schema(document: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in operations(document):
        bodies = [operation["requestBody"]] if "requestBody" in operation else []
        bodies += list(operation["responses"].values())
        for body in bodies:
            for media_type, media in body.get("content", {}).items():
                if not media_type.endswith("json"):
                    continue
                validator = _validator(document, media["schema"])
                for example in _examples(document, media):
                    errors = [e.message for e in validator.iter_errors(example)]
                    assert not errors, (method, path, media_type, example, errors)
                    checked += 1
    assert checked > 100


def test_created_records_link_to_what_can_be_done_with_them(document: dict[str, Any]) -> None:
    ids = {op["operationId"] for _, _, op in operations(document)}
    for path in ("/api/v1/me/records", "/api/v1/records"):
        links = document["paths"][path]["post"]["responses"]["201"]["links"]
        assert len(links) >= 2
        for link in links.values():
            assert link["operationId"] in ids
            assert link["parameters"] == {"record_id": "$response.body#/id"}


def _examples(document: dict[str, Any], media: dict[str, Any]) -> list[Any]:
    found = [example["value"] for example in media.get("examples", {}).values()]
    found += [media["example"]] if "example" in media else []
    schema = media.get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return found + list(schema.get("examples", []))


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document["components"]})


def test_the_committed_document_is_valid_json() -> None:
    assert json.loads(COMMITTED.read_text(encoding="utf-8"))["openapi"].startswith("3.1")
