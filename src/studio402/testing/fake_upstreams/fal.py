"""A fake fal queue: submit (``POST /{endpoint}``), status, result and cancel under
``/{owner}/{alias}/requests/{id}``, with the video served from ``/files/``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from studio402.testing.fake_upstreams._base import FakeUpstream, Scenario, tiny_mp4

__all__ = ["REFUSAL_MESSAGE", "FakeFal"]

REFUSAL_MESSAGE = (
    "The content could not be processed because it contained material flagged by a content checker."
)


class FakeFal(FakeUpstream):
    """fal's queue protocol with absolute ``status_url``/``response_url``/``cancel_url``."""

    vendor = "fal"
    video = tiny_mp4(64, 36, 1.0)

    def routes(self) -> list[BaseRoute]:
        """Queue endpoints (status and result use only the first two path segments)."""
        base = "/{owner}/{alias}/requests/{rid}"
        return [
            Route(f"{base}/status", self._status, methods=["GET"]),
            Route(f"{base}/cancel", self._cancel, methods=["PUT"]),
            Route(base, self._result, methods=["GET"]),
            Route("/{endpoint:path}", self._submit, methods=["POST"]),
        ]

    async def _submit(self, request: Request) -> Response:
        recorded = await self.record(request)
        if not recorded.headers.get("authorization", "").startswith("Key "):
            return JSONResponse({"detail": "Unauthorized"}, status_code=401)
        if self.rate_limit_now():
            return JSONResponse(
                {"detail": "Rate limit exceeded"}, status_code=429, headers={"retry-after": "0"}
            )
        if self.scenario is Scenario.SERVER_ERROR:
            return JSONResponse({"detail": "Internal server error"}, status_code=500)
        owner, alias = request.path_params["endpoint"].split("/")[:2]
        rid = f"req-{self.bump('requests')}"
        base = f"{self.base_url}/{owner}/{alias}/requests/{rid}"
        return JSONResponse(
            {
                "request_id": rid,
                "response_url": base,
                "status_url": f"{base}/status",
                "cancel_url": f"{base}/cancel",
                "queue_position": 0,
            }
        )

    async def _status(self, request: Request) -> Response:
        await self.record(request)
        rid = request.path_params["rid"]
        if self.still_running(rid):
            polls = self._counters.get(f"poll:{rid}", 0)
            if polls == 1:
                return JSONResponse({"status": "IN_QUEUE", "queue_position": 1})
            return JSONResponse({"status": "IN_PROGRESS", "logs": None})
        return JSONResponse(
            {"status": "COMPLETED", "logs": None, "metrics": {"inference_time": 12.5}}
        )

    async def _result(self, request: Request) -> Response:
        await self.record(request)
        rid = request.path_params["rid"]
        if self.scenario is Scenario.REFUSAL:
            detail = {
                "loc": ["body", "prompt"],
                "msg": REFUSAL_MESSAGE,
                "type": "content_policy_violation",
                "url": "https://docs.fal.ai/errors#content_policy_violation",
            }
            return JSONResponse(
                {"detail": [detail]},
                status_code=422,
                headers={"x-fal-error-type": "content_policy_violation"},
            )
        url = self.host_file(f"{rid}.mp4", self.video, "video/mp4")
        video = {
            "url": url,
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": len(self.video),
        }
        return JSONResponse({"video": video, "seed": 1234})

    async def _cancel(self, request: Request) -> Response:
        await self.record(request)
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)
