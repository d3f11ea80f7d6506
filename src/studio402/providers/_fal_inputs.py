"""StableStudio's Seedance and Wan 2.6 fields -> fal's model inputs.

Seedance (``bytedance/seedance-*``): ``duration`` -> ``duration`` (string), ``aspectRatio`` ->
``aspect_ratio``, ``outputResolution`` -> ``resolution``, ``seed``; i2v: the first reference ->
``image_url``, a second (or one tagged ``lastImage``/``last_image``) -> ``end_image_url``.
``upscaleResolution`` has no fal equivalent and is refused.

Wan 2.6 (``wan/v2.6``, ``fal-ai/wan*``): t2v ``size`` ``1280*720`` -> ``resolution`` ``720p`` +
``aspect_ratio`` ``16:9`` (sizes fal cannot express are refused); i2v ``resolution`` as given;
``duration``, ``negativePrompt`` -> ``negative_prompt``, ``audioUrl`` -> ``audio_url``, ``seed``,
``enablePromptExpansion`` -> ``enable_prompt_expansion``, ``multiShots`` -> ``multi_shots``;
i2v: the first reference -> ``image_url``. References travel as ``data:`` URIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd
from typing import Any

from studio402.providers.base import GenerationRequest, UnsupportedRequestError
from studio402.providers.references import Reference, by_field

__all__ = ["endpoint_for", "fal_input"]

_SUFFIXES = {"t2v": "text-to-video", "i2v": "image-to-video", "generate": "text-to-video"}
_WAN_RATIOS = frozenset({"16:9", "9:16", "1:1", "4:3", "3:4"})
_WAN_TIERS = {720: "720p", 1080: "1080p"}
_SEEDANCE_RESOLUTIONS = ("480p", "720p")
_WAN_RENAMES = {
    "negativePrompt": "negative_prompt",
    "audioUrl": "audio_url",
    "seed": "seed",
    "enablePromptExpansion": "enable_prompt_expansion",
    "multiShots": "multi_shots",
}


def endpoint_for(upstream_model: str, operation: str) -> str:
    """fal's endpoint id: the upstream id plus the operation's task, unless it already has one."""
    model = upstream_model.strip("/")
    if model.endswith(("-to-video", "/video")):
        return model
    suffix = _SUFFIXES.get(operation)
    if suffix is None:
        raise UnsupportedRequestError(f"fal has no video task for operation {operation!r}")
    return f"{model}/{suffix}"


def fal_input(request: GenerationRequest, references: Sequence[Reference]) -> dict[str, Any]:
    """The JSON body fal's endpoint takes for ``request``.

    Raises:
        UnsupportedRequestError: a field fal cannot take, or an i2v without an image.
    """
    prompt = request.input.get("prompt")
    if not isinstance(prompt, str):
        raise UnsupportedRequestError("fal needs a string 'prompt'")
    if "seedance" in request.upstream_model:
        body = _seedance(request.input, prompt)
    elif "wan" in request.upstream_model:
        body = _wan(request.input, prompt)
    else:
        raise UnsupportedRequestError(f"no fal input mapping for {request.upstream_model!r}")
    if request.operation == "i2v" or references:
        first = by_field(references, "image", 0)
        if not first:
            raise UnsupportedRequestError("image-to-video needs a reference image")
        body["image_url"] = first[0].data_uri
        last = by_field(references, "lastImage", 1) or by_field(references, "last_image", 1)
        if last and "seedance" in request.upstream_model:
            body["end_image_url"] = last[0].data_uri
    return body


def check_input(upstream_model: str, operation: str, data: dict[str, Any]) -> None:
    """Raise :class:`UnsupportedRequestError` for options fal cannot run (before any payment)."""
    endpoint_for(upstream_model, operation)
    prompt = str(data.get("prompt", ""))
    if "seedance" in upstream_model:
        _seedance(data, prompt)
    elif "wan" in upstream_model:
        _wan(data, prompt)


def _seedance(data: dict[str, Any], prompt: str) -> dict[str, Any]:
    if data.get("upscaleResolution"):
        raise UnsupportedRequestError("fal's Seedance endpoints have no upscaleResolution")
    if data.get("outputResolution") not in (None, *_SEEDANCE_RESOLUTIONS):
        raise UnsupportedRequestError(
            f"fal's Seedance endpoints render only {', '.join(_SEEDANCE_RESOLUTIONS)}"
        )
    body: dict[str, Any] = {"prompt": prompt}
    pairs = (
        ("duration", "duration"),
        ("aspectRatio", "aspect_ratio"),
        ("outputResolution", "resolution"),
        ("seed", "seed"),
    )
    for ours, theirs in pairs:
        if data.get(ours) is not None:
            body[theirs] = str(data[ours]) if ours == "duration" else data[ours]
    return body


def _wan(data: dict[str, Any], prompt: str) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": prompt}
    size = data.get("size")
    if size:
        body.update(_wan_size(str(size)))
    if data.get("resolution"):
        body["resolution"] = str(data["resolution"]).lower()
    if data.get("duration") is not None:
        body["duration"] = str(data["duration"])
    body.update(
        {theirs: data[ours] for ours, theirs in _WAN_RENAMES.items() if data.get(ours) is not None}
    )
    return body


def _wan_size(size: str) -> dict[str, str]:
    width, _, height = size.replace("x", "*").partition("*")
    try:
        w, h = int(width), int(height)
    except ValueError as exc:
        raise UnsupportedRequestError(f"not a Wan size: {size!r}") from exc
    divisor = gcd(w, h)
    ratio = f"{w // divisor}:{h // divisor}"
    tier = _WAN_TIERS.get(min(w, h))
    if ratio not in _WAN_RATIOS or tier is None:
        raise UnsupportedRequestError(f"fal's Wan 2.6 cannot render size {size!r}")
    return {"resolution": tier, "aspect_ratio": ratio}
