"""Failed sign-ins counted per account, whatever address they come from.

The per-address limit (`pds.rate_limits`) cannot tell a field office behind one carrier-grade NAT
from one guesser, and a guesser with many addresses escapes it. Counting wrong passwords per
account stops guessing at one account from anywhere, so the per-address limit can be generous.

Keyed by a hash of the normalised address, known account or not: a refusal here says nothing
about whether the account exists. Refused attempts do not count, so waiting out the window
always works; a success clears the count. Kept in memory per process, like the rate limits: with
several workers the allowance is multiplied (docs/deployment.md), and a restart forgets it.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

# Enough accounts under attack at once for any deployment here; the oldest is forgotten first.
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
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, email: str) -> None:
        """Refuse before any password work when the account has had `limit` recent failures."""
        if self.limit <= 0:
            return
        now = self.clock()
        with self._lock:
            recent = self._recent(_key(email), now)
            if recent is not None and len(recent) >= self.limit:
                raise TooManySignInFailures(max(1, math.ceil(recent[0] + self.window - now)))

    def failed(self, email: str) -> None:
        if self.limit <= 0:
            return
        key, now = _key(email), self.clock()
        with self._lock:
            recent = self._recent(key, now)
            if recent is None:
                recent = self._failures[key] = deque(maxlen=self.limit)
            recent.append(now)
            self._failures.move_to_end(key)
            if len(self._failures) > self.capacity:
                self._failures.popitem(last=False)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(_key(email), None)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        """The account's failures inside the window (older ones dropped), if any."""
        recent = self._failures.get(key)
        if recent is None:
            return None
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if not recent:
            del self._failures[key]
            return None
        return recent


def _key(email: str) -> str:
    """`email` as the caller normalised it (`pds.people.service.normalise_email`)."""
    return hashlib.sha256(email.encode()).hexdigest()
