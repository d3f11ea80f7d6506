"""A fake BFL API: ``POST /v1/{model}`` (submit) and ``GET /v1/get_result?id=`` (poll), with the
finished image served from ``/files/`` (answering 404 in the ``expired`` scenario)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from studio402.testing.fake_upstreams._base import FakeUpstream, Scenario, tiny_png

__all__ = ["MODERATION_REASON", "FakeBFL"]

MODERATION_REASON = "Derivative Works Filter"


class FakeBFL(FakeUpstream):
    """FLUX tasks: Pending (``slow``), Ready, Request Moderated (``refusal``), 429 and 503."""

    vendor = "bfl"
    image = tiny_png(80, 48)

    def routes(self) -> list[BaseRoute]:
        """Submit and poll."""
        return [
            Route("/v1/get_result", self._get_result, methods=["GET"]),
            Route("/v1/{model}", self._submit, methods=["POST"]),
        ]

    async def _submit(self, request: Request) -> Response:
        recorded = await self.record(request)
        if not recorded.headers.get("x-key"):
            return JSONResponse({"detail": "Not authenticated - Invalid Authentication"}, 401)
        if self.rate_limit_now():
            return JSONResponse(
                {"detail": "You have exceeded the number of active tasks (24)."},
                status_code=429,
                headers={"retry-after": "0"},
            )
        if self.scenario is Scenario.SERVER_ERROR:
            return JSONResponse({"detail": "Internal Server Error"}, status_code=503)
        task = f"task-{self.bump('tasks')}"
        return JSONResponse(
            {
                "id": task,
                "polling_url": f"{self.base_url}/v1/get_result?id={task}",
                "cost": 4.5,
                "input_mp": 1.0,
                "output_mp": 1.0,
            }
        )

    async def _get_result(self, request: Request) -> Response:
        await self.record(request)
        task = request.query_params.get("id", "")
        if not task.startswith("task-"):
            return JSONResponse({"id": task, "status": "Task not found"})
        if self.still_running(task):
            return JSONResponse({"id": task, "status": "Pending", "result": None, "progress": 0.4})
        if self.scenario is Scenario.REFUSAL:
            return JSONResponse(
                {
                    "id": task,
                    "status": "Request Moderated",
                    "result": None,
                    "details": {"Moderation Reasons": [MODERATION_REASON]},
                }
            )
        sample = self.host_file(f"{task}.jpeg", self.image, "image/png")
        return JSONResponse(
            {"id": task, "status": "Ready", "result": {"sample": sample, "seed": 42}}
        )
