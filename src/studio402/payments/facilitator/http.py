"""A client for the x402 facilitator HTTP API (``/verify``, ``/settle``, ``/supported``).

Unlike the SDK's client it keeps the body of a non-200 answer when that body is a verify or
settle response: CDP answers ``settlement_pending`` with HTTP 500, and dropping it would turn
"broadcast, not yet confirmed" into a generic failure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SettleResponse,
    SupportedResponse,
    VerifyResponse,
)

from studio402.errors import FacilitatorError

HeadersFactory = Callable[[str, str], Awaitable[dict[str, str]]]
"""Called with (method, path) before each request; returns auth headers (e.g. a CDP JWT)."""

_Response = TypeVar("_Response", bound=BaseModel)


class HttpFacilitator:
    """Talks to a remote facilitator such as CDP's or x402.org's."""

    def __init__(
        self,
        base_url: str,
        client: httpx.AsyncClient,
        *,
        headers: HeadersFactory | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.headers = headers
        self.timeout_s = timeout_s

    async def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse:
        """``POST /verify``."""
        return await self._post("/verify", payload, requirements, VerifyResponse)

    async def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        """``POST /settle``; a ``settlement_pending`` body is returned whatever the status."""
        return await self._post("/settle", payload, requirements, SettleResponse)

    async def supported(self) -> SupportedResponse:
        """``GET /supported``."""
        response = await self._send("GET", "/supported", None)
        if response.status_code != 200:
            raise FacilitatorError(
                f"facilitator /supported answered {response.status_code}: {response.text[:300]}"
            )
        return _parse(response, SupportedResponse, "/supported")

    async def aclose(self) -> None:
        """The HTTP client belongs to the caller; nothing to release."""

    async def _post(
        self,
        path: str,
        payload: PaymentPayload,
        requirements: PaymentRequirements,
        model: type[_Response],
    ) -> _Response:
        body = {
            "x402Version": payload.x402_version,
            "paymentPayload": payload.model_dump(by_alias=True, exclude_none=True),
            "paymentRequirements": requirements.model_dump(by_alias=True, exclude_none=True),
        }
        response = await self._send("POST", path, body)
        if response.status_code == 200:
            return _parse(response, model, path)
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise FacilitatorError(
                f"facilitator {path} answered {response.status_code}: {response.text[:300]}",
                status_code=response.status_code,
            ) from exc

    async def _send(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        headers = await self.headers(method, path) if self.headers else {}
        try:
            return await self.client.request(
                method, self.base_url + path, json=body, headers=headers, timeout=self.timeout_s
            )
        except httpx.TimeoutException as exc:
            raise FacilitatorError(f"facilitator {path} timed out") from exc
        except httpx.HTTPError as exc:
            raise FacilitatorError(f"facilitator {path} unreachable: {exc}") from exc


def _parse(response: httpx.Response, model: type[_Response], path: str) -> _Response:
    try:
        return model.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        raise FacilitatorError(f"facilitator {path} returned an unreadable body") from exc
