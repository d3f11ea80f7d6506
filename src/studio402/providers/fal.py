"""fal.ai's queue API for Seedance and Wan 2.6 video, with httpx.

``fal-client`` builds its URLs from module constants fixed at import (always ``https://``), so a
per-adapter base URL would mean patching module globals; the queue protocol is four small REST
calls, so this adapter speaks it directly (``Authorization: Key ...``):

* submit ``POST {base}/{endpoint}`` with the model input as the body -> ``request_id``,
  ``status_url``, ``response_url``, ``cancel_url``;
* poll ``GET status_url`` (``IN_QUEUE`` / ``IN_PROGRESS`` / ``COMPLETED``), then
  ``GET response_url`` for the output JSON, and download ``video.url``;
* cancel ``PUT cancel_url``.

The endpoint is the catalog's upstream id plus ``/text-to-video`` (``t2v``) or
``/image-to-video`` (``i2v``), e.g. ``bytedance/seedance-2.0/fast/text-to-video``,
``wan/v2.6/image-to-video``. Field mapping is in :mod:`studio402.providers._fal_inputs`. A
``content_policy_violation`` (in a 422 detail or the ``x-fal-error-type`` header) is
``content_refused``. fal reports no cost in its API; ``metrics.inference_time`` is recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from studio402.errors import ProviderError, ProviderRejectedError
from studio402.providers._fal_inputs import check_input, endpoint_for, fal_input
from studio402.providers._rest import RestUpstream, call_json, error_message
from studio402.providers._upstream import (
    PollPolicy,
    decode_handle,
    encode_handle,
    refusal,
    retrying,
    seconds_left,
    upstream_cost,
)
from studio402.providers.base import GenerationRequest, PollResult, Submission, UpstreamStatus
from studio402.providers.media import download, video_outputs
from studio402.providers.references import load_references

__all__ = ["FalProvider"]

VENDOR = "fal"
DEFAULT_BASE_URL = "https://queue.fal.run"
_RUNNING = frozenset({"IN_QUEUE", "IN_PROGRESS"})


def _refusal_in(status: int, body: Any) -> ProviderRejectedError | None:
    details = body.get("detail") if isinstance(body, dict) else None
    items = details if isinstance(details, list) else [body] if isinstance(body, dict) else []
    for item in items:
        if isinstance(item, dict) and "content_policy" in str(item.get("type", "")):
            return refusal(VENDOR, str(item.get("msg") or item.get("message") or item["type"]))
    return None


class FalProvider(RestUpstream):
    """Seedance and Wan video through fal's queue."""

    name = "fal"

    default_base_url = DEFAULT_BASE_URL
    default_policy = PollPolicy(poll_min_s=2.0, poll_max_s=10.0)

    @property
    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Key {self._api_key}", "accept": "application/json"}

    def check(self, operation: str, upstream_model: str, values: dict[str, Any]) -> None:
        """Refuse options fal cannot run, before the request is paid for."""
        check_input(upstream_model, operation, values)

    async def submit(self, request: GenerationRequest) -> Submission:
        """Queue the generation and return a handle to poll.

        Raises:
            UnsupportedRequestError: fields fal's endpoint cannot take.
            ProviderError: refused parameters, account problems, or transient failures.
        """
        references = await load_references(request, self._references)
        endpoint = endpoint_for(request.upstream_model, request.operation)
        body = fal_input(request, references)
        answer = await self._call("POST", f"{self._base_url}/{endpoint}", request.deadline, body)
        request_id = answer.get("request_id") if isinstance(answer, dict) else None
        if not request_id:
            raise ProviderError(f"{VENDOR} answered without a request_id: {answer!r}")
        app = "/".join(endpoint.split("/")[:2])
        base = f"{self._base_url}/{app}/requests/{request_id}"
        handle = encode_handle(
            status_url=answer.get("status_url") or f"{base}/status",
            response_url=answer.get("response_url") or base,
            cancel_url=answer.get("cancel_url") or f"{base}/cancel",
            deadline=request.deadline.timestamp(),
            submitted=self._clock.now().timestamp(),
        )
        return Submission(handle=handle, poll_after_s=self._policy.poll_min_s)

    async def poll(self, handle: str) -> PollResult:
        """Read the queue status once; a completed request's video is fetched and returned.

        Raises:
            ProviderError: fal could not be asked (after bounded retries) or the output could not
                be downloaded (expired URLs are retryable: the next attempt generates again).
        """
        info = decode_handle(VENDOR, handle, "status_url", "response_url", "deadline")
        deadline = datetime.fromtimestamp(float(info["deadline"]), UTC)
        status = await self._call("GET", info["status_url"], deadline)
        state = str(status.get("status", "")) if isinstance(status, dict) else ""
        if state in _RUNNING:
            elapsed = self._clock.now().timestamp() - float(info.get("submitted") or 0)
            wait = self._policy.poll_after(elapsed, seconds_left(deadline, self._clock))
            return PollResult(UpstreamStatus.RUNNING, poll_after_s=wait)
        if state != "COMPLETED":
            return PollResult(
                UpstreamStatus.FAILED,
                error=ProviderError(f"{VENDOR} reported status {state or 'missing'!r}"),
            )
        if status.get("error"):
            error = _refusal_in(
                422, {"detail": [{"type": status.get("error_type", ""), "msg": status["error"]}]}
            )
            message = f"{VENDOR} failed: {status['error']}"
            return PollResult(UpstreamStatus.FAILED, error=error or ProviderError(message))
        try:
            result = await self._call("GET", info["response_url"], deadline)
        except ProviderRejectedError as exc:
            return PollResult(UpstreamStatus.FAILED, error=exc)
        video = (result.get("video") or {}) if isinstance(result, dict) else {}
        data = await download(self._http, video.get("url"), vendor=VENDOR, timeout_s=300.0)
        metrics = status.get("metrics") or {}
        cost = upstream_cost("metrics", inference_time=metrics.get("inference_time"))
        return PollResult(
            UpstreamStatus.COMPLETE, outputs=video_outputs(data, vendor=VENDOR, metadata=cost)
        )

    async def cancel(self, handle: str) -> None:
        """Ask fal to cancel a queued request (best effort).

        Raises:
            ProviderError: fal could not be reached.
        """
        info = decode_handle(VENDOR, handle, "cancel_url")
        try:
            response = await self._http.put(
                info["cancel_url"], headers=self._headers, timeout=self._timeout_s
            )
        except httpx.HTTPError as exc:
            raise ProviderError(f"{VENDOR} cancel failed: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ProviderError(f"{VENDOR} cancel answered {response.status_code}")

    async def _call(self, method: str, url: str, deadline: datetime, body: Any = None) -> Any:
        async def call() -> Any:
            timeout_s = min(self._timeout_s, seconds_left(deadline, self._clock))
            return await call_json(
                self._http,
                method,
                url,
                vendor=VENDOR,
                headers=self._headers,
                json=body,
                timeout_s=timeout_s,
                refusal=_refusal_in,
            )

        answer = await retrying(call, policy=self._policy, deadline=deadline, clock=self._clock)
        if not isinstance(answer, dict):
            raise ProviderError(f"{VENDOR} answered {error_message(answer, 'non-JSON')}")
        return answer
