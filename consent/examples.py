"""Examples on Pydantic models that both JSON Schema and Litestar's OpenAPI document show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from litestar.openapi.spec import Example
from litestar.openapi.spec.base import BaseSchemaObject
from pydantic import ConfigDict


@dataclass
class Verbatim(BaseSchemaObject):
    """A value the OpenAPI document shows as given: Litestar drops `None` members of the
    dictionaries it serialises, which would turn `"reason": null` into a missing field."""

    value: Any = field(default=None)

    def to_schema(self) -> Any:
        return self.value


def example_config(example: dict[str, Any], **config: Any) -> ConfigDict:
    """A model config carrying `example`: Litestar reads a model's example from that config key
    (not from pydantic's `json_schema_extra`, which JSON Schema users read)."""
    settings: dict[str, Any] = {**config, "json_schema_extra": {"examples": [example]}}
    settings["example"] = Verbatim(example)
    return cast(ConfigDict, settings)


@dataclass
class NamedExample(Example):
    """An OpenAPI Example keyed by its `id` in the document; the id itself is no Example field."""

    @property
    def _exclude_fields(self) -> set[str]:
        return {"id"}
