"""Adapter helpers: status mapping, Retry-After, bounded retries, polls, handles, sniffing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from studio402.clock import FrozenClock
from studio402.errors import ProviderError, ProviderTimeoutError, ProviderUnavailableError
from studio402.providers._upstream import (
    PollPolicy,
    decode_handle,
    encode_handle,
    error_for_status,
    parse_retry_after,
    retrying,
    upstream_cost,
)
from studio402.providers.errors import (
    UpstreamAccountError,
    UpstreamInvalidRequestError,
    UpstreamOutputExpiredError,
    UpstreamRateLimitedError,
)
from studio402.providers.media import sniff


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, UpstreamInvalidRequestError, False),
        (401, UpstreamAccountError, False),
        (402, UpstreamAccountError, False),
        (404, UpstreamInvalidRequestError, False),
        (408, ProviderTimeoutError, True),
        (429, UpstreamRateLimitedError, True),
        (500, ProviderUnavailableError, True),
        (503, ProviderUnavailableError, True),
    ],
)
def test_statuses_map_to_errors_with_the_right_retry_decision(
    status: int, kind: type[ProviderError], retryable: bool
) -> None:
    error = error_for_status("Acme", status, "boom")
    assert type(error) is kind
    assert error.retryable is retryable
    assert error.message == f"Acme answered {status}: boom"


def test_retry_after_accepts_seconds_and_dates() -> None:
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("Sun, 01 Nov 2026 12:00:10 GMT", now) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_retrying_stops_after_the_attempts_and_never_past_the_deadline() -> None:
    calls = 0

    async def failing() -> None:
        nonlocal calls
        calls += 1
        raise ProviderUnavailableError("503")

    policy = PollPolicy(attempts=3, retry_base_s=0.001)
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    with pytest.raises(ProviderUnavailableError):
        await retrying(failing, policy=policy, deadline=deadline)
    assert calls == 3
    calls = 0
    near = datetime.now(UTC) + timedelta(milliseconds=1)
    with pytest.raises(ProviderUnavailableError):
        await retrying(failing, policy=PollPolicy(retry_base_s=1.0), deadline=near)
    assert calls == 1


async def test_retrying_never_repeats_non_transient_errors() -> None:
    for error in (UpstreamOutputExpiredError("gone"), UpstreamInvalidRequestError("bad")):
        calls = 0

        async def fail(error: ProviderError = error) -> None:
            nonlocal calls
            calls += 1
            raise error

        with pytest.raises(type(error)):
            await retrying(
                fail,
                policy=PollPolicy(retry_base_s=0.001),
                deadline=datetime.now(UTC) + timedelta(seconds=5),
            )
        assert calls == 1


def test_poll_intervals_grow_with_elapsed_time_and_stop_at_the_deadline() -> None:
    policy = PollPolicy(poll_min_s=1.0, poll_max_s=10.0)
    assert policy.poll_after(0) == 1.0
    assert policy.poll_after(20) == 5.0
    assert policy.poll_after(600) == 10.0
    assert policy.poll_after(600, deadline_in_s=2.0) == 2.0
    assert FrozenClock(datetime(2030, 1, 1, tzinfo=UTC)).now().year == 2030


def test_handles_round_trip_and_foreign_ones_are_refused() -> None:
    handle = encode_handle(id="task-1", deadline=1.5)
    assert decode_handle("BFL", handle, "id") == {"id": "task-1", "deadline": 1.5}
    with pytest.raises(UpstreamInvalidRequestError):
        decode_handle("BFL", "op-1", "id")
    with pytest.raises(UpstreamInvalidRequestError):
        decode_handle("BFL", handle, "polling_url")


def test_upstream_cost_is_a_decimal_string() -> None:
    assert upstream_cost("cost", usd="0.30", credits=30, unused=None) == {
        "upstreamCost": {"usd": "0.3", "source": "cost", "credits": 30}
    }
    assert upstream_cost("usage")["upstreamCost"] == {"usd": None, "source": "usage"}


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x20ftypisom", "video/mp4"),
        (b"<html>", None),
    ],
)
def test_sniffing_reads_magic_numbers(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind
