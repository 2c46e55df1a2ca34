"""Structured logs (structlog over stdlib logging): JSON in production, readable in development.

A redaction processor drops the values of any key that could carry a secret or personal data,
so a careless `log.info(..., password=...)` cannot leak it.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from pds.settings import Settings

REDACTED = "[redacted]"
SENSITIVE_KEYS = frozenset(
    {
        "password", "new_password", "current_password", "token", "access_token",
        "refresh_token", "code", "code_verifier", "client_secret", "secret", "cookie",
        "authorization", "email", "value", "values", "body", "data",
    }
)  # fmt: skip


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event:
        if key.lower() in SENSITIVE_KEYS:
            event[key] = REDACTED
    return event


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Route structlog through stdlib logging with one formatter for both."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    # Tracebacks are rendered plain: never with local variables, which may hold personal data.
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.is_production
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks if settings.is_production else _no_op,
            renderer,
        ],
    )
    root = logging.getLogger()
    # Idempotent: one PDS handler however many apps are created (tests create many).
    for existing in root.handlers:
        if getattr(existing, "pds_handler", False):
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.pds_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _no_op(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return event
