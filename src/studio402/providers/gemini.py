"""Google Gemini image models (Nano Banana Pro ``gemini-3-pro-image``, Nano Banana
``gemini-3.1-flash-image``) through the official ``google-genai`` SDK.

Synchronous: ``submit`` calls ``models.generate_content`` and returns the image. Mapping:

* ``prompt`` -> the first text part; reference images (edit) follow as ``inlineData`` parts.
* ``aspectRatio`` -> ``imageConfig.aspectRatio``; ``imageSize`` -> ``imageConfig.imageSize``;
  ``thinkingLevel`` (Nano Banana) -> ``thinkingConfig.thinkingLevel`` (upper-cased).
* The deliverable is the last non-thought image part. A 200 answer without one is a refusal:
  ``promptFeedback.blockReason`` or the candidate's ``finishReason`` (``IMAGE_SAFETY``, ...) and
  any text the model wrote become the reason of a ``content_refused`` error.
* ``usageMetadata`` token counts are recorded as the upstream cost (Google states no USD).
"""

from __future__ import annotations

import contextlib
from typing import Any

from studio402.clock import Clock, SystemClock
from studio402.errors import ProviderError
from studio402.providers._transport import TRANSPORT_ERRORS, missing_extra, translate_transport
from studio402.providers._upstream import (
    PollPolicy,
    error_for_status,
    refusal,
    retrying,
    seconds_left,
    upstream_cost,
)
from studio402.providers.base import (
    GenerationRequest,
    Output,
    PollResult,
    Submission,
    UnsupportedRequestError,
)
from studio402.providers.media import image_output
from studio402.providers.references import ReferenceReader, load_references

try:
    from google import genai
    from google.genai import errors as genai_errors
    from google.genai import types
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_extra("google-genai", "gemini") from exc

__all__ = ["GeminiProvider", "parse_image_response"]

VENDOR = "Gemini"


class GeminiProvider:
    """Nano Banana (Pro) image generation and editing on the Gemini Developer API."""

    name = "gemini"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout_s: float = 360.0,
        references: ReferenceReader | None = None,
        policy: PollPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Configure the adapter; the SDK client is created on first use.

        ``base_url`` replaces Google's endpoint (tests point it at a fake); ``timeout_s`` caps
        one call (also capped by the job's deadline); ``references`` reads stored reference
        images by key.
        """
        self._api_key = api_key
        self._base_url = base_url or None
        self._api_version = api_version or None
        self._timeout_s = timeout_s
        self._references = references
        self._policy = policy or PollPolicy()
        self._clock = clock or SystemClock()
        self._client: genai.Client | None = None

    def _sdk(self) -> genai.Client:
        if self._client is None:
            options = types.HttpOptions(
                base_url=self._base_url,
                api_version=self._api_version,
                # One attempt: retries are ours (and this also stops the SDK's hidden
                # 1-10 s sleeps after a refused aiohttp connection).
                retry_options=types.HttpRetryOptions(attempts=1),
            )
            self._client = genai.Client(api_key=self._api_key, http_options=options)
        return self._client

    async def submit(self, request: GenerationRequest) -> Submission:
        """Generate (or edit) the image and return it.

        Raises:
            ProviderRejectedError: a content refusal (``content_refused``) or refused parameters.
            ProviderError: rate limits, 5xx, timeouts (retryable) or account problems.
        """
        prompt = request.input.get("prompt")
        if not isinstance(prompt, str):
            raise UnsupportedRequestError("Gemini needs a string 'prompt'")
        references = await load_references(request, self._references)
        parts = [types.Part.from_text(text=prompt)]
        parts += [types.Part.from_bytes(data=r.data, mime_type=r.content_type) for r in references]
        config = self._config(request)

        async def call() -> types.GenerateContentResponse:
            timeout_s = min(self._timeout_s, seconds_left(request.deadline, self._clock))
            config.http_options = types.HttpOptions(timeout=max(1, int(timeout_s * 1000)))
            try:
                return await self._sdk().aio.models.generate_content(
                    model=request.upstream_model,
                    contents=[types.Content(role="user", parts=parts)],
                    config=config,
                )
            except genai_errors.APIError as exc:
                raise error_for_status(VENDOR, exc.code, exc.message or str(exc)) from exc
            except TRANSPORT_ERRORS as exc:
                raise translate_transport(VENDOR, exc) from exc

        response = await retrying(
            call, policy=self._policy, deadline=request.deadline, clock=self._clock
        )
        return Submission(outputs=(parse_image_response(response),))

    def _config(self, request: GenerationRequest) -> types.GenerateContentConfig:
        data = request.input
        image_config = types.ImageConfig(
            aspect_ratio=_opt_str(data.get("aspectRatio")),
            image_size=_opt_str(data.get("imageSize")),
        )
        thinking = None
        if data.get("thinkingLevel"):
            level = types.ThinkingLevel(str(data["thinkingLevel"]).upper())
            thinking = types.ThinkingConfig(thinking_level=level)
        return types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=image_config,
            thinking_config=thinking,
        )

    async def poll(self, handle: str) -> PollResult:
        """Never needed: Gemini image generation finishes in ``submit``.

        Raises:
            UnsupportedRequestError: always.
        """
        raise UnsupportedRequestError(f"Gemini has no pending generation {handle!r}")

    async def cancel(self, handle: str) -> None:
        """Nothing to cancel: generation finishes in ``submit``."""

    async def aclose(self) -> None:
        """Close the SDK's HTTP sessions."""
        if self._client is not None:
            with contextlib.suppress(*TRANSPORT_ERRORS):
                await self._client.aio.aclose()
            self._client = None


def parse_image_response(response: types.GenerateContentResponse) -> Output:
    """The image of a ``generateContent`` answer, or the refusal it stands for.

    Raises:
        ProviderRejectedError: blocked prompt, safety finish reason, or no image part.
        ProviderError: an image part whose bytes cannot be read.
    """
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        reason = _enum_name(feedback.block_reason)
        raise refusal(VENDOR, f"{reason}: {feedback.block_reason_message or 'prompt blocked'}")
    candidate = response.candidates[0] if response.candidates else None
    parts = candidate.content.parts if candidate and candidate.content else None
    images = [
        part.inline_data
        for part in parts or []
        if part.inline_data is not None and part.inline_data.data and not part.thought
    ]
    if not images:
        texts = " ".join(part.text for part in parts or [] if part.text and not part.thought)
        finish = _enum_name(candidate.finish_reason) if candidate else "NO_CANDIDATE"
        message = (candidate.finish_message if candidate else None) or texts or "no image"
        raise refusal(VENDOR, f"{finish}: {message}")
    data = images[-1].data
    if data is None:  # pragma: no cover - filtered above
        raise ProviderError("Gemini returned an empty image part")
    return image_output(data, vendor=VENDOR, metadata=_cost(response))


def _cost(response: types.GenerateContentResponse) -> dict[str, Any]:
    usage = response.usage_metadata
    if usage is None:
        return upstream_cost("usageMetadata")
    return upstream_cost(
        "usageMetadata",
        promptTokenCount=usage.prompt_token_count,
        candidatesTokenCount=usage.candidates_token_count,
        totalTokenCount=usage.total_token_count,
    )


def _enum_name(value: Any) -> str:
    return str(getattr(value, "value", value))


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
