"""What every upstream adapter shares: status-to-error mapping, bounded retries inside the job's
deadline, poll intervals that back off, persistable handles and the upstream-cost record."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from studio402.clock import Clock, SystemClock
from studio402.errors import (
    ProviderError,
    ProviderRejectedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from studio402.providers.errors import (
    UpstreamAccountError,
    UpstreamInvalidRequestError,
    UpstreamOutputExpiredError,
    UpstreamRateLimitedError,
)

__all__ = [
    "COST_KEY",
    "PollPolicy",
    "decode_handle",
    "encode_handle",
    "error_for_status",
    "parse_retry_after",
    "refusal",
    "retrying",
    "seconds_left",
    "translate_httpx",
    "upstream_cost",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

COST_KEY = "upstreamCost"
"""The key of :attr:`Output.metadata` holding what the upstream reported about its cost."""

_MAX_MESSAGE = 500


def error_for_status(
    vendor: str, status: int, message: str, *, retry_after_s: float | None = None
) -> ProviderError:
    """The ProviderError for an upstream HTTP ``status`` (or its gRPC equivalent).

    400/404/422 are invalid requests, 401/402/403 account problems (neither retryable), 408 a
    timeout, 429 a rate limit, 5xx unavailability (all retryable).
    """
    text = f"{vendor} answered {status}: {message[:_MAX_MESSAGE]}".rstrip(": ")
    if status == 429:
        return UpstreamRateLimitedError(text, retry_after_s=retry_after_s, upstream_status=status)
    if status in (401, 402, 403):
        return UpstreamAccountError(text, upstream_status=status)
    if status == 408:
        return ProviderTimeoutError(text, upstream_status=status)
    if status >= 500:
        return ProviderUnavailableError(text, upstream_status=status)
    if 400 <= status < 500:
        return UpstreamInvalidRequestError(text, upstream_status=status)
    return ProviderError(text, upstream_status=status)


def refusal(vendor: str, reason: str) -> ProviderRejectedError:
    """A content-policy refusal (``content_refused``) carrying the upstream's reason."""
    return ProviderRejectedError(f"{vendor} refused the request: {reason[:_MAX_MESSAGE]}")


def translate_httpx(vendor: str, exc: httpx.HTTPError) -> ProviderError:
    """The ProviderError for an httpx transport failure (timeouts, refused connections...)."""
    if isinstance(exc, httpx.TimeoutException):
        return ProviderTimeoutError(f"{vendor} did not answer in time ({type(exc).__name__})")
    return ProviderUnavailableError(f"{vendor} could not be reached: {type(exc).__name__}: {exc}")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if now is None or when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def seconds_left(deadline: datetime, clock: Clock) -> float:
    """Seconds until ``deadline`` (negative once it has passed)."""
    return (deadline - clock.now()).total_seconds()


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How adapters retry transient upstream failures and how fast they poll.

    Retries (429 and 5xx answers only, never timeouts, so a request is not sent twice when its
    fate is unknown) wait ``retry_base_s * 2**n`` or the upstream's ``Retry-After``. Polls wait
    a quarter of the time elapsed since submission, clamped to ``[poll_min_s, poll_max_s]``.
    """

    attempts: int = 3
    retry_base_s: float = 1.0
    retry_max_s: float = 30.0
    poll_min_s: float = 1.0
    poll_max_s: float = 15.0

    def poll_after(self, elapsed_s: float, deadline_in_s: float | None = None) -> float:
        """Seconds to wait before the next poll, never past the deadline."""
        wait = min(self.poll_max_s, max(self.poll_min_s, elapsed_s / 4))
        if deadline_in_s is not None:
            wait = min(wait, max(deadline_in_s, 0.0))
        return max(wait, 0.0)


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    policy: PollPolicy,
    deadline: datetime,
    clock: Clock | None = None,
) -> T:
    """Await ``call()``; on a rate limit or an upstream 5xx, wait and try again, at most
    ``policy.attempts`` times in all and never past ``deadline``.

    Raises:
        ProviderError: the last failure, or any non-transient one at once.
    """
    clock = clock or SystemClock()
    attempt = 1
    while True:
        try:
            return await call()
        except ProviderUnavailableError as exc:
            if isinstance(exc, UpstreamOutputExpiredError) or attempt >= policy.attempts:
                raise
            hinted = exc.retry_after_s if isinstance(exc, UpstreamRateLimitedError) else None
            wait = min(policy.retry_max_s, hinted or policy.retry_base_s * 2 ** (attempt - 1))
            if wait >= seconds_left(deadline, clock):
                raise
            logger.info("retrying after %s in %.2f s", exc.code, wait)
            await asyncio.sleep(wait)
            attempt += 1


def encode_handle(**fields: Any) -> str:
    """A persistable polling handle: compact JSON of ``fields``."""
    return json.dumps(fields, separators=(",", ":"), sort_keys=True)


def decode_handle(vendor: str, handle: str, *required: str) -> dict[str, Any]:
    """Read a handle made by :func:`encode_handle`.

    Raises:
        UpstreamInvalidRequestError: the handle is not ours or lacks a ``required`` field.
    """
    try:
        data = json.loads(handle)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or any(name not in data for name in required):
        raise UpstreamInvalidRequestError(f"not a {vendor} handle: {handle[:80]!r}")
    return data


def upstream_cost(
    source: str, *, usd: Decimal | float | str | None = None, **details: Any
) -> dict[str, Any]:
    """The ``upstreamCost`` record: USD as a decimal string when the upstream states one, the
    field it came from, and any raw usage (tokens, credits, ticks) it reported."""
    amount = None if usd is None else format(Decimal(str(usd)).normalize(), "f")
    cleaned: Mapping[str, Any] = {k: v for k, v in details.items() if v is not None}
    return {COST_KEY: {"usd": amount, "source": source, **cleaned}}
