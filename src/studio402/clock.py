"""The time seam: every "now" in studio402 comes from a :class:`Clock`, so tests can freeze time.

Times are always timezone-aware UTC ``datetime`` values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FrozenClock", "SystemClock", "utc"]


class Clock(Protocol):
    """Something that tells the current time."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (for tests and benchmarks)."""

    def __init__(self, now: datetime) -> None:
        self._now = utc(now)

    def now(self) -> datetime:
        """The frozen time."""
        return self._now

    def set(self, now: datetime) -> None:
        """Jump to ``now`` (must be timezone-aware)."""
        self._now = utc(now)

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` (negative moves back) and return the new time."""
        self._now += timedelta(seconds=seconds)
        return self._now


def utc(value: datetime) -> datetime:
    """Return ``value`` converted to UTC; raise ``ValueError`` if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: studio402 only handles timezone-aware times")
    return value.astimezone(UTC)
