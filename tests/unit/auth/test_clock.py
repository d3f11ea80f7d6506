"""The clock seam used by SIWX, sessions and nonces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from studio402.clock import Clock, FrozenClock, SystemClock, utc


def test_system_clock_is_aware_utc() -> None:
    clock: Clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_frozen_clock_moves_only_when_told() -> None:
    start = datetime(2026, 1, 15, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    clock: Clock = FrozenClock(start)
    assert clock.now() == start and clock.now().tzinfo is UTC
    assert isinstance(clock, FrozenClock)
    assert clock.advance(30) == start + timedelta(seconds=30)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2027, 1, 1, tzinfo=UTC)


def test_naive_times_refused() -> None:
    with pytest.raises(ValueError):
        utc(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        FrozenClock(datetime(2026, 1, 1))
