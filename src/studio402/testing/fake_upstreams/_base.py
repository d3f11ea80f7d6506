"""What every fake upstream shares: scenarios, the record of received requests, served files,
tiny real media, and running the app with uvicorn on a free 127.0.0.1 port."""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self

from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from studio402.testing.server import serve_in_thread

__all__ = ["FakeUpstream", "Recorded", "Scenario", "tiny_mp4", "tiny_png"]


class Scenario(StrEnum):
    """How a fake answers.

    ``success``: at once. ``slow``: ``slow_polls`` "still running" polls first (synchronous
    vendors answer after ``slow_delay_s``). ``refusal``: a content-policy refusal in the vendor's
    own shape. ``rate_limited``: the first generation request gets 429 (``Retry-After: 0``),
    later ones succeed. ``server_error``: every generation request gets a 5xx. ``expired``: the
    job succeeds but its output URL answers 404 (vendors with inline bytes answer success).
    """

    SUCCESS = "success"
    SLOW = "slow"
    REFUSAL = "refusal"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = field(repr=False)
    form: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        """The body parsed as JSON."""
        import json

        return json.loads(self.body)


@functools.cache
def tiny_png(width: int = 96, height: int = 64) -> bytes:
    """A real PNG of the given size (a two-colour split, so it is not blank)."""
    image = Image.new("RGB", (width, height), (200, 60, 40))
    image.paste((40, 90, 200), (0, 0, width // 2, height))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@functools.cache
def tiny_mp4(width: int = 64, height: int = 36, duration_s: float = 1.0) -> bytes:
    """A real H.264 MP4 (rendered by the local model) of the given size and duration."""
    from studio402.providers.local_video import render_video

    return render_video("fake upstream clip", width, height, duration_s, fps=12).mp4


class FakeUpstream:
    """Base of the fake vendor servers: subclasses add their ``routes()``."""

    vendor = "fake"

    def __init__(self, scenario: Scenario | str = Scenario.SUCCESS, *, slow_polls: int = 3) -> None:
        """Start in ``scenario``; ``slow_polls`` is how many polls stay pending when slow."""
        self.scenario = Scenario(scenario)
        self.slow_polls = slow_polls
        self.slow_delay_s = 0.3
        self.requests: list[Recorded] = []
        self.files: dict[str, tuple[bytes, str]] = {}
        self.base_url = ""
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}

    # -- what tests use -------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[Self]:
        """Serve the fake until the block exits (``base_url`` is set inside it)."""
        with serve_in_thread(self.app()) as url:
            self.base_url = url
            try:
                yield self
            finally:
                self.base_url = ""

    def calls(self, fragment: str = "", method: str | None = None) -> list[Recorded]:
        """The recorded requests whose path contains ``fragment`` (and of ``method``)."""
        with self._lock:
            found = list(self.requests)
        return [r for r in found if fragment in r.path and (method is None or r.method == method)]

    def set_scenario(self, scenario: Scenario | str) -> None:
        """Switch scenario and reset the counters."""
        with self._lock:
            self.scenario = Scenario(scenario)
            self._counters.clear()

    # -- what subclasses use --------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """The vendor's endpoints (subclasses override)."""
        return []

    def app(self) -> Starlette:
        """The ASGI app: the vendor's routes plus ``GET /files/{name}``."""
        return Starlette(routes=[*self.routes(), Route("/files/{name}", self._file)])

    async def record(self, request: Request, *, form: bool = False) -> Recorded:
        """Read and keep one request (multipart fields too when ``form``)."""
        body = await request.body()
        fields: dict[str, Any] = {}
        if form:
            parsed = await request.form()
            for key, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    item: Any = {
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "data": await value.read(),
                    }
                else:
                    item = value
                fields.setdefault(key, []).append(item)
        recorded = Recorded(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            form=fields,
        )
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def bump(self, counter: str) -> int:
        """Increment and return a named counter (1 on the first call)."""
        with self._lock:
            self._counters[counter] = self._counters.get(counter, 0) + 1
            return self._counters[counter]

    def rate_limit_now(self) -> bool:
        """True for the first generation request of the ``rate_limited`` scenario."""
        return self.scenario is Scenario.RATE_LIMITED and self.bump("rate_limited") == 1

    def still_running(self, job: str) -> bool:
        """True while a ``slow`` job has had fewer than ``slow_polls`` polls."""
        return self.scenario is Scenario.SLOW and self.bump(f"poll:{job}") <= self.slow_polls

    def host_file(self, name: str, data: bytes, content_type: str) -> str:
        """Serve ``data`` at ``/files/{name}`` and return its absolute URL."""
        with self._lock:
            self.files[name] = (data, content_type)
        return f"{self.base_url}/files/{name}"

    async def _file(self, request: Request) -> Response:
        await self.record(request)
        if self.scenario is Scenario.EXPIRED:
            return Response(b"<Error>BlobNotFound</Error>", status_code=404)
        found = self.files.get(request.path_params["name"])
        if found is None:
            return Response(b"not found", status_code=404)
        return Response(found[0], media_type=found[1])
