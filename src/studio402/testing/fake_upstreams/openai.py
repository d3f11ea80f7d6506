"""A fake OpenAI Images API: ``POST /v1/images/generations`` (JSON) and ``/v1/images/edits``
(multipart), answering base64 images, ``moderation_blocked`` refusals, 429 or 500."""

from __future__ import annotations

import asyncio
import base64

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from studio402.testing.fake_upstreams._base import FakeUpstream, Scenario, tiny_png

__all__ = ["REFUSAL_MESSAGE", "FakeOpenAI"]

REFUSAL_MESSAGE = (
    "Your request was rejected by the safety system. If you believe this is an error, "
    "contact us at help.openai.com and include the request ID req_fake."
)
USAGE = {
    "input_tokens": 50,
    "input_tokens_details": {"image_tokens": 0, "text_tokens": 50},
    "output_tokens": 4160,
    "total_tokens": 4210,
}


class FakeOpenAI(FakeUpstream):
    """Answers the two image endpoints; ``base_url`` + ``/v1`` is the SDK's base URL."""

    vendor = "openai"
    image = tiny_png(64, 96)

    def routes(self) -> list[BaseRoute]:
        """``/v1/images/generations`` and ``/v1/images/edits``."""
        return [
            Route("/v1/images/generations", self._generations, methods=["POST"]),
            Route("/v1/images/edits", self._edits, methods=["POST"]),
        ]

    async def _generations(self, request: Request) -> Response:
        await self.record(request)
        return await self._answer(request)

    async def _edits(self, request: Request) -> Response:
        await self.record(request, form=True)
        return await self._answer(request)

    async def _answer(self, request: Request) -> Response:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "Incorrect API key provided.", "invalid_request_error", None)
        if self.rate_limit_now():
            response = _error(
                429, "Rate limit reached for images per minute.", "requests", "rate_limit_exceeded"
            )
            response.headers["retry-after"] = "0"
            return response
        if self.scenario is Scenario.SERVER_ERROR:
            return _error(
                500, "The server had an error while processing your request.", "server_error", None
            )
        if self.scenario is Scenario.REFUSAL:
            return _error(400, REFUSAL_MESSAGE, "image_generation_user_error", "moderation_blocked")
        if self.scenario is Scenario.SLOW:
            await asyncio.sleep(self.slow_delay_s)
        return JSONResponse(
            {
                "created": 1_767_225_600,
                "data": [{"b64_json": base64.b64encode(self.image).decode()}],
                "background": "opaque",
                "output_format": "png",
                "quality": "high",
                "size": "1024x1536",
                "usage": USAGE,
            }
        )


def _error(status: int, message: str, kind: str, code: str | None) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)
