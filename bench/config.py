"""How big and how long: the full run behind `make bench` and the quick one behind `bench-quick`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    people: int
    records_per_person: int
    audit_entries: int
    # Sampled people whose grants and fresh tokens the load uses; spread over the whole table.
    fetch_people: int
    # Refresh tokens are single-use (rotation), so the pool must outlast every refresh run.
    refresh_grants: int
    refresh_tokens_per_grant: int
    # The "small" database of the flat-growth comparison.
    small_people: int
    seconds: float  # one wrk run
    rounds: int  # alternating runs per figure; the median is reported
    connections: int
    # PostgreSQL one worker vs two: enough requests in flight that both reach their maximum
    # rate. Group commit serves more per commit the more are waiting, so one worker was still
    # 10-20% short of its maximum at 32 (quick scale, 2 cores: 32 -> 1.22-1.30x, 64 -> 1.30x,
    # 128 -> 1.38-1.41x, 256 -> 1.45-1.48x, 512 -> 1.44x).
    saturating_connections: int

    @property
    def records(self) -> int:
        return self.people * self.records_per_person

    @property
    def small_records(self) -> int:
        return self.small_people * self.records_per_person


FULL = Scale(
    name="full",
    people=100_000,
    records_per_person=10,
    audit_entries=1_000_000,
    fetch_people=1_000,
    refresh_grants=200,
    refresh_tokens_per_grant=150,
    small_people=1_000,
    seconds=6.0,
    rounds=5,
    connections=16,
    saturating_connections=256,
)

QUICK = Scale(
    name="quick",
    people=5_000,
    records_per_person=10,
    audit_entries=50_000,
    fetch_people=300,
    refresh_grants=50,
    refresh_tokens_per_grant=120,
    small_people=100,
    seconds=3.0,
    rounds=3,
    connections=16,
    saturating_connections=256,
)

# For the smoke test in tests/: loads in well under a second.
TINY = Scale(
    name="tiny",
    people=20,
    records_per_person=5,
    audit_entries=200,
    fetch_people=5,
    refresh_grants=2,
    refresh_tokens_per_grant=3,
    small_people=5,
    seconds=1.0,
    rounds=1,
    connections=2,
    saturating_connections=4,
)

SCALES = {scale.name: scale for scale in (FULL, QUICK, TINY)}
