"""Litestar dependency helpers shared by the wiring modules."""

from __future__ import annotations

from litestar.di import Provide


def constant(value: object) -> Provide:
    """A dependency that is always `value`: a service object built once at start-up."""
    return Provide(lambda: value, use_cache=True, sync_to_thread=False)
