"""Veo 3.1 and Veo 3.1 Fast on Vertex AI (``veo-3.1-generate-001``,
``veo-3.1-fast-generate-001``) through ``google-genai`` in Vertex mode: a long-running operation.

Veo left the Gemini Developer API (research/providers.md §0), so this adapter always uses Vertex:
express mode with an API key, or a project + location with a service-account file (or ADC).

* submit: ``models.generate_videos`` -> ``POST .../models/{model}:predictLongRunning``; the
  operation name is the handle.
* poll: ``operations.get`` -> ``POST .../models/{model}:fetchPredictOperation``; a done operation
  carries the video inline (``bytesBase64Encoded``; no ``storageUri`` is set).

Mapping: ``prompt``; ``durationSeconds`` -> ``durationSeconds`` (int); ``aspectRatio``,
``resolution``, ``negativePrompt``; ``imageMode`` ``first-frame`` (reference 1 -> ``image``),
``interpolation`` (references 1 and 2 -> ``image`` and ``lastFrame``), ``reference`` (up to three
-> ``referenceImages`` of type ``asset``). Refusals: a 400 naming the usage guidelines, an
operation error with code 3, or a done operation whose videos were all filtered
(``raiMediaFilteredCount``, with ``raiMediaFilteredReasons`` as the reason). Google reports no
cost in the operation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio402.clock import Clock, SystemClock
from studio402.errors import ProviderError, ProviderTimeoutError, ProviderUnavailableError
from studio402.providers._transport import TRANSPORT_ERRORS, missing_extra, translate_transport
from studio402.providers._upstream import (
    PollPolicy,
    decode_handle,
    encode_handle,
    error_for_status,
    refusal,
    retrying,
    seconds_left,
)
from studio402.providers.base import (
    GenerationRequest,
    PollResult,
    Submission,
    UnsupportedRequestError,
    UpstreamStatus,
)
from studio402.providers.errors import UpstreamOutputExpiredError, UpstreamRateLimitedError
from studio402.providers.media import video_outputs
from studio402.providers.references import Reference, ReferenceReader, by_field, load_references

try:
    from google import genai
    from google.genai import errors as genai_errors
    from google.genai import types
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_extra("google-genai", "vertex") from exc

__all__ = ["VertexProvider"]

VENDOR = "Vertex AI"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
_REFUSAL_HINTS = ("usage guidelines", "responsible ai", "safety", "sensitive", "prohibited")


class VertexProvider:
    """Veo video generation on Vertex AI (long-running operations)."""

    name = "vertex"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        project: str | None = None,
        location: str = "us-central1",
        credentials_file: Path | None = None,
        base_url: str | None = None,
        timeout_s: float = 120.0,
        references: ReferenceReader | None = None,
        policy: PollPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Configure express mode (``api_key``) or project mode (``project``, ``location``, and
        ``credentials_file`` or ADC). The SDK client is created on first use.

        Raises:
            ValueError: neither an API key nor a project.
        """
        if not api_key and not project:
            raise ValueError("Vertex needs an api_key (express mode) or a project")
        self._api_key = api_key or None
        self._project = project or None
        self._location = location
        self._credentials_file = credentials_file
        self._base_url = base_url or None
        self._timeout_s = timeout_s
        self._references = references
        self._policy = policy or PollPolicy(poll_min_s=5.0, poll_max_s=15.0)
        self._clock = clock or SystemClock()
        self._client: genai.Client | None = None

    def _sdk(self) -> genai.Client:
        if self._client is None:
            options = types.HttpOptions(
                base_url=self._base_url,
                timeout=int(self._timeout_s * 1000),
                retry_options=types.HttpRetryOptions(attempts=1),
            )
            if self._api_key:
                self._client = genai.Client(
                    vertexai=True, api_key=self._api_key, http_options=options
                )
            else:
                self._client = genai.Client(
                    vertexai=True,
                    project=self._project,
                    location=self._location,
                    credentials=self._credentials(),
                    http_options=options,
                )
        return self._client

    def _credentials(self) -> Any:
        if self._credentials_file is None:
            return None
        from google.oauth2 import service_account

        return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            str(self._credentials_file), scopes=list(SCOPES)
        )

    async def submit(self, request: GenerationRequest) -> Submission:
        """Start the Veo operation and return its name as the handle.

        Raises:
            ProviderRejectedError: a prompt refused by the usage guidelines, or bad parameters.
            ProviderError: account problems or transient failures.
        """
        prompt = request.input.get("prompt")
        if not isinstance(prompt, str):
            raise UnsupportedRequestError("Veo needs a string 'prompt'")
        references = await load_references(request, self._references)
        source, config = _source_and_config(request.input, prompt, references)

        async def call() -> types.GenerateVideosOperation:
            with _translated():
                return await self._sdk().aio.models.generate_videos(
                    model=request.upstream_model, source=source, config=config
                )

        operation = await retrying(
            call, policy=self._policy, deadline=request.deadline, clock=self._clock
        )
        if not operation.name:
            raise ProviderError(f"{VENDOR} started no operation")
        handle = encode_handle(
            name=operation.name,
            deadline=request.deadline.timestamp(),
            submitted=self._clock.now().timestamp(),
        )
        return Submission(handle=handle, poll_after_s=self._policy.poll_min_s)

    async def poll(self, handle: str) -> PollResult:
        """Fetch the operation once; a done one yields its video (and a thumbnail).

        Raises:
            ProviderError: Vertex could not be asked (after bounded retries).
        """
        info = decode_handle(VENDOR, handle, "name", "deadline")
        deadline = datetime.fromtimestamp(float(info["deadline"]), UTC)

        async def call() -> types.GenerateVideosOperation:
            with _translated():
                return await self._sdk().aio.operations.get(
                    types.GenerateVideosOperation.model_validate({"name": info["name"]})
                )

        operation = await retrying(call, policy=self._policy, deadline=deadline, clock=self._clock)
        if not operation.done:
            elapsed = self._clock.now().timestamp() - float(info.get("submitted") or 0)
            wait = self._policy.poll_after(elapsed, seconds_left(deadline, self._clock))
            return PollResult(UpstreamStatus.RUNNING, poll_after_s=wait)
        if operation.error:
            return PollResult(UpstreamStatus.FAILED, error=_operation_error(operation.error))
        return _finished(operation.response or operation.result)

    async def cancel(self, handle: str) -> None:
        """Veo operations cannot be cancelled through this API; nothing is sent."""

    async def aclose(self) -> None:
        """Close the SDK's HTTP sessions."""
        if self._client is not None:
            with contextlib.suppress(*TRANSPORT_ERRORS):
                await self._client.aio.aclose()
            self._client = None


def _source_and_config(
    data: dict[str, Any], prompt: str, references: list[Reference]
) -> tuple[types.GenerateVideosSource, types.GenerateVideosConfig]:
    mode = str(data.get("imageMode") or _infer_mode(references))
    image = last_frame = None
    reference_images = None
    if mode in ("first-frame", "interpolation"):
        first = by_field(references, "image", 0)
        if not first:
            raise UnsupportedRequestError(f"imageMode {mode!r} needs an image")
        image = _image(first[0])
    if mode == "interpolation":
        last = by_field(references, "lastFrame", 1)
        if not last:
            raise UnsupportedRequestError("imageMode 'interpolation' needs a lastFrame")
        last_frame = _image(last[0])
    if mode == "reference":
        chosen = by_field(references, "referenceImages")
        if not 1 <= len(chosen) <= 3:
            raise UnsupportedRequestError("imageMode 'reference' takes 1 to 3 referenceImages")
        reference_images = [
            types.VideoGenerationReferenceImage(
                image=_image(ref), reference_type=types.VideoGenerationReferenceType.ASSET
            )
            for ref in chosen
        ]
    duration = data.get("durationSeconds")
    config = types.GenerateVideosConfig(
        number_of_videos=1,
        duration_seconds=int(duration) if duration is not None else None,
        aspect_ratio=data.get("aspectRatio"),
        resolution=data.get("resolution"),
        negative_prompt=data.get("negativePrompt"),
        last_frame=last_frame,
        reference_images=reference_images,
    )
    return types.GenerateVideosSource(prompt=prompt, image=image), config


def _infer_mode(references: list[Reference]) -> str:
    if not references:
        return "none"
    if any(ref.field == "referenceImages" for ref in references):
        return "reference"
    return "interpolation" if len(references) >= 2 else "first-frame"


def _image(ref: Reference) -> types.Image:
    return types.Image(image_bytes=ref.data, mime_type=ref.content_type)


def _finished(response: types.GenerateVideosResponse | None) -> PollResult:
    videos = (response.generated_videos if response else None) or []
    if response is not None and not videos and response.rai_media_filtered_count:
        reasons = "; ".join(response.rai_media_filtered_reasons or []) or "filtered"
        return PollResult(UpstreamStatus.FAILED, error=refusal(VENDOR, reasons))
    video = videos[0].video if videos else None
    if video is None or not video.video_bytes:
        if video is not None and video.uri:
            message = f"{VENDOR} stored the video at {video.uri}; run without a storageUri"
            return PollResult(UpstreamStatus.FAILED, error=ProviderError(message))
        message = f"{VENDOR} finished without a video"
        return PollResult(UpstreamStatus.FAILED, error=UpstreamOutputExpiredError(message))
    return PollResult(
        UpstreamStatus.COMPLETE, outputs=video_outputs(video.video_bytes, vendor=VENDOR)
    )


def _operation_error(error: dict[str, Any]) -> ProviderError:
    code, message = error.get("code"), str(error.get("message") or error)
    if code == 3 and any(hint in message.lower() for hint in _REFUSAL_HINTS):
        return refusal(VENDOR, message)
    if code == 8:
        return UpstreamRateLimitedError(f"{VENDOR} operation failed: {message}")
    if code == 4:
        return ProviderTimeoutError(f"{VENDOR} operation failed: {message}")
    if code in (13, 14):
        return ProviderUnavailableError(f"{VENDOR} operation failed: {message}")
    return ProviderError(f"{VENDOR} operation failed ({code}): {message}")


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except genai_errors.APIError as exc:
        message = exc.message or str(exc)
        if exc.code == 400 and any(hint in message.lower() for hint in _REFUSAL_HINTS):
            raise refusal(VENDOR, message) from exc
        raise error_for_status(VENDOR, exc.code, message) from exc
    except TRANSPORT_ERRORS as exc:
        raise translate_transport(VENDOR, exc) from exc
