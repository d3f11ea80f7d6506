"""JSON over httpx for the vendors without an SDK we use (BFL, fal): one call, errors translated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from studio402.errors import ProviderError
from studio402.providers._upstream import error_for_status, parse_retry_after, translate_httpx

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
