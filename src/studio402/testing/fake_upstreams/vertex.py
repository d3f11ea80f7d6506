"""A fake Vertex AI Veo API: ``:predictLongRunning`` starts an operation and
``:fetchPredictOperation`` reports it (express-mode and project paths alike)."""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from studio402.testing.fake_upstreams._base import FakeUpstream, Scenario, tiny_mp4

__all__ = ["RAI_REASON", "FakeVertex"]

RAI_REASON = (
    "Unable to generate videos because the prompt could violate Vertex AI's usage guidelines. "
    "Support codes: 58061214"
)
_PREFIX = "projects/fake-project/locations/us-central1/publishers/google/models"


class FakeVertex(FakeUpstream):
    """Veo operations: pending (``slow``), done with an inline video, RAI-filtered (``refusal``),
    done without a video (``expired``), 429 and 503 on submission."""

    vendor = "vertex"
    video = tiny_mp4(64, 36, 1.0)

    def routes(self) -> list[BaseRoute]:
        """Both Vertex methods under any version prefix."""
        return [Route("/{version}/{rest:path}", self._dispatch, methods=["POST"])]

    async def _dispatch(self, request: Request) -> Response:
        recorded = await self.record(request)
        path, _, method = request.path_params["rest"].rpartition(":")
        model = path.rsplit("/", 1)[-1]
        if not (recorded.headers.get("x-goog-api-key") or recorded.headers.get("authorization")):
            return _error(
                401, "Request is missing required authentication credential.", "UNAUTHENTICATED"
            )
        if method == "predictLongRunning":
            return self._start(model)
        if method == "fetchPredictOperation":
            return self._fetch(str(recorded.json().get("operationName", "")))
        return _error(404, f"Method {method!r} not found.", "NOT_FOUND")

    def _start(self, model: str) -> Response:
        if self.rate_limit_now():
            return _error(
                429,
                "Quota exceeded for aiplatform.googleapis.com/"
                "online_prediction_requests_per_base_model.",
                "RESOURCE_EXHAUSTED",
            )
        if self.scenario is Scenario.SERVER_ERROR:
            return _error(503, "The service is currently unavailable.", "UNAVAILABLE")
        op = f"op-{self.bump('operations')}"
        return JSONResponse({"name": f"{_PREFIX}/{model}/operations/{op}"})

    def _fetch(self, name: str) -> Response:
        if "/operations/" not in name:
            return _error(400, f"Invalid operation name {name!r}.", "INVALID_ARGUMENT")
        if self.still_running(name):
            return JSONResponse({"name": name})
        response: dict[str, object] = {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "raiMediaFilteredCount": 0,
        }
        if self.scenario is Scenario.REFUSAL:
            response.update(raiMediaFilteredCount=1, raiMediaFilteredReasons=[RAI_REASON])
        elif self.scenario is Scenario.EXPIRED:
            response["videos"] = []
        else:
            encoded = base64.b64encode(self.video).decode()
            response["videos"] = [{"bytesBase64Encoded": encoded, "mimeType": "video/mp4"}]
        return JSONResponse({"name": name, "done": True, "response": response})


def _error(code: int, message: str, status: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "status": status}}, status_code=code
    )
