"""A fake xAI API: the ``xai_api.Image`` and ``xai_api.Video`` gRPC services (served by
``grpc.server`` on a free 127.0.0.1 port), plus an HTTP file host for the temporary output URLs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any, Self

import grpc  # type: ignore[import-untyped]
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
from xai_sdk.proto import (  # type: ignore[import-untyped]
    deferred_pb2,
    image_pb2,
    image_pb2_grpc,
    usage_pb2,
    video_pb2,
    video_pb2_grpc,
)

from studio402.testing.fake_upstreams._base import (
    FakeUpstream,
    Recorded,
    Scenario,
    tiny_mp4,
    tiny_png,
)

__all__ = ["IMAGE_COST_TICKS", "VIDEO_COST_TICKS", "FakeXAI"]

IMAGE_COST_TICKS = 200_000_000
"""$0.02 (10**10 ticks = $1)."""
VIDEO_COST_TICKS = 3_500_000_000
"""$0.35."""


class FakeXAI(FakeUpstream):
    """Grok Imagine over gRPC; ``grpc_target`` is its ``host:port``."""

    vendor = "xai"
    image = tiny_png(72, 40)
    video = tiny_mp4(64, 36, 1.0)

    def __init__(self, scenario: Scenario | str = Scenario.SUCCESS, *, slow_polls: int = 3) -> None:
        """Start in ``scenario``; ``slow_polls`` is how many video polls stay PENDING."""
        super().__init__(scenario, slow_polls=slow_polls)
        self.grpc_target = ""

    @contextmanager
    def serve(self) -> Iterator[Self]:
        """Serve the gRPC services and the file host until the block exits."""
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        image_pb2_grpc.add_ImageServicer_to_server(_Image(self), server)
        video_pb2_grpc.add_VideoServicer_to_server(_Video(self), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            with super().serve():
                self.grpc_target = f"127.0.0.1:{port}"
                yield self
        finally:
            server.stop(grace=None).wait(5)
            self.grpc_target = ""

    def record_rpc(self, method: str, request: Any, context: Any) -> Recorded:
        """Keep one RPC: its method path, metadata and the request as JSON."""
        body = MessageToDict(request, preserving_proto_field_name=True)
        recorded = Recorded(
            method="RPC",
            path=method,
            query={},
            headers=dict(context.invocation_metadata()),
            body=json.dumps(body).encode(),
        )
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def refuse_transient(self, context: Any) -> None:
        """Abort with RESOURCE_EXHAUSTED (first call, rate_limited) or UNAVAILABLE."""
        if self.rate_limit_now():
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "Too many requests: rate limit")
        if self.scenario is Scenario.SERVER_ERROR:
            context.abort(grpc.StatusCode.UNAVAILABLE, "Service temporarily unavailable")


class _Image(image_pb2_grpc.ImageServicer):  # type: ignore[misc]
    def __init__(self, fake: FakeXAI) -> None:
        self.fake = fake

    def GenerateImage(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC name)
        self.fake.record_rpc("/xai_api.Image/GenerateImage", request, context)
        self.fake.refuse_transient(context)
        if self.fake.scenario is Scenario.SLOW:
            time.sleep(self.fake.slow_delay_s)
        usage = usage_pb2.SamplingUsage(cost_in_usd_ticks=IMAGE_COST_TICKS)
        if self.fake.scenario is Scenario.REFUSAL:
            generated = image_pb2.GeneratedImage(respect_moderation=False)
        else:
            name = f"image-{self.fake.bump('images')}.png"
            url = self.fake.host_file(name, self.fake.image, "image/png")
            generated = image_pb2.GeneratedImage(url=url, respect_moderation=True)
        return image_pb2.ImageResponse(images=[generated], model=request.model, usage=usage)


class _Video(video_pb2_grpc.VideoServicer):  # type: ignore[misc]
    def __init__(self, fake: FakeXAI) -> None:
        self.fake = fake

    def GenerateVideo(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC name)
        self.fake.record_rpc("/xai_api.Video/GenerateVideo", request, context)
        self.fake.refuse_transient(context)
        return deferred_pb2.StartDeferredResponse(request_id=f"vid-{self.fake.bump('videos')}")

    def GetDeferredVideo(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC name)
        self.fake.record_rpc("/xai_api.Video/GetDeferredVideo", request, context)
        rid = request.request_id
        if self.fake.still_running(rid):
            return video_pb2.GetDeferredVideoResponse(
                status=deferred_pb2.DeferredStatus.PENDING,
                response=video_pb2.VideoResponse(progress=40),
            )
        usage = usage_pb2.SamplingUsage(cost_in_usd_ticks=VIDEO_COST_TICKS)
        moderated = self.fake.scenario is Scenario.REFUSAL
        url = "" if moderated else self.fake.host_file(f"{rid}.mp4", self.fake.video, "video/mp4")
        video = video_pb2.GeneratedVideo(url=url, duration=1, respect_moderation=not moderated)
        return video_pb2.GetDeferredVideoResponse(
            status=deferred_pb2.DeferredStatus.DONE,
            response=video_pb2.VideoResponse(
                video=video, model="grok-imagine-video", usage=usage, progress=100
            ),
        )
