"""The characters of an address this service stores and later redirects to, calls or links."""

from __future__ import annotations

import re

# RFC 3986 §2: unreserved and reserved characters, and percent-encoding's "%".
_URI_TEXT = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def is_uri_text(url: str) -> bool:
    """Only RFC 3986's characters: no space, no control character (a CR or LF is dropped on the
    way out, so the address used would not be the one registered), no raw non-ASCII (an IRI is
    sent percent-encoded, a domain name as punycode)."""
    return _URI_TEXT.fullmatch(url) is not None
