"""The local model as a provider: deterministic PNGs and MP4s of the exact requested size.

Image sizes follow the input's shape: ``aspectRatio`` / ``imageSize`` (Google's models) are looked
up in the Nano Banana tables of the model's family (Nano Banana Pro's for other models), and
``size`` written ``WIDTHxHEIGHT`` (OpenAI's models; ``auto`` is 1024x1024) is used as given.

A request with a duration field (``durationSeconds``, ``duration``, ``seconds``) or a ``t2v`` /
``i2v`` operation is a video: an H.264 MP4 of the requested duration and frame size (see
:mod:`~studio402.providers.video_dimensions`) plus a JPEG thumbnail, from
:func:`~studio402.providers.local_video.render_video`. Reference images only vary the seed (by
their object keys, which are content-addressed). Rendering runs in a worker thread and finishes
inside ``submit``.
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
from studio402.providers.local_video import render_video
from studio402.providers.references import describe
from studio402.providers.video_dimensions import (
    DURATION_FIELDS,
    video_dimensions,
    video_duration,
)

__all__ = ["LocalProvider"]

_PIXEL_SIZE = re.compile(r"(\d{1,5})[x*](\d{1,5})")
_AUTO_SIZE = (1024, 1024)
_DEFAULT_FAMILY = "nano-banana-pro"
_VIDEO_OPERATIONS = frozenset({"t2v", "i2v"})


class LocalProvider:
    """Renders images and videos locally (no network, deterministic per prompt)."""

    name = "local"

    def __init__(self, *, video_fps: int | None = None) -> None:
        """``video_fps`` fixes the frame rate of videos (default: 24 up to 720p, 12 above)."""
        self._video_fps = video_fps

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
        seed_extra = _seed_extra(request)
        if request.operation in _VIDEO_OPERATIONS or any(
            request.input.get(name) is not None for name in DURATION_FIELDS
        ):
            return await self._video(request, prompt, seed_extra)
        width, height = _dimensions(request.model, request.input)
        try:
            data = await asyncio.to_thread(
                render_image, prompt, width, height, seed_extra=seed_extra
            )
        except ValueError as exc:
            raise UnsupportedRequestError(f"the local model cannot render this: {exc}") from exc
        image = Output(
            data=data, content_type="image/png", kind="image", width=width, height=height
        )
        return Submission(outputs=(image,))

    async def _video(self, request: GenerationRequest, prompt: str, seed: str) -> Submission:
        sizes = [
            (int(ref.get("width") or 0), int(ref.get("height") or 0)) for ref in describe(request)
        ]
        try:
            width, height = video_dimensions(request.input, sizes)
            duration_s = video_duration(request.input)
            video = await asyncio.to_thread(
                render_video,
                prompt,
                width,
                height,
                duration_s,
                fps=self._video_fps,
                seed_extra=seed,
            )
        except ValueError as exc:
            raise UnsupportedRequestError(f"the local model cannot render this: {exc}") from exc
        clip = Output(
            data=video.mp4,
            content_type="video/mp4",
            kind="video",
            width=width,
            height=height,
            duration_s=video.duration_s,
        )
        thumbnail = Output(
            data=video.thumbnail_jpeg,
            content_type="image/jpeg",
            kind="thumbnail",
            width=width,
            height=height,
        )
        return Submission(outputs=(clip, thumbnail))

    async def poll(self, handle: str) -> PollResult:
        """Never needed: every local generation finishes in ``submit``.

        Raises:
            UnsupportedRequestError: always.
        """
        raise UnsupportedRequestError(f"the local model has no pending generation {handle!r}")

    async def cancel(self, handle: str) -> None:
        """Nothing to cancel: every local generation finishes in ``submit``."""


def _seed_extra(request: GenerationRequest) -> str:
    keys = [str(ref["key"]) for ref in describe(request)]
    return "|".join([request.operation, *keys])


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
