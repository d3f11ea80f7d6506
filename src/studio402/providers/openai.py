"""OpenAI GPT Image (``gpt-image-1.5``, ``gpt-image-2``) through the official ``openai`` SDK.

Synchronous: ``submit`` calls ``images.generate`` (JSON, ``POST /v1/images/generations``) or, for
``edit``, ``images.edit`` (multipart, ``POST /v1/images/edits``, the stored reference images as
``image[]`` files) and returns the image. StableStudio's fields keep their OpenAI names:
``size`` (``1024x1024``, ``1536x1024``, ``1024x1536``, ``auto``), ``quality``, ``background``,
``output_format``, ``moderation`` and, for 1.5 edits, ``input_fidelity``; ``n`` is always 1.

Output is base64 in the answer (no URL, nothing expires). A 400 whose ``code`` is
``moderation_blocked`` (or another content-policy code) is a ``content_refused`` error with
OpenAI's message. ``usage`` token counts are recorded as the upstream cost. The SDK's own
retries are off (``max_retries=0``): 429/5xx are retried here, inside the job's deadline.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from typing import Any

from studio402.clock import Clock, SystemClock
from studio402.errors import ProviderError
from studio402.providers._transport import TRANSPORT_ERRORS, missing_extra, translate_transport
from studio402.providers._upstream import (
    PollPolicy,
    error_for_status,
    parse_retry_after,
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
from studio402.providers.references import Reference, ReferenceReader, load_references

try:
    import openai
    from openai.types import ImagesResponse
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_extra("openai", "openai") from exc

__all__ = ["OpenAIProvider"]

VENDOR = "OpenAI"
REFUSAL_CODES = frozenset(
    {"moderation_blocked", "content_policy_violation", "image_content_policy_violation"}
)
_PASSED = ("size", "quality", "background", "output_format", "output_compression")
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class OpenAIProvider:
    """GPT Image generation and editing."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        organization: str | None = None,
        timeout_s: float = 300.0,
        references: ReferenceReader | None = None,
        policy: PollPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Configure the adapter; the SDK client is created on first use.

        ``base_url`` includes the version prefix (``http://127.0.0.1:PORT/v1`` for a fake);
        ``references`` reads stored reference images by key.
        """
        self._api_key = api_key
        self._base_url = base_url or None
        self._organization = organization or None
        self._timeout_s = timeout_s
        self._references = references
        self._policy = policy or PollPolicy()
        self._clock = clock or SystemClock()
        self._client: openai.AsyncOpenAI | None = None

    def _sdk(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key,
                base_url=self._base_url,
                organization=self._organization,
                max_retries=0,
                timeout=self._timeout_s,
            )
        return self._client

    async def submit(self, request: GenerationRequest) -> Submission:
        """Generate (or edit) the image and return it.

        Raises:
            ProviderRejectedError: a moderation refusal (``content_refused``) or refused
                parameters.
            ProviderError: rate limits, 5xx, timeouts (retryable) or account problems.
        """
        prompt = request.input.get("prompt")
        if not isinstance(prompt, str):
            raise UnsupportedRequestError("OpenAI needs a string 'prompt'")
        fields: dict[str, Any] = {
            name: request.input[name] for name in _PASSED if request.input.get(name) is not None
        }
        moderation = request.input.get("moderation")
        references = await load_references(request, self._references)
        if request.operation == "edit" or references:
            if not references:
                raise UnsupportedRequestError("an OpenAI edit needs at least one reference image")
            if request.input.get("input_fidelity") is not None:
                fields["input_fidelity"] = request.input["input_fidelity"]
            if moderation is not None:
                fields["extra_body"] = {"moderation": moderation}
            files = [_file(i, ref) for i, ref in enumerate(references)]
        else:
            files = []
            if moderation is not None:
                fields["moderation"] = moderation

        async def call() -> ImagesResponse:
            timeout_s = max(1.0, min(self._timeout_s, seconds_left(request.deadline, self._clock)))
            images = self._sdk().images
            try:
                result: ImagesResponse
                if files:
                    result = await images.edit(
                        model=request.upstream_model,
                        prompt=prompt,
                        image=files,
                        n=1,
                        timeout=timeout_s,
                        **fields,
                    )
                else:
                    result = await images.generate(
                        model=request.upstream_model,
                        prompt=prompt,
                        n=1,
                        timeout=timeout_s,
                        **fields,
                    )
                return result
            except openai.APIStatusError as exc:
                raise _status_error(exc) from exc
            except openai.APIConnectionError as exc:
                raise translate_transport(VENDOR, exc.__cause__ or exc) from exc
            except TRANSPORT_ERRORS as exc:
                raise translate_transport(VENDOR, exc) from exc

        response = await retrying(
            call, policy=self._policy, deadline=request.deadline, clock=self._clock
        )
        return Submission(outputs=(_output(response),))

    async def poll(self, handle: str) -> PollResult:
        """Never needed: GPT Image finishes in ``submit``.

        Raises:
            UnsupportedRequestError: always.
        """
        raise UnsupportedRequestError(f"OpenAI has no pending generation {handle!r}")

    async def cancel(self, handle: str) -> None:
        """Nothing to cancel: generation finishes in ``submit``."""

    async def aclose(self) -> None:
        """Close the SDK's HTTP client."""
        if self._client is not None:
            with contextlib.suppress(*TRANSPORT_ERRORS):
                await self._client.close()
            self._client = None


def _file(index: int, ref: Reference) -> tuple[str, bytes, str]:
    return (f"image-{index}.{_EXTENSIONS.get(ref.content_type, 'png')}", ref.data, ref.content_type)


def _status_error(exc: openai.APIStatusError) -> ProviderError:
    code = getattr(exc, "code", None)
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    message = str(error.get("message") or exc.message)
    if exc.status_code == 400 and (code in REFUSAL_CODES or error.get("code") in REFUSAL_CODES):
        return refusal(VENDOR, f"{code or error.get('code')}: {message}")
    retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
    return error_for_status(VENDOR, exc.status_code, message, retry_after_s=retry_after)


def _output(response: ImagesResponse) -> Output:
    item = response.data[0] if response.data else None
    if item is None or not item.b64_json:
        raise ProviderError("OpenAI answered without an image")
    try:
        data = base64.b64decode(item.b64_json, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderError("OpenAI returned an image that is not valid base64") from exc
    usage = response.usage
    cost = upstream_cost(
        "usage",
        input_tokens=usage.input_tokens if usage else None,
        output_tokens=usage.output_tokens if usage else None,
        total_tokens=usage.total_tokens if usage else None,
    )
    return image_output(data, vendor=VENDOR, metadata=cost)
