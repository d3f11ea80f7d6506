"""The local model as a provider: deterministic PNGs at the exact size the request asks for.

Sizes follow the input's shape: ``aspectRatio`` / ``imageSize`` (Google's models) are looked up
in the Nano Banana tables of the model's family (Nano Banana Pro's for other models), and ``size``
written ``WIDTHxHEIGHT`` (OpenAI's models; ``auto`` is 1024x1024) is used as given. Rendering
runs in a worker thread and finishes inside ``submit``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from studio402.providers.base import (
    GenerationRequest,
    Output,
    PollResult,
    Submission,
    UnsupportedRequestError,
)
from studio402.providers.dimensions import FAMILIES, image_dimensions
from studio402.providers.local_image import render_image

__all__ = ["LocalProvider"]

_PIXEL_SIZE = re.compile(r"(\d{1,5})[x*](\d{1,5})")
_AUTO_SIZE = (1024, 1024)
_DEFAULT_FAMILY = "nano-banana-pro"
_VIDEO_FIELDS = frozenset({"duration", "durationSeconds", "seconds"})


class LocalProvider:
    """Renders images locally with :func:`~studio402.providers.local_image.render_image`."""

    name = "local"

    async def submit(self, request: GenerationRequest) -> Submission:
        """Render the image and return it (the local model is synchronous).

        The same prompt, operation and size always give the same bytes.

        Raises:
            UnsupportedRequestError: no prompt, a video request, or input fields this model
                cannot size.
        """
        prompt = request.input.get("prompt")
        if not isinstance(prompt, str):
            raise UnsupportedRequestError(
                f"the local model needs a string 'prompt' (model {request.model!r})"
            )
        if _VIDEO_FIELDS.intersection(request.input):
            raise UnsupportedRequestError(
                f"the local model renders images only; {request.model!r} asks for a video"
            )
        width, height = _dimensions(request.model, request.input)
        try:
            data = await asyncio.to_thread(
                render_image, prompt, width, height, seed_extra=request.operation
            )
        except ValueError as exc:
            raise UnsupportedRequestError(f"the local model cannot render this: {exc}") from exc
        image = Output(
            data=data, content_type="image/png", kind="image", width=width, height=height
        )
        return Submission(outputs=(image,))

    async def poll(self, handle: str) -> PollResult:
        """Never needed: every local generation finishes in ``submit``.

        Raises:
            UnsupportedRequestError: always.
        """
        raise UnsupportedRequestError(f"the local model has no pending generation {handle!r}")

    async def cancel(self, handle: str) -> None:
        """Nothing to cancel: every local generation finishes in ``submit``."""


def _dimensions(model: str, data: dict[str, Any]) -> tuple[int, int]:
    if "aspectRatio" in data or "imageSize" in data or model in FAMILIES:
        family = model if model in FAMILIES else _DEFAULT_FAMILY
        aspect_ratio = data.get("aspectRatio") or "1:1"
        image_size = data.get("imageSize") or "1K"
        try:
            return image_dimensions(str(aspect_ratio), str(image_size), family)
        except ValueError as exc:
            raise UnsupportedRequestError(str(exc)) from exc
    size = data.get("size")
    if size == "auto":
        return _AUTO_SIZE
    if isinstance(size, str) and (match := _PIXEL_SIZE.fullmatch(size)):
        return int(match[1]), int(match[2])
    raise UnsupportedRequestError(
        f"the local model cannot size an image for model {model!r}: the input needs "
        "'aspectRatio'/'imageSize' or a 'size' such as '1024x1024'"
    )
