"""Device cookies: a browser that has signed in to an account keeps signing in to it while others
are paused (OWASP's defence against lockout by guessing).

Wrong passwords are counted per account from anywhere (`pds.people.sign_in_failures`), so anyone
who knows a person's email could keep that account paused. A browser that signed in to the
account, or created it, or recovered it, carries a cookie vouching for that browser and that
account: its attempts are counted for it alone, so the person's own phone is never paused by
someone else's guesses, and a stolen cookie still buys only the same few guesses.

The cookie is a random id and an HMAC over it and the normalised email, under the service's
lookup key with its own label: nothing is stored server-side, and it names no account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_LABEL = b"pds.device-cookie.v1\x1f"
_ID_BYTES = 16
_MAC_BYTES = 16


def issue(key: bytes, email: str) -> str:
    """A new cookie value for this browser and the account of `email` (normalised)."""
    device = base64.urlsafe_b64encode(secrets.token_bytes(_ID_BYTES)).decode().rstrip("=")
    return f"{device}.{_mac(key, email, device)}"


def device_of(key: bytes, cookie: str | None, email: str) -> str | None:
    """The browser's device id if `cookie` vouches for it and the account of `email`."""
    if not cookie or cookie.count(".") != 1:
        return None
    device, mac = cookie.split(".")
    if not device or len(device) > 64:
        return None
    expected = _mac(key, email, device)
    return device if hmac.compare_digest(mac.encode(), expected.encode()) else None


def _mac(key: bytes, email: str, device: str) -> str:
    message = _LABEL + email.encode() + b"\x1f" + device.encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
