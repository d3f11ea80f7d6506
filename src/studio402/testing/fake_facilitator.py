"""A facilitator HTTP server speaking the x402 facilitator API, for tests.

It forwards ``/verify`` and ``/settle`` to any :class:`Facilitator` (for example the local one on
anvil) and can be told to misbehave the way real facilitators do: answer ``settlement_pending``
with HTTP 500 (as CDP does), return a 502 with an HTML body, or be slow.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from x402.schemas import PaymentPayload, PaymentRequirements, SettleResponse

from studio402.payments.facilitator.base import Facilitator


@dataclass
class Misbehaviour:
    """What the next calls should do instead of answering normally."""

    settle_mode: str = "normal"  # normal | pending_500 | bad_gateway | slow
    verify_mode: str = "normal"  # normal | bad_gateway
    delay_s: float = 0.0
    calls: dict[str, int] = field(
        default_factory=lambda: {"verify": 0, "settle": 0, "supported": 0}
    )
    authorization_seen: list[str] = field(default_factory=list)


def build_fake_facilitator(inner: Facilitator, misbehaviour: Misbehaviour) -> FastAPI:
    """An app serving ``POST /verify``, ``POST /settle`` and ``GET /supported``."""
    app = FastAPI()

    async def parse(request: Request) -> tuple[PaymentPayload, PaymentRequirements]:
        misbehaviour.authorization_seen.append(request.headers.get("authorization", ""))
        body: dict[str, Any] = await request.json()
        return (
            PaymentPayload.model_validate(body["paymentPayload"]),
            PaymentRequirements.model_validate(body["paymentRequirements"]),
        )

    @app.post("/verify")
    async def verify(request: Request) -> Response:
        misbehaviour.calls["verify"] += 1
        if misbehaviour.verify_mode == "bad_gateway":
            return PlainTextResponse("<html>502 Bad Gateway</html>", status_code=502)
        payload, requirements = await parse(request)
        result = await inner.verify(payload, requirements)
        return JSONResponse(result.model_dump(by_alias=True, exclude_none=True))

    @app.post("/settle")
    async def settle(request: Request) -> Response:
        misbehaviour.calls["settle"] += 1
        payload, requirements = await parse(request)
        mode = misbehaviour.settle_mode
        if mode == "bad_gateway":
            return PlainTextResponse("<html>502 Bad Gateway</html>", status_code=502)
        if mode == "slow":
            await asyncio.sleep(misbehaviour.delay_s)
        result = await inner.settle(payload, requirements)
        if mode == "pending_500":
            pending = SettleResponse(
                success=False,
                error_reason="settlement_pending",
                transaction=result.transaction,
                network=result.network,
            )
            return JSONResponse(
                pending.model_dump(by_alias=True, exclude_none=True), status_code=500
            )
        return JSONResponse(result.model_dump(by_alias=True, exclude_none=True))

    @app.get("/supported")
    async def supported() -> Response:
        misbehaviour.calls["supported"] += 1
        result = await inner.supported()
        return JSONResponse(result.model_dump(by_alias=True, exclude_none=True))

    return app
