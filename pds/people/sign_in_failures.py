"""Password guesses counted per account (or per vouched-for browser), whatever address they come
from.

The per-address limit (`pds.rate_limits`) cannot tell a field office behind one carrier-grade NAT
from one guesser, and a guesser with many addresses escapes it. Counting attempts per account
stops guessing at one account from anywhere, so the per-address limit can be generous. A browser
with a device cookie for the account (`pds.people.device_cookies`) is counted apart, so someone
else's guesses never pause the person's own phone.

Each attempt is counted when it starts, under the lock, and forgotten only when it succeeds: a
burst of parallel guesses cannot all pass the check before the first failure is counted. The
count is keyed by a hash, known account or not, so a pause says nothing about whether the account
exists; refused attempts are not counted, so waiting out the window always works. Kept in memory
per process, like the rate limits: with several workers the allowance is multiplied
(docs/deployment.md), and a restart forgets it.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

# Enough keys under attack at once for any deployment here (a few hundred bytes each); beyond it
# the key touched longest ago is forgotten first.
CAPACITY = 100_000


class TooManySignInFailures(Exception):
    """Too many wrong passwords for this account lately; try again after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed sign-ins for this account")
        self.retry_after = retry_after


class SignInFailures:
    def __init__(
        self,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = CAPACITY,
    ) -> None:
        self.limit = limit  # 0: off
        self.window = window_seconds
        self.clock = clock
        self.capacity = capacity
        self._attempts: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, key: str) -> None:
        """Count an attempt at `key`, or refuse it (not counted) when `limit` attempts in the
        window have not succeeded."""
        if self.limit <= 0:
            return
        hashed, now = _hash(key), self.clock()
        with self._lock:
            recent = [t for t in self._attempts.get(hashed, ()) if t > now - self.window]
            if len(recent) >= self.limit:
                raise TooManySignInFailures(max(1, math.ceil(recent[0] + self.window - now)))
            self._attempts[hashed] = [*recent, now]
            self._attempts.move_to_end(hashed)
            if len(self._attempts) > self.capacity:
                self._attempts.popitem(last=False)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._attempts.pop(_hash(key), None)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
