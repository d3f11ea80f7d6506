"""Frame size and duration of a video request, read from StableStudio's fields.

* ``size`` written ``1280*720`` (Wan) or ``1280x720`` (Sora) is used as given.
* Otherwise a resolution tier (``outputResolution`` for Seedance, ``resolution`` for Veo, Grok
  and Wan i2v: ``480p``, ``720p``, ``1080p``, ``4k``) sets the short edge, and the aspect ratio
  (``aspectRatio`` or ``aspect_ratio``; for ``auto``/``adaptive`` or none, the first reference
  image's shape, else 16:9) sets the long one, rounded to an even number: 720p 16:9 is
  1280x720, 480p 16:9 is 854x480, 1080p 9:16 is 1080x1920.
* The duration comes from ``durationSeconds`` (Veo), ``duration`` (Seedance, Wan, Grok) or
  ``seconds`` (Sora), all strings of whole seconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "DURATION_FIELDS",
    "parse_ratio",
    "short_edge",
    "video_dimensions",
    "video_duration",
]

DURATION_FIELDS = ("durationSeconds", "duration", "seconds")
"""Input fields that hold a video's duration, in the order they are looked up."""

_SIZE = re.compile(r"(\d{2,5})[x*](\d{2,5})")
_RATIO = re.compile(r"(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)")
_TIERS = {
    "360p": 360,
    "480p": 480,
    "540p": 540,
    "720p": 720,
    "1080p": 1080,
    "1440p": 1440,
    "4k": 2160,
    "2160p": 2160,
}
_DEFAULT_TIER = 720
_DEFAULT_RATIO = 16 / 9
_DEFAULT_DURATION_S = 5.0


def parse_ratio(value: str) -> float:
    """``"16:9"`` -> 1.777...; accepts decimals (``"19.5:9"``).

    Raises:
        ValueError: not ``W:H`` with positive numbers.
    """
    match = _RATIO.fullmatch(value.strip())
    if not match or float(match[2]) == 0 or float(match[1]) == 0:
        raise ValueError(f"not an aspect ratio: {value!r}")
    return float(match[1]) / float(match[2])


def short_edge(tier: str) -> int:
    """The short edge in pixels of a resolution tier (``"720p"`` -> 720).

    Raises:
        ValueError: an unknown tier.
    """
    edge = _TIERS.get(tier.strip().lower())
    if edge is None:
        raise ValueError(f"unknown resolution {tier!r} (known: {', '.join(_TIERS)})")
    return edge


def video_dimensions(
    data: Mapping[str, Any], reference_sizes: Sequence[tuple[int, int]] = ()
) -> tuple[int, int]:
    """``(width, height)`` in pixels for a video request's fields (see the module docstring).

    ``reference_sizes`` are the ``(width, height)`` of the request's reference images, used
    when the request names no aspect ratio.

    Raises:
        ValueError: a malformed size, tier or ratio.
    """
    size = data.get("size")
    if isinstance(size, str) and size != "auto":
        match = _SIZE.fullmatch(size.strip())
        if not match:
            raise ValueError(f"not a video size: {size!r}")
        return _even_int(int(match[1])), _even_int(int(match[2]))
    tier = data.get("outputResolution") or data.get("resolution")
    edge = short_edge(str(tier)) if tier else _DEFAULT_TIER
    ratio_field = data.get("aspectRatio") or data.get("aspect_ratio")
    if ratio_field and str(ratio_field).lower() not in {"auto", "adaptive"}:
        ratio = parse_ratio(str(ratio_field))
    elif reference_sizes and all(reference_sizes[0]):
        ratio = reference_sizes[0][0] / reference_sizes[0][1]
    else:
        ratio = _DEFAULT_RATIO
    if ratio >= 1:
        return _even(edge * ratio), _even_int(edge)
    return _even_int(edge), _even(edge / ratio)


def video_duration(data: Mapping[str, Any], default_s: float = _DEFAULT_DURATION_S) -> float:
    """Seconds of video a request asks for (``default_s`` when it names none).

    Raises:
        ValueError: a duration that is not a positive number.
    """
    for name in DURATION_FIELDS:
        value = data.get(name)
        if value is None or value == "" or value == "auto":
            continue
        seconds = float(value)
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        return seconds
    return default_s


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _even_int(value: int) -> int:
    return value + (value % 2)
