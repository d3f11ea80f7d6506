"""JSON over httpx for the vendors without an SDK we use (BFL, fal): one call, errors translated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from studio402.clock import Clock, SystemClock
from studio402.errors import ProviderError
from studio402.providers._upstream import (
    PollPolicy,
    error_for_status,
    parse_retry_after,
    translate_httpx,
)
from studio402.providers.references import ReferenceReader

__all__ = ["call_json", "error_message"]

RefusalCheck = Callable[[int, Any], ProviderError | None]
"""Given an error status and parsed body, the refusal it stands for (or None)."""


def error_message(body: Any, fallback: str) -> str:
    """The human message of an upstream error body (``detail``, ``error.message``, ...)."""
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("msg")
            if isinstance(value, list) and value:
                value = "; ".join(
                    str(item.get("msg", item)) if isinstance(item, dict) else str(item)
                    for item in value
                )
            if value:
                return str(value)
    return fallback


async def call_json(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    vendor: str,
    headers: Mapping[str, str],
    json: Any = None,
    timeout_s: float,
    refusal: RefusalCheck | None = None,
) -> Any:
    """Send one JSON request and return the parsed JSON answer.

    Raises:
        ProviderError: transport failures and error statuses, translated by
            :func:`error_for_status` (or by ``refusal`` when it recognises a content refusal).
    """
    try:
        response = await http.request(
            method, url, headers=dict(headers), json=json, timeout=max(timeout_s, 0.1)
        )
    except httpx.HTTPError as exc:
        raise translate_httpx(vendor, exc) from exc
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        if refusal is not None and (refused := refusal(response.status_code, body)) is not None:
            raise refused
        raise error_for_status(
            vendor,
            response.status_code,
            error_message(body, response.text[:300]),
            retry_after_s=parse_retry_after(response.headers.get("retry-after")),
        )
    if body is None:
        raise ProviderError(f"{vendor} answered {response.status_code} without JSON")
    return body


class RestUpstream:
    """What every plain-REST adapter holds: key, base URL, HTTP client, limits and clock.

    ``http`` is shared (not closed here); without one the adapter opens its own and closes it
    in :meth:`aclose`. ``timeout_s`` caps each HTTP call.
    """

    default_base_url = ""
    default_policy = PollPolicy()

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 60.0,
        references: ReferenceReader | None = None,
        policy: PollPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._api_key = api_key
        self._base_url = (base_url or self.default_base_url).rstrip("/")
        self._own_http = http is None
        self._http = http or httpx.AsyncClient()
        self._timeout_s = timeout_s
        self._references = references
        self._policy = policy or self.default_policy
        self._clock = clock or SystemClock()

    async def aclose(self) -> None:
        """Close the HTTP client if this adapter opened it."""
        if self._own_http:
            await self._http.aclose()
