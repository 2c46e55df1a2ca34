"""Key custody: where the service's keys come from, and the in-memory holder the app uses.

Keys never live in the database. They come from one key provider: a key file (default
`.pds/keys/keyring.json`, mode 0600) or the `PDS_KEYRING_JSON` setting. A KMS or HSM would plug in
as another `KeyProvider`.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from crypto.aead import generate_key
from crypto.keys import Keyring, WrappedKey, generate_kek_id
from crypto.signing import SigningKey, SigningKeyring, generate_kid

FORMAT_VERSION = 1


class KeyConfigurationError(RuntimeError):
    """The keys are missing, unreadable, malformed or unsafe to use."""


@dataclass(frozen=True)
class KeyMaterial:
    """Everything secret the service holds: KEKs, signing keys, the lookup key."""

    keyring: Keyring
    signing: SigningKeyring
    index_key: bytes
    development: bool

    def __repr__(self) -> str:  # never print key bytes
        return (
            f"KeyMaterial(keks={sorted(self.keyring.ids)}, active_kek={self.keyring.active_id}, "
            f"signing={sorted(self.signing.kids)}, development={self.development})"
        )


class KeyProvider(Protocol):
    """Reads (and, if it can, writes) the key material."""

    @property
    def writable(self) -> bool: ...

    def load(self) -> KeyMaterial: ...

    def save(self, material: KeyMaterial) -> None: ...


def generate_key_material(*, development: bool) -> KeyMaterial:
    kek_id = generate_kek_id()
    signing_key = SigningKey.generate(generate_kid())
    return KeyMaterial(
        keyring=Keyring({kek_id: generate_key()}, kek_id),
        signing=SigningKeyring([signing_key], signing_key.kid),
        index_key=generate_key(),
        development=development,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def dump_key_material(material: KeyMaterial) -> str:
    document = {
        "format": FORMAT_VERSION,
        "development": material.development,
        "kek": {
            "active": material.keyring.active_id,
            "keys": {kid: _b64(material.keyring.export_kek(kid)) for kid in material.keyring.ids},
        },
        "signing": {
            "active": material.signing.active.kid,
            "keys": {key.kid: _b64(key.seed) for key in material.signing.keys},
        },
        "index_key": _b64(material.index_key),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def parse_key_material(text: str) -> KeyMaterial:
    try:
        document: dict[str, Any] = json.loads(text)
        if document.get("format") != FORMAT_VERSION:
            raise KeyConfigurationError(f"unsupported key file format {document.get('format')!r}")
        kek = document["kek"]
        signing = document["signing"]
        keys = [SigningKey.from_seed(kid, _unb64(seed)) for kid, seed in signing["keys"].items()]
        return KeyMaterial(
            keyring=Keyring({kid: _unb64(k) for kid, k in kek["keys"].items()}, kek["active"]),
            signing=SigningKeyring(keys, signing["active"]),
            index_key=_unb64(document["index_key"]),
            development=bool(document.get("development", False)),
        )
    except KeyConfigurationError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyConfigurationError(f"malformed key material: {type(exc).__name__}") from None


class FileKeyProvider:
    """Keys in one JSON file that only the service's user may read."""

    writable = True

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> KeyMaterial:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            raise KeyConfigurationError(
                f"no key file at {self.path}: run `pds keys init` (or `make run` for development)"
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyConfigurationError(
                f"key file {self.path} is readable by others (mode {stat.S_IMODE(mode):o}); "
                f"run `chmod 600 {self.path}`"
            )
        return parse_key_material(self.path.read_text(encoding="utf-8"))

    def save(self, material: KeyMaterial) -> None:
        """Write atomically (temp file + rename) with mode 0600 from the start."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self.path.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dump_key_material(material))
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(self.path)


class EnvKeyProvider:
    """Keys handed in as one JSON setting (`PDS_KEYRING_JSON`), e.g. from a secret manager."""

    writable = False

    def __init__(self, text: str) -> None:
        self._text = text

    def load(self) -> KeyMaterial:
        return parse_key_material(self._text)

    def save(self, material: KeyMaterial) -> None:
        raise KeyConfigurationError("keys from PDS_KEYRING_JSON are read-only; update the secret")


class KeyStore:
    """The keys the running service uses; reloads once when it meets a KEK it does not know.

    A reload picks up a rotation done by `pds keys rotate` or by another worker.
    """

    def __init__(self, provider: KeyProvider) -> None:
        self.provider = provider
        self._lock = threading.Lock()
        self.material = provider.load()

    @property
    def keyring(self) -> Keyring:
        return self.material.keyring

    @property
    def signing(self) -> SigningKeyring:
        return self.material.signing

    @property
    def index_key(self) -> bytes:
        return self.material.index_key

    def reload(self) -> None:
        with self._lock:
            self.material = self.provider.load()

    def replace_keyring(self, keyring: Keyring) -> None:
        """Persist a new keyring, then use it."""
        with self._lock:
            material = replace(self.material, keyring=keyring)
            self.provider.save(material)
            self.material = material

    def replace_signing(self, signing: SigningKeyring) -> None:
        with self._lock:
            material = replace(self.material, signing=signing)
            self.provider.save(material)
            self.material = material

    def unwrap(self, wrapped: WrappedKey, owner: str) -> bytes:
        if wrapped.kek_id not in self.keyring.ids:
            self.reload()
        return self.keyring.unwrap(wrapped, owner)


def key_provider_for(keyring_json: str | None, keyring_file: Path) -> KeyProvider:
    if keyring_json:
        return EnvKeyProvider(keyring_json)
    return FileKeyProvider(keyring_file)
