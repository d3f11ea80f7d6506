"""HTTP helpers of the SDK: reading error answers, and retrying requests that move no money."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import httpx

from studio402.client.errors import ApiError, ConnectionFailedError, SignInError

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})


def json_or_none(response: httpx.Response) -> Any:
    """The body as JSON, or ``None`` if it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def api_error(response: httpx.Response, context: str = "") -> ApiError:
    """An :class:`ApiError` (or :class:`SignInError`) carrying the server's code and detail."""
    body = json_or_none(response)
    code = None
    detail = None
    if isinstance(body, dict):
        code = body.get("code") or body.get("error") or body.get("reason")
        detail = body.get("detail") or body.get("message") or body.get("error")
    code = str(code) if code else f"http_{response.status_code}"
    message = str(detail) if detail else (response.text[:300] or response.reason_phrase)
    if context:
        message = f"{context}: {message}"
    cls = SignInError if response.status_code in (401, 403) else ApiError
    return cls(message, status=response.status_code, code=code, body=body)


def retry_after_s(response: httpx.Response, default: float) -> float:
    """The ``Retry-After`` delay in seconds (numeric form), else ``default``."""
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def backoff_s(attempt: int, base: float = 0.5, cap: float = 8.0) -> float:
    """Exponential backoff with jitter for ``attempt`` (0-based)."""
    delay: float = min(cap, base * 2**attempt)
    return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not crypto


async def send_free(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    attempts: int = 4,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request that moves no money, retrying network errors and 429/502/503/504.

    Raises :class:`ConnectionFailedError` once the attempts are used up on network errors.
    """
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            last = exc
            logger.debug("%s %s failed (%s), retrying", method, url, type(exc).__name__)
        else:
            if response.status_code not in RETRY_STATUSES or attempt == attempts - 1:
                return response
            await asyncio.sleep(min(retry_after_s(response, backoff_s(attempt)), 10.0))
            continue
        if attempt < attempts - 1:
            await asyncio.sleep(backoff_s(attempt))
    raise ConnectionFailedError(f"cannot reach {url}: {type(last).__name__}: {last}") from last
