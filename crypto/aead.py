"""XChaCha20-Poly1305 authenticated encryption with associated data (libsodium via PyNaCl).

The associated data binds a ciphertext to its context (owner, record id, version, type), so a
ciphertext copied into another context fails to decrypt instead of yielding plaintext.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.secret
import nacl.utils

KEY_SIZE = 32  # == nacl.secret.Aead.KEY_SIZE, which enforces it again
NONCE_SIZE = nacl.secret.Aead.NONCE_SIZE
_MIN_CIPHERTEXT_SIZE = NONCE_SIZE + nacl.secret.Aead.MACBYTES


class DecryptionError(Exception):
    """A ciphertext could not be decrypted: wrong key, wrong associated data, or damaged input."""


def generate_key() -> bytes:
    """Return a fresh random 32-byte key."""
    return nacl.utils.random(KEY_SIZE)


def _aead(key: bytes) -> nacl.secret.Aead:
    # A bad key is a bug in the caller, not a bad ciphertext: say so loudly.
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise ValueError(f"key must be {KEY_SIZE} bytes")
    return nacl.secret.Aead(key)


def encrypt(key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """Encrypt under a random 24-byte nonce; return nonce || ciphertext || tag."""
    # Random nonces are safe here: XChaCha20's 192-bit nonce makes collisions negligible.
    return bytes(_aead(key).encrypt(plaintext, associated_data))


def decrypt(key: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
    """Decrypt what `encrypt` produced; raise DecryptionError on any failure."""
    aead = _aead(key)
    # Checked here so truncated input is reported as the one error, not PyNaCl's ValueError.
    if not isinstance(ciphertext, bytes) or len(ciphertext) < _MIN_CIPHERTEXT_SIZE:
        raise DecryptionError("ciphertext is truncated or malformed")
    if not isinstance(associated_data, bytes):
        raise TypeError("associated_data must be bytes")
    try:
        return aead.decrypt(ciphertext, associated_data)
    except nacl.exceptions.CryptoError as exc:
        # Deliberately uninformative: callers must not learn which check failed.
        raise DecryptionError("decryption failed") from exc
