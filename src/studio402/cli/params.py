"""Turning ``--aspect``, ``--size`` and ``--param key=value`` into a model's request body.

Models name their fields differently (StableStudio's casing: Google models ``aspectRatio`` /
``imageSize``, Flux and Grok ``aspect_ratio``...). The table covers the seed's models; anything
else can be passed verbatim with ``--param name=value``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["FIELD_NAMES", "build_body", "parse_params", "split_aspects"]

FIELD_NAMES: dict[str, dict[str, str]] = {
    "nano-banana-pro": {"aspect": "aspectRatio", "size": "imageSize"},
    "nano-banana": {"aspect": "aspectRatio", "size": "imageSize"},
    "gpt-image-2": {"size": "size"},
    "gpt-image-1.5": {"size": "size"},
    "flux-2-pro": {"aspect": "aspect_ratio", "size": "resolution"},
    "flux-2-max": {"aspect": "aspect_ratio", "size": "resolution"},
    "grok": {"aspect": "aspect_ratio"},
    "grok-video": {"aspect": "aspect_ratio", "size": "resolution", "duration": "duration"},
    "veo-3.1": {"aspect": "aspectRatio", "size": "resolution", "duration": "durationSeconds"},
    "veo-3.1-fast": {"aspect": "aspectRatio", "size": "resolution", "duration": "durationSeconds"},
    "seedance": {"aspect": "aspectRatio", "size": "outputResolution", "duration": "duration"},
    "seedance-fast": {"aspect": "aspectRatio", "size": "outputResolution", "duration": "duration"},
    "wan-2.6": {"size": "size", "duration": "duration"},
    "sora-2": {"size": "size", "duration": "seconds"},
    "sora-2-pro": {"size": "size", "duration": "seconds"},
}
_DEFAULT = {"aspect": "aspectRatio", "size": "imageSize", "duration": "duration"}


def field_name(model: str, option: str) -> str:
    """The body field ``--aspect`` / ``--size`` / ``--duration`` sets for ``model``."""
    return FIELD_NAMES.get(model, {}).get(option) or _DEFAULT[option]


def split_aspects(value: str | None) -> list[str | None]:
    """``"1:1,9:16"`` -> ``["1:1", "9:16"]`` (one paid job each); ``None`` -> ``[None]``."""
    if not value:
        return [None]
    ratios = [part.strip() for part in value.split(",") if part.strip()]
    if len(set(ratios)) != len(ratios):
        raise ValueError(f"--aspect lists a ratio twice: {value}")
    return list(ratios) or [None]


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """``["imageSize=2K", "n=2", "flag=true"]`` -> a dict; values are JSON when they parse as
    JSON numbers, booleans, lists or objects, else strings (StableStudio sends enums as strings,
    so ``duration=8`` is sent as the string ``"8"`` unless written ``duration:=8``)."""
    params: dict[str, Any] = {}
    for pair in pairs or []:
        if ":=" in pair:
            name, raw = pair.split(":=", 1)
            try:
                params[name.strip()] = json.loads(raw)
            except ValueError as exc:
                raise ValueError(f"--param {pair}: not JSON after ':='") from exc
            continue
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param {pair!r}: use name=value (string) or name:=JSON")
        params[name.strip()] = value
    return params


def build_body(
    model: str,
    prompt: str,
    *,
    aspect: str | None = None,
    size: str | None = None,
    duration: str | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The request body for one job."""
    body: dict[str, Any] = {"prompt": prompt}
    for option, value in (("aspect", aspect), ("size", size), ("duration", duration)):
        if value is not None:
            body[field_name(model, option)] = value
    body.update(params or {})
    return body
