"""Token events: what the OAuth server tells its in-transaction hooks (the audit log's entries).

Each hook runs inside the transaction that issues, rotates or revokes the tokens, so the change
and its evidence commit together or not at all. A refused attempt (a reused code, a replayed
refresh token) is an event too, with `refused` saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection


class TokenEventKind(StrEnum):
    ISSUED = "issued"
    REFRESHED = "refreshed"
    REVOKED = "revoked"


@dataclass(frozen=True)
class TokenEvent:
    kind: TokenEventKind
    person_id: str
    client_id: str
    grant_id: str
    scope: str
    refused: str | None = None


TokenHook = Callable[[Connection, TokenEvent], None]
