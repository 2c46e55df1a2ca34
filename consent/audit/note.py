"""Signed checkpoints in the C2SP tlog-checkpoint / signed-note format, with Ed25519.

A checkpoint note reads

    example.org/pds/audit
    1042
    <base64 root hash>
    time 2026-11-23T18:18:20.214769Z

    — example.org/pds/audit <base64(key id || signature)>

The first lines are the origin, tree size and root hash (c2sp.org/tlog-checkpoint); `time` is an
extension line. The signature covers every byte before the blank line. The key id is the first
four bytes of SHA-256(key name || "\\n" || 0x01 || public key) (c2sp.org/signed-note), and a
verifier key is written `name+<key id hex>+<base64(0x01 || public key)>`.

Only the standard library and `crypto` may be imported here: the offline verifier uses it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from crypto.signing import PUBLIC_KEY_SIZE, SIGNATURE_SIZE, SigningKey, verify_signature

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space open every signature line
TIME_PREFIX = "time "
MAX_NOTE_BYTES = 16 * 1024
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


class NoteError(ValueError):
    """A checkpoint or verifier key is malformed, or no trusted key signed it."""


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: bytes

    def __str__(self) -> str:
        encoded = base64.b64encode(ED25519_TYPE + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: datetime | None
    key_name: str


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError("a key name must be non-empty without '+' or whitespace")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 key in signed notes."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> VerifierKey:
    _check_name(name)
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise NoteError("an Ed25519 public key has 32 bytes")
    return VerifierKey(name, key_id(name, public_key), public_key)


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse `name+keyid+base64key`; the key id must match the key."""
    # The key data is base64, which may itself contain "+": split at the first two only.
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key reads name+keyid+key")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        claimed = bytes.fromhex(hex_id)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise NoteError("a verifier key has a malformed key id or key") from None
    if raw[:1] != ED25519_TYPE:
        raise NoteError("only Ed25519 verifier keys are supported")
    key = verifier_key(name, raw[1:])
    if claimed != key.key_id:
        raise NoteError("the verifier key's id does not match its key")
    return key


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def checkpoint_body(origin: str, size: int, root: bytes, moment: datetime) -> str:
    """The signed part of a checkpoint note."""
    _check_name(origin)
    root_b64 = base64.b64encode(root).decode("ascii")
    return f"{origin}\n{size}\n{root_b64}\n{TIME_PREFIX}{format_time(moment)}\n"


def sign_note(body: str, name: str, key: SigningKey) -> str:
    """Append a signature line by `key` under `name` to the note body."""
    _check_name(name)
    kid = key_id(name, key.public_key_bytes())
    signature = base64.b64encode(kid + key.sign(body.encode("utf-8"))).decode("ascii")
    return f"{body}\n{SIGNATURE_PREFIX}{name} {signature}\n"


def _split_note(text: str) -> tuple[str, list[str]]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise NoteError("note too large")
    body, sep, signatures = text.partition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("a note is a body, a blank line and signature lines")
    return body + "\n", signatures[:-1].split("\n")


def _signed_by(body: str, lines: Sequence[str], keys: Sequence[VerifierKey]) -> str:
    signers = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("malformed signature line")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise NoteError("malformed signature") from None
        for key in keys:
            if key.name == name and key.key_id == raw[:4] and len(raw) == 4 + SIGNATURE_SIZE:
                if verify_signature(key.public_key, body.encode("utf-8"), raw[4:]):
                    return name
                raise NoteError(f"bad signature by {name}")
        signers.append(f"{name}+{raw[:4].hex()}")
    # Name both sides: the usual cause is a key file of another service or a retired key.
    trusted = ", ".join(f"{key.name}+{key.key_id.hex()}" for key in keys)
    raise NoteError(
        f"no signature by a trusted key: signed by {', '.join(signers) or 'nobody'}, "
        f"trusted {trusted or 'none'}"
    )


def open_checkpoint(text: str, keys: Sequence[VerifierKey]) -> Checkpoint:
    """Verify a checkpoint note's signature by one of `keys` and return what it says."""
    body, signature_lines = _split_note(text)
    key_name = _signed_by(body, signature_lines, keys)
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text = lines[:3]
    if not _DECIMAL.fullmatch(size_text):
        raise NoteError("malformed tree size")
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError:
        raise NoteError("malformed root hash") from None
    if len(root) != 32:
        raise NoteError("a root hash has 32 bytes")
    return Checkpoint(origin, int(size_text), root, _time_of(lines[3:]), key_name)


def _time_of(extensions: Sequence[str]) -> datetime | None:
    for line in extensions:
        if line.startswith(TIME_PREFIX):
            try:
                return datetime.strptime(line[len(TIME_PREFIX) :], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=UTC
                )
            except ValueError:
                raise NoteError("malformed time line") from None
    return None
