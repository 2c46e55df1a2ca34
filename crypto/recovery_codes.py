"""One-time recovery codes: random, easy to copy from paper onto a phone, compared canonically.

The alphabet leaves out characters that are easy to confuse when written by hand or read aloud
(0/O, 1/I/L), and case does not matter. Five groups of four give 20 characters, about 99 bits:
far beyond guessing even before the hashing and the rate limit in front of it.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS = 5
GROUP_LENGTH = 4
_SEPARATORS = str.maketrans("", "", " -\t\n\u00a0")


def new_recovery_code() -> str:
    """A fresh code to show the person once, like `7KQM-4XR9-TBC2-HW3N-P8DZ`."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    return "-".join(groups)


def canonical_recovery_code(typed: str) -> str:
    """The code as it is hashed: upper case, without the spaces and dashes a person may type."""
    return typed.translate(_SEPARATORS).upper()
