"""Envelope encryption: per-person data keys wrapped under key-encryption keys (KEKs).

Records are encrypted with a person's data key; only the wrapped data key is stored. Rotating a
KEK re-wraps data keys without touching records, and destroying a data key erases the records.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from crypto import aead

_WRAP_AAD_PREFIX = b"pds.datakey.v1|"


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under the KEK named by kek_id."""

    kek_id: str
    blob: bytes


class UnknownKeyError(LookupError):
    """The wrapped key names a KEK that is not in the keyring."""


def generate_kek_id() -> str:
    """Return a short random KEK id such as "kek-1a2b3c4d"."""
    return "kek-" + secrets.token_hex(4)


def _check_kek(kek_id: str, key: bytes) -> None:
    # "|" separates kek_id from owner in the AAD; forbidding it keeps that encoding unambiguous.
    if not kek_id or "|" in kek_id:
        raise ValueError(f"invalid KEK id {kek_id!r}: must be non-empty without '|'")
    if not isinstance(key, bytes) or len(key) != aead.KEY_SIZE:
        raise ValueError(f"KEK {kek_id!r} must be {aead.KEY_SIZE} bytes")


def _wrap_aad(kek_id: str, owner: str) -> bytes:
    # Binding the owner means a wrapped key copied onto another person's row fails to unwrap.
    return _WRAP_AAD_PREFIX + kek_id.encode("utf-8") + b"|" + owner.encode("utf-8")


class Keyring:
    """Key-encryption keys by id, one of them active for wrapping. Immutable."""

    __slots__ = ("_active_id", "_keks")

    def __init__(self, keks: Mapping[str, bytes], active_id: str) -> None:
        for kek_id, key in keks.items():
            _check_kek(kek_id, key)
        if active_id not in keks:
            raise ValueError(f"active KEK {active_id!r} is not in the keyring")
        self._keks: Mapping[str, bytes] = MappingProxyType(dict(keks))
        self._active_id = active_id

    def __repr__(self) -> str:
        # Never print key material: ids only.
        return f"Keyring(ids={sorted(self._keks)!r}, active_id={self._active_id!r})"

    __str__ = __repr__

    @property
    def active_id(self) -> str:
        """The id of the KEK that wraps new data keys."""
        return self._active_id

    @property
    def ids(self) -> frozenset[str]:
        """All KEK ids, active and retired."""
        return frozenset(self._keks)

    def export_kek(self, kek_id: str) -> bytes:
        """The raw KEK, for a key provider to persist; never for logging."""
        if kek_id not in self._keks:
            raise UnknownKeyError(kek_id)
        return self._keks[kek_id]

    def new_data_key(self, owner: str) -> tuple[bytes, WrappedKey]:
        """Return a fresh 32-byte data key and its wrapping under the active KEK."""
        data_key = aead.generate_key()
        return data_key, self.wrap(data_key, owner)

    def wrap(self, data_key: bytes, owner: str) -> WrappedKey:
        """Encrypt a data key for an owner under the active KEK."""
        if not isinstance(data_key, bytes) or len(data_key) != aead.KEY_SIZE:
            raise ValueError(f"data key must be {aead.KEY_SIZE} bytes")
        kek_id = self._active_id
        blob = aead.encrypt(self._keks[kek_id], data_key, _wrap_aad(kek_id, owner))
        return WrappedKey(kek_id=kek_id, blob=blob)

    def unwrap(self, wrapped: WrappedKey, owner: str) -> bytes:
        """Decrypt a wrapped data key; UnknownKeyError or aead.DecryptionError on failure."""
        kek = self._keks.get(wrapped.kek_id)
        if kek is None:
            raise UnknownKeyError(f"no KEK {wrapped.kek_id!r} in the keyring")
        data_key = aead.decrypt(kek, wrapped.blob, _wrap_aad(wrapped.kek_id, owner))
        if len(data_key) != aead.KEY_SIZE:
            # Authentic but not a data key: only possible if something else was encrypted here.
            raise aead.DecryptionError("wrapped value is not a data key")
        return data_key

    def rewrap(self, wrapped: WrappedKey, owner: str) -> WrappedKey:
        """Re-encrypt a wrapped data key under the active KEK (rotation)."""
        return self.wrap(self.unwrap(wrapped, owner), owner)

    def with_kek(self, kek_id: str, key: bytes, *, activate: bool = True) -> Keyring:
        """Return a new keyring with one more KEK, by default made active."""
        if kek_id in self._keks:
            raise ValueError(f"KEK {kek_id!r} is already in the keyring")
        keks = {**self._keks, kek_id: key}
        return Keyring(keks, kek_id if activate else self._active_id)

    def without_kek(self, kek_id: str) -> Keyring:
        """Return a new keyring without a retired KEK; re-wrap everything it wrapped first."""
        if kek_id not in self._keks:
            raise ValueError(f"no KEK {kek_id!r} in the keyring")
        if kek_id == self._active_id:
            raise ValueError(f"KEK {kek_id!r} is active and cannot be removed")
        keks = {k: v for k, v in self._keks.items() if k != kek_id}
        return Keyring(keks, self._active_id)
