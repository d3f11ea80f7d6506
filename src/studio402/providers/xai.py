"""xAI Grok Imagine (image: ``grok-imagine-image``; video: ``grok-imagine-video``) through the
official ``xai-sdk``, which speaks gRPC.

* Image (synchronous): ``image.sample`` (``/xai_api.Image/GenerateImage``) with ``aspect_ratio``
  and, for edits, the stored references as base64 ``data:`` URIs (``image_url`` for one,
  ``image_urls`` for several); the answer's temporary ``url`` is downloaded at once.
* Video (deferred): ``video.start`` (``/xai_api.Video/GenerateVideo``) with ``duration``,
  ``aspect_ratio``, ``resolution`` and an optional first frame (``image``); ``video.get``
  (``/xai_api.Video/GetDeferredVideo``) polls PENDING -> DONE / FAILED / EXPIRED, then the
  temporary ``video.url`` is downloaded.

An output with ``respect_moderation = false`` is a ``content_refused`` error (xAI bills it
anyway; the cost is in the error's details). ``usage.cost_in_usd_ticks`` is recorded as the
upstream cost. The models are told apart by the upstream id: one containing ``video`` is a video
model. gRPC statuses map as HTTP ones would (RESOURCE_EXHAUSTED = 429, UNAVAILABLE = 503...);
gRPC's own retries are off.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from studio402.clock import Clock, SystemClock
from studio402.errors import ProviderError
from studio402.providers._transport import missing_extra
from studio402.providers._upstream import (
    PollPolicy,
    decode_handle,
    encode_handle,
    error_for_status,
    refusal,
    retrying,
    seconds_left,
    upstream_cost,
)
from studio402.providers.base import (
    GenerationRequest,
    PollResult,
    Submission,
    UnsupportedRequestError,
    UpstreamStatus,
)
from studio402.providers.media import download, image_output, video_outputs
from studio402.providers.references import ReferenceReader, by_field, load_references

try:
    import grpc  # type: ignore[import-untyped]
    import xai_sdk  # type: ignore[import-untyped]
    from xai_sdk.proto import deferred_pb2  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_extra("xai-sdk", "xai") from exc

__all__ = ["XAIProvider"]

VENDOR = "xAI"
DEFAULT_HOST = "api.x.ai"
TICKS_PER_USD = Decimal(10**10)
"""xAI bills in ticks: 10**10 ticks are one US dollar."""
_HTTP_FOR_GRPC = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "DEADLINE_EXCEEDED": 408,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "UNKNOWN": 502,
    "ABORTED": 503,
}
_REFUSAL_HINTS = ("moderation", "content policy", "safety", "prohibited")


class XAIProvider:
    """Grok Imagine images and videos over xAI's gRPC API."""

    name = "xai"

    def __init__(
        self,
        *,
        api_key: str,
        api_host: str | None = None,
        insecure: bool = False,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 300.0,
        references: ReferenceReader | None = None,
        policy: PollPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Configure the adapter; the gRPC channel opens on first use.

        ``api_host`` is ``host:port`` (default ``api.x.ai``); ``insecure`` uses a plaintext
        channel (a local fake). ``http`` downloads outputs (shared, not closed here).
        """
        self._api_key = api_key
        self._api_host = api_host or DEFAULT_HOST
        self._insecure = insecure
        self._own_http = http is None
        self._http = http or httpx.AsyncClient()
        self._timeout_s = timeout_s
        self._references = references
        self._policy = policy or PollPolicy(poll_min_s=2.0, poll_max_s=10.0)
        self._clock = clock or SystemClock()
        self._client: xai_sdk.AsyncClient | None = None

    def _sdk(self) -> xai_sdk.AsyncClient:
        if self._client is None:
            self._client = xai_sdk.AsyncClient(
                api_key=self._api_key,
                api_host=self._api_host,
                use_insecure_channel=self._insecure,
                timeout=self._timeout_s,
                channel_options=[("grpc.enable_retries", 0)],
            )
        return self._client

    async def submit(self, request: GenerationRequest) -> Submission:
        """Generate an image (finished here) or start a video (returns a handle).

        Raises:
            ProviderRejectedError: a moderated output or refused parameters.
            ProviderError: account problems or transient failures.
        """
        prompt = request.input.get("prompt")
        if not isinstance(prompt, str):
            raise UnsupportedRequestError("Grok needs a string 'prompt'")
        references = await load_references(request, self._references)
        uris = [ref.data_uri for ref in references]
        if "video" in request.upstream_model:
            first = by_field(references, "image", 0)
            kwargs: dict[str, Any] = {
                "image_url": first[0].data_uri if first else None,
                "duration": _int(request.input.get("duration")),
                "aspect_ratio": request.input.get("aspect_ratio"),
                "resolution": request.input.get("resolution"),
            }

            async def start() -> Any:
                with _translated():
                    return await self._sdk().video.start(
                        prompt,
                        request.upstream_model,
                        **{k: v for k, v in kwargs.items() if v is not None},
                    )

            started = await retrying(
                start, policy=self._policy, deadline=request.deadline, clock=self._clock
            )
            handle = encode_handle(
                request_id=started.request_id,
                deadline=request.deadline.timestamp(),
                submitted=self._clock.now().timestamp(),
            )
            return Submission(handle=handle, poll_after_s=self._policy.poll_min_s)
        image_kwargs: dict[str, Any] = {"image_format": "url"}
        if request.input.get("aspect_ratio"):
            image_kwargs["aspect_ratio"] = request.input["aspect_ratio"]
        if len(uris) == 1:
            image_kwargs["image_url"] = uris[0]
        elif uris:
            image_kwargs["image_urls"] = uris

        async def sample() -> Any:
            with _translated():
                return await self._sdk().image.sample(
                    prompt, request.upstream_model, **image_kwargs
                )

        image = await retrying(
            sample, policy=self._policy, deadline=request.deadline, clock=self._clock
        )
        cost = _cost(image.usage)
        if not image.respect_moderation:
            raise refusal(VENDOR, "the image was moderated (respect_moderation=false)")
        data = await download(self._http, _image_url(image), vendor=VENDOR)
        return Submission(outputs=(image_output(data, vendor=VENDOR, metadata=cost),))

    async def poll(self, handle: str) -> PollResult:
        """Ask for the deferred video once; a DONE one is downloaded and returned.

        Raises:
            ProviderError: xAI could not be asked (after bounded retries) or the output could not
                be downloaded (expired URLs are retryable: the next attempt generates again).
        """
        info = decode_handle(VENDOR, handle, "request_id", "deadline")
        deadline = datetime.fromtimestamp(float(info["deadline"]), UTC)

        async def get() -> Any:
            with _translated():
                return await self._sdk().video.get(info["request_id"])

        answer = await retrying(get, policy=self._policy, deadline=deadline, clock=self._clock)
        status = answer.status
        response = answer.response
        if status == deferred_pb2.DeferredStatus.PENDING:
            elapsed = self._clock.now().timestamp() - float(info.get("submitted") or 0)
            wait = self._policy.poll_after(elapsed, seconds_left(deadline, self._clock))
            return PollResult(
                UpstreamStatus.RUNNING, progress=response.progress or None, poll_after_s=wait
            )
        if status == deferred_pb2.DeferredStatus.DONE:
            cost = _cost(response.usage)
            if not response.video.respect_moderation:
                error = refusal(VENDOR, "the video was moderated (respect_moderation=false)")
                return PollResult(UpstreamStatus.FAILED, error=error)
            data = await download(self._http, response.video.url, vendor=VENDOR, timeout_s=300.0)
            return PollResult(
                UpstreamStatus.COMPLETE, outputs=video_outputs(data, vendor=VENDOR, metadata=cost)
            )
        reason = response.error.message or deferred_pb2.DeferredStatus.Name(status)
        if any(hint in reason.lower() for hint in _REFUSAL_HINTS):
            return PollResult(UpstreamStatus.FAILED, error=refusal(VENDOR, reason))
        return PollResult(
            UpstreamStatus.FAILED, error=ProviderError(f"{VENDOR} video request failed: {reason}")
        )

    async def cancel(self, handle: str) -> None:
        """xAI's deferred requests cannot be cancelled; nothing is sent."""

    async def aclose(self) -> None:
        """Close the gRPC channel and, if this adapter opened it, the HTTP client."""
        if self._client is not None:
            with contextlib.suppress(grpc.RpcError, RuntimeError):
                await self._client.close()
            self._client = None
        if self._own_http:
            await self._http.aclose()


def _image_url(image: Any) -> str | None:
    try:
        return str(image.url)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _cost(usage: Any) -> dict[str, Any]:
    if not usage.HasField("cost_in_usd_ticks"):
        return upstream_cost("usage.cost_in_usd_ticks")
    ticks = int(usage.cost_in_usd_ticks)
    return upstream_cost("usage.cost_in_usd_ticks", usd=Decimal(ticks) / TICKS_PER_USD, ticks=ticks)


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        status = exc.code().name
        message = exc.details() or status
        if status == "INVALID_ARGUMENT" and any(h in message.lower() for h in _REFUSAL_HINTS):
            raise refusal(VENDOR, message) from exc
        raise error_for_status(
            VENDOR, _HTTP_FOR_GRPC.get(status, 502), f"{status}: {message}"
        ) from exc
    except ValueError as exc:
        raise UnsupportedRequestError(f"{VENDOR} cannot take this request: {exc}") from exc
