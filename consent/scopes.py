"""The scope grammar `<record_type>:<read|write>` and its algebra: the one place scopes are read.

A scope names one record type and one action, e.g. `health.immunisations:read`. A scope string
(as OAuth carries it) is a space-separated list of scopes. A `ScopeSet` is an immutable set of
scopes with the operations the consent logic needs: subset, intersection, union, difference, and
a single normal form (sorted, de-duplicated, single-spaced) for storage and display.

Write does not imply read: an organisation that may add immunisation records cannot read the ones
already there unless it was also granted `:read`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

# A record type is lower-case dotted words, like the catalogue's names (`identity.date_of_birth`).
_RECORD_TYPE = r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+"
_SCOPE = re.compile(rf"(?P<type>{_RECORD_TYPE}):(?P<action>read|write)")
MAX_SCOPE_LENGTH = 100
# Far more than the catalogue can ever need; bounds the work a hostile scope string can cause.
MAX_SCOPES = 200


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


class InvalidScope(ValueError):
    """A scope that does not follow the grammar or names an unknown record type."""

    def __init__(self, scope: str, reason: str) -> None:
        super().__init__(f"{reason}: {scope[:MAX_SCOPE_LENGTH]!r}")
        self.scope = scope[:MAX_SCOPE_LENGTH]
        self.reason = reason


@dataclass(frozen=True, order=True)
class Scope:
    record_type: str
    action: Action

    def __str__(self) -> str:
        return f"{self.record_type}:{self.action.value}"


def parse_scope(text: str) -> Scope:
    """One scope; raises InvalidScope unless `text` is exactly `<record_type>:<read|write>`."""
    if len(text) > MAX_SCOPE_LENGTH:
        raise InvalidScope(text, "scope too long")
    match = _SCOPE.fullmatch(text)
    if match is None:
        raise InvalidScope(text, "not of the form <record_type>:<read|write>")
    return Scope(match["type"], Action(match["action"]))


class ScopeSet(Collection[Scope]):
    """An immutable set of scopes; equal sets have equal `str()` (the normal form)."""

    __slots__ = ("_scopes",)

    def __init__(self, scopes: Iterable[Scope] = ()) -> None:
        self._scopes = frozenset(scopes)

    @classmethod
    def parse(cls, text: str | None) -> ScopeSet:
        """A space-separated scope string (OAuth's `scope`); empty or None gives the empty set."""
        words = (text or "").split()
        if len(words) > MAX_SCOPES:
            raise InvalidScope(" ".join(words[:3]), "too many scopes")
        return cls(parse_scope(word) for word in words)

    @classmethod
    def of(cls, *texts: str) -> ScopeSet:
        return cls(parse_scope(text) for text in texts)

    @classmethod
    def for_record_types(cls, record_types: Iterable[str]) -> ScopeSet:
        """Every scope over the given record types (read and write of each)."""
        return cls(Scope(name, action) for name in record_types for action in Action)

    def __contains__(self, item: object) -> bool:
        return item in self._scopes

    def __iter__(self) -> Iterator[Scope]:
        return iter(sorted(self._scopes))

    def __len__(self) -> int:
        return len(self._scopes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScopeSet) and self._scopes == other._scopes

    def __hash__(self) -> int:
        return hash(self._scopes)

    def __str__(self) -> str:
        return " ".join(str(scope) for scope in self)

    def __repr__(self) -> str:
        return f"ScopeSet({str(self)!r})"

    def __and__(self, other: ScopeSet) -> ScopeSet:
        return ScopeSet(self._scopes & other._scopes)

    def __or__(self, other: ScopeSet) -> ScopeSet:
        return ScopeSet(self._scopes | other._scopes)

    def __sub__(self, other: ScopeSet) -> ScopeSet:
        return ScopeSet(self._scopes - other._scopes)

    def issubset(self, other: ScopeSet) -> bool:
        return self._scopes <= other._scopes

    def record_types(self, action: Action) -> frozenset[str]:
        """The record types this set allows `action` on."""
        return frozenset(scope.record_type for scope in self._scopes if scope.action is action)

    def allows(self, record_type: str, action: Action) -> bool:
        return Scope(record_type, action) in self._scopes

    def unknown_types(self, known_record_types: Collection[str]) -> frozenset[str]:
        return frozenset(
            s.record_type for s in self._scopes if s.record_type not in known_record_types
        )


def normalise(text: str | None) -> str:
    """The normal form of a scope string (sorted, unique, single spaces); raises InvalidScope."""
    return str(ScopeSet.parse(text))


_ACTION_WORDS = {Action.READ: "See", Action.WRITE: "Add to and change"}


@dataclass(frozen=True)
class ScopeVocabulary:
    """The scopes that exist: one read and one write scope per record type of the catalogue.

    `pds` builds it from its record catalogue (name -> plain-language description) at wiring time.
    """

    descriptions: Mapping[str, str]

    @property
    def all_scopes(self) -> ScopeSet:
        return ScopeSet.for_record_types(self.descriptions)

    def parse(self, text: str | None) -> ScopeSet:
        """Parse and check every record type against the catalogue; raises InvalidScope."""
        scopes = ScopeSet.parse(text)
        unknown = scopes.unknown_types(self.descriptions)
        if unknown:
            raise InvalidScope(sorted(unknown)[0], "unknown record type")
        return scopes

    def label(self, scope: Scope) -> str:
        """The scope in plain language, e.g. "See your immunisation history: vaccine, …"."""
        description = self.descriptions.get(scope.record_type, scope.record_type)
        return f"{_ACTION_WORDS[scope.action]} {description}"
