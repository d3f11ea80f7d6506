"""Black Forest Labs FLUX.2 (``flux-2-pro``, ``flux-2-max``): plain REST with httpx (BFL ships no
official Python SDK).

``submit`` posts ``POST {base}/v1/{upstream_model}`` with header ``x-key``; BFL answers an ``id``
and a region-specific ``polling_url``, which ``poll`` reads verbatim (``GET``, ``x-key``) until
``Ready``, then downloads ``result.sample`` (a signed URL that expires after ~10 minutes).

Mapping: ``aspect_ratio`` x ``resolution`` ("0.5 MP", "1 MP", "2 MP", "4 MP"; 1 MP = 1024x1024)
become ``width``/``height`` (multiples of 16, at most that many pixels); ``output_format``,
``safety_tolerance``, ``prompt_upsampling`` and ``seed`` pass through; edit references become
``input_image``, ``input_image_2`` ... ``input_image_10`` (base64). ``Request Moderated`` /
``Content Moderated`` are ``content_refused`` with BFL's moderation reasons; ``cost`` (credits,
1 credit = $0.01) is recorded as the upstream cost. BFL has no cancel endpoint.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from studio402.errors import ProviderError
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
from studio402.providers.base import (
    GenerationRequest,
    PollResult,
    Submission,
    UnsupportedRequestError,
    UpstreamStatus,
)
from studio402.providers.media import download, image_output
from studio402.providers.references import load_references
from studio402.providers.video_dimensions import parse_ratio

__all__ = ["BFLProvider", "flux_dimensions"]

VENDOR = "BFL"
DEFAULT_BASE_URL = "https://api.bfl.ai"
USD_PER_CREDIT = "0.01"
MAX_REFERENCES = 10
_PASSED = ("output_format", "safety_tolerance", "prompt_upsampling", "seed")
_MODERATED = frozenset({"Request Moderated", "Content Moderated"})
_PENDING = frozenset({"Pending", "Queued", "Processing"})


def flux_dimensions(aspect_ratio: str = "1:1", resolution: str = "1 MP") -> tuple[int, int]:
    """``(width, height)``: multiples of 16 with the ratio, within ``resolution`` megapixels.

    ``"1 MP"`` is 1024x1024 = 1,048,576 pixels; 16:9 at 1 MP is 1360x768.

    Raises:
        ValueError: a malformed ratio or resolution.
    """
    ratio = parse_ratio(aspect_ratio)
    try:
        megapixels = float(resolution.upper().removesuffix("MP").strip())
    except ValueError as exc:
        raise ValueError(f"not a resolution in MP: {resolution!r}") from exc
    if not 0 < megapixels <= 4:
        raise ValueError(f"resolution must be within (0, 4] MP, got {resolution!r}")
    pixels = megapixels * 1024 * 1024
    width = max(64, round(math.sqrt(pixels * ratio) / 16) * 16)
    height = max(64, round(width / ratio / 16) * 16)
    while width * height > pixels:
        if height > width:
            height -= 16
        else:
            width -= 16
    return width, height


class BFLProvider(RestUpstream):
    """FLUX.2 generation and editing through BFL's asynchronous REST API."""

    name = "bfl"

    default_base_url = DEFAULT_BASE_URL
    default_policy = PollPolicy(poll_min_s=0.5, poll_max_s=5.0)

    @property
    def _headers(self) -> dict[str, str]:
        return {"x-key": self._api_key, "accept": "application/json"}

    async def submit(self, request: GenerationRequest) -> Submission:
        """Start the generation and return a handle to poll.

        Raises:
            UnsupportedRequestError: no prompt, bad size fields or too many references.
            ProviderError: refused parameters, account problems, or transient failures.
        """
        body = await self._body(request)
        url = f"{self._base_url}/v1/{request.upstream_model}"

        async def call() -> Any:
            return await call_json(
                self._http,
                "POST",
                url,
                vendor=VENDOR,
                headers=self._headers,
                json=body,
                timeout_s=self._call_timeout(request.deadline.timestamp()),
            )

        answer = await retrying(
            call, policy=self._policy, deadline=request.deadline, clock=self._clock
        )
        if not isinstance(answer, dict) or not answer.get("id") or not answer.get("polling_url"):
            raise ProviderError(f"{VENDOR} answered without an id and polling_url: {answer!r}")
        handle = encode_handle(
            id=answer["id"],
            polling_url=answer["polling_url"],
            deadline=request.deadline.timestamp(),
            submitted=self._clock.now().timestamp(),
            cost=answer.get("cost"),
            input_mp=answer.get("input_mp"),
            output_mp=answer.get("output_mp"),
        )
        return Submission(handle=handle, poll_after_s=self._policy.poll_min_s)

    async def _body(self, request: GenerationRequest) -> dict[str, Any]:
        data = request.input
        prompt = data.get("prompt")
        if not isinstance(prompt, str):
            raise UnsupportedRequestError("FLUX needs a string 'prompt'")
        body: dict[str, Any] = {"prompt": prompt}
        if data.get("aspect_ratio") or data.get("resolution"):
            try:
                width, height = flux_dimensions(
                    str(data.get("aspect_ratio") or "1:1"), str(data.get("resolution") or "1 MP")
                )
            except ValueError as exc:
                raise UnsupportedRequestError(str(exc)) from exc
            body.update(width=width, height=height)
        body.update({name: data[name] for name in _PASSED if data.get(name) is not None})
        references = await load_references(request, self._references)
        if len(references) > MAX_REFERENCES:
            raise UnsupportedRequestError(f"FLUX takes at most {MAX_REFERENCES} references")
        for index, ref in enumerate(references):
            body["input_image" if index == 0 else f"input_image_{index + 1}"] = ref.base64
        return body

    async def poll(self, handle: str) -> PollResult:
        """Read the task once; a ``Ready`` task's image is downloaded and returned.

        Raises:
            ProviderError: BFL could not be asked (after bounded retries) or the output could not
                be downloaded (expired URLs are retryable: the next attempt generates again).
        """
        info = decode_handle(VENDOR, handle, "id", "polling_url", "deadline")
        deadline = _from_ts(info["deadline"])

        async def call() -> Any:
            return await call_json(
                self._http,
                "GET",
                info["polling_url"],
                vendor=VENDOR,
                headers=self._headers,
                timeout_s=self._call_timeout(info["deadline"]),
            )

        answer = await retrying(call, policy=self._policy, deadline=deadline, clock=self._clock)
        status = str(answer.get("status", "")) if isinstance(answer, dict) else ""
        if status in _PENDING:
            elapsed = self._clock.now().timestamp() - float(info.get("submitted") or 0)
            wait = self._policy.poll_after(elapsed, seconds_left(deadline, self._clock))
            progress = answer.get("progress")
            return PollResult(
                UpstreamStatus.RUNNING,
                progress=round(progress * 100) if isinstance(progress, float) else None,
                poll_after_s=wait,
            )
        if status == "Ready":
            result = answer.get("result") or {}
            data = await download(
                self._http, result.get("sample"), vendor=VENDOR, timeout_s=self._timeout_s
            )
            return PollResult(
                UpstreamStatus.COMPLETE,
                outputs=(image_output(data, vendor=VENDOR, metadata=_cost(info)),),
            )
        if status in _MODERATED:
            reasons = (answer.get("details") or {}).get("Moderation Reasons") or []
            reason = f"{status}" + (f" ({', '.join(map(str, reasons))})" if reasons else "")
            return PollResult(UpstreamStatus.FAILED, error=refusal(VENDOR, reason))
        message = error_message(answer, status or "unknown status")
        return PollResult(
            UpstreamStatus.FAILED, error=ProviderError(f"{VENDOR} task {status}: {message}")
        )

    async def cancel(self, handle: str) -> None:
        """BFL has no cancel endpoint; the task runs out on its own."""

    def _call_timeout(self, deadline_ts: float) -> float:
        return min(self._timeout_s, deadline_ts - self._clock.now().timestamp())


def _cost(info: dict[str, Any]) -> dict[str, Any]:
    credits = info.get("cost")
    usd = None
    if isinstance(credits, int | float):
        usd = Decimal(str(credits)) * Decimal(USD_PER_CREDIT)
    return upstream_cost(
        "cost",
        usd=usd,
        credits=credits,
        input_mp=info.get("input_mp"),
        output_mp=info.get("output_mp"),
    )


def _from_ts(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)
