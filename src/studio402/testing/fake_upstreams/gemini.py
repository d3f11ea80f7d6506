"""A fake Gemini Developer API: ``POST /{version}/models/{model}:generateContent``."""

from __future__ import annotations

import asyncio
import base64

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from studio402.testing.fake_upstreams._base import FakeUpstream, Scenario, tiny_png

__all__ = ["FakeGemini"]

REFUSAL_TEXT = "I can't create that image: it may violate the usage policies."
USAGE = {"promptTokenCount": 14, "candidatesTokenCount": 1120, "totalTokenCount": 1134}


class FakeGemini(FakeUpstream):
    """Answers ``generateContent`` with an inline PNG, a safety refusal, 429 or 503."""

    vendor = "gemini"
    image = tiny_png(96, 64)

    def routes(self) -> list[BaseRoute]:
        """The Gemini endpoints (``v1`` and ``v1beta`` alike)."""
        return [Route("/{version}/models/{rest:path}", self._generate, methods=["POST"])]

    async def _generate(self, request: Request) -> Response:
        await self.record(request)
        model, _, method = request.path_params["rest"].partition(":")
        if method != "generateContent":
            return _error(404, f"method {method!r} not found", "NOT_FOUND")
        if request.headers.get("x-goog-api-key") is None:
            return _error(403, "API key not valid.", "PERMISSION_DENIED")
        if self.rate_limit_now():
            return _error(
                429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED"
            )
        if self.scenario is Scenario.SERVER_ERROR:
            return _error(503, "The model is overloaded. Please try again later.", "UNAVAILABLE")
        if self.scenario is Scenario.SLOW:
            await asyncio.sleep(self.slow_delay_s)
        if self.scenario is Scenario.REFUSAL:
            candidate = {
                "content": {"role": "model", "parts": [{"text": REFUSAL_TEXT}]},
                "finishReason": "IMAGE_SAFETY",
            }
        else:
            data = base64.b64encode(self.image).decode()
            candidate = {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "draft", "thought": True},
                        {"inlineData": {"mimeType": "image/png", "data": data}},
                    ],
                },
                "finishReason": "STOP",
            }
        return JSONResponse(
            {"candidates": [candidate], "usageMetadata": USAGE, "modelVersion": model}
        )


def _error(code: int, message: str, status: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "status": status}}, status_code=code
    )
