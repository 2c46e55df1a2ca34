"""Query strings are read strictly: a misspelt, empty or repeated parameter is refused (422).

Ignored, it would quietly answer a different question from the one asked: a misspelt filter, or
the last of two `type` values (the framework keeps one), answers with more, or other, data than
the caller meant to ask for.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ValidationException


def refuse_unexpected(request: Request[Any, Any, Any], allowed: frozenset[str]) -> None:
    params = request.query_params
    wrong = [
        {"key": name, "message": message}
        for name in sorted(set(params))
        for message in (
            "unknown parameter" if name not in allowed else None,
            "given more than once" if len(params.getall(name)) > 1 else None,
            "empty" if name in allowed and params.getall(name) == [""] else None,
        )
        if message is not None
    ]
    if wrong:
        raise ValidationException(extra=wrong)
