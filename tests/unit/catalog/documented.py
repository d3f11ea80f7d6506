"""StableStudio's documented routes and prices (research/stablestudio.md §3), written out
independently of catalog.toml so the tests compare the catalog against the documentation.

``PRICES[route]`` computes the documented price (atomic units) of a valid body; ``PRICED[route]``
names the fields whose every enum value is tried; ``BASES[route]`` is a minimal valid body;
``RANGES[route]`` is the documented (min, max).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

IMAGE = "https://example.com/ref.png"

_NB_PRO = {"1K": 134000, "2K": 134000, "4K": 240000}
_NB = {"512": 45000, "1K": 67000, "2K": 101000, "4K": 151000}
# square, landscape/portrait, auto
_GPT2 = {
    "low": (5000, 8000, 12000),
    "medium": (40000, 60000, 80000),
    "high": (130000, 170000, 210000),
}
# square, non-square (auto billed non-square)
_GPT15 = {"low": (9000, 13000), "medium": (34000, 50000), "high": (133000, 200000)}
_FLUX_PRO = {
    "generate": {"0.5 MP": 20000, "1 MP": 30000, "2 MP": 60000},
    "edit": {"0.5 MP": 30000, "1 MP": 45000, "2 MP": 60000},
}
_FLUX_MAX = {
    "generate": {"0.5 MP": 40000, "1 MP": 70000, "2 MP": 100000, "4 MP": 170000},
    "edit": {"0.5 MP": 50000, "1 MP": 100000, "2 MP": 130000, "4 MP": 170000},
}
_SEEDANCE = {"480p": 90000, "720p": 240000, "1080p": 540000}
_SEEDANCE_FAST = {"480p": 80000, "720p": 170000}


def _gpt2(b: dict[str, Any]) -> int:
    column = {"1024x1024": 0, "1536x1024": 1, "1024x1536": 1, "auto": 2}[b["size"]]
    return _GPT2[b["quality"]][column]


def _gpt15(b: dict[str, Any]) -> int:
    return _GPT15[b["quality"]][0 if b["size"] == "1024x1024" else 1]


def _seedance(table: dict[str, int], upscale: int) -> Callable[[dict[str, Any]], int]:
    def price(b: dict[str, Any]) -> int:
        extra = upscale if b.get("upscaleResolution") == "4k" else 0
        return (table[b["outputResolution"]] + extra) * int(b["duration"])

    return price


def _wan(b: dict[str, Any]) -> int:
    rate = 150000 if "1080" in b.get("size", b.get("resolution", "720p")) else 100000
    return rate * int(b["duration"])


PRICES: dict[str, Callable[[dict[str, Any]], int]] = {
    "nano-banana-pro/generate": lambda b: _NB_PRO[b["imageSize"]],
    "nano-banana-pro/edit": lambda b: _NB_PRO[b["imageSize"]],
    "nano-banana/generate": lambda b: _NB[b["imageSize"]],
    "nano-banana/edit": lambda b: _NB[b["imageSize"]],
    "gpt-image-2/generate": _gpt2,
    "gpt-image-2/edit": _gpt2,
    "gpt-image-1.5/generate": _gpt15,
    "gpt-image-1.5/edit": _gpt15,
    "flux-2-pro/generate": lambda b: _FLUX_PRO["generate"][b["resolution"]],
    "flux-2-pro/edit": lambda b: _FLUX_PRO["edit"][b["resolution"]],
    "flux-2-max/generate": lambda b: _FLUX_MAX["generate"][b["resolution"]],
    "flux-2-max/edit": lambda b: _FLUX_MAX["edit"][b["resolution"]],
    "grok/generate": lambda b: 70000,
    "grok/edit": lambda b: 22000,
    "veo-3.1/generate": lambda b: 400000 * int(b["durationSeconds"]),
    "veo-3.1-fast/generate": lambda b: 100000 * int(b["durationSeconds"]),
    "grok-video/generate": lambda b: 50000 * int(b["duration"]),
    "seedance/t2v": _seedance(_SEEDANCE, 270000),
    "seedance/i2v": _seedance(_SEEDANCE, 270000),
    "seedance-fast/t2v": _seedance(_SEEDANCE_FAST, 85000),
    "seedance-fast/i2v": _seedance(_SEEDANCE_FAST, 85000),
    "wan-2.6/t2v": _wan,
    "wan-2.6/i2v": _wan,
}

PRICED: dict[str, list[str]] = {
    "nano-banana-pro/generate": ["imageSize", "aspectRatio"],
    "nano-banana-pro/edit": ["imageSize"],
    "nano-banana/generate": ["imageSize", "thinkingLevel"],
    "nano-banana/edit": ["imageSize"],
    "gpt-image-2/generate": ["quality", "size"],
    "gpt-image-2/edit": ["quality", "size"],
    "gpt-image-1.5/generate": ["quality", "size"],
    "gpt-image-1.5/edit": ["quality", "size"],
    "flux-2-pro/generate": ["resolution"],
    "flux-2-pro/edit": ["resolution"],
    "flux-2-max/generate": ["resolution"],
    "flux-2-max/edit": ["resolution"],
    "grok/generate": ["aspect_ratio"],
    "grok/edit": [],
    "veo-3.1/generate": ["durationSeconds", "resolution"],
    "veo-3.1-fast/generate": ["durationSeconds", "resolution"],
    "grok-video/generate": ["duration", "resolution"],
    "seedance/t2v": ["duration", "outputResolution", "upscaleResolution"],
    "seedance/i2v": ["duration", "outputResolution"],
    "seedance-fast/t2v": ["duration", "outputResolution", "upscaleResolution"],
    "seedance-fast/i2v": ["duration", "outputResolution"],
    "wan-2.6/t2v": ["duration", "size"],
    "wan-2.6/i2v": ["duration", "resolution"],
}

_SEEDANCE_BASE = {
    "prompt": "a fox",
    "duration": "5",
    "aspectRatio": "16:9",
    "outputResolution": "720p",
}

BASES: dict[str, dict[str, Any]] = (
    {route: {"prompt": "a red fox in snow"} for route in PRICES}
    | {
        route: {"prompt": "make it night", "images": [IMAGE]}
        for route in PRICES
        if route.endswith("/edit")
    }
    | {
        "seedance/t2v": _SEEDANCE_BASE,
        "seedance/i2v": {**_SEEDANCE_BASE, "image": IMAGE},
        "seedance-fast/t2v": _SEEDANCE_BASE,
        "seedance-fast/i2v": {**_SEEDANCE_BASE, "image": IMAGE},
        "wan-2.6/i2v": {"prompt": "waves", "image": IMAGE},
    }
)

RANGES: dict[str, tuple[int, int]] = {
    # nano-banana-pro "0.13-0.24" (the 402 sample quotes 134000)
    "nano-banana-pro/generate": (134000, 240000),
    "nano-banana-pro/edit": (134000, 240000),
    "nano-banana/generate": (45000, 151000),
    "nano-banana/edit": (45000, 151000),
    "gpt-image-2/generate": (5000, 210000),
    "gpt-image-2/edit": (5000, 210000),
    "gpt-image-1.5/generate": (9000, 200000),
    "gpt-image-1.5/edit": (9000, 200000),
    "flux-2-pro/generate": (20000, 60000),
    "flux-2-pro/edit": (30000, 60000),
    "flux-2-max/generate": (40000, 170000),
    "flux-2-max/edit": (50000, 170000),  # documented 0.04-0.17 across generate and edit
    "grok/generate": (70000, 70000),
    "grok/edit": (22000, 22000),
    "veo-3.1/generate": (1600000, 3200000),
    "veo-3.1-fast/generate": (400000, 800000),
    "grok-video/generate": (150000, 750000),
    "seedance/t2v": (360000, 12150000),  # 0.09-0.54/s, 4-15 s, 4K upscale +0.27/s
    "seedance/i2v": (360000, 12150000),
    "seedance-fast/t2v": (320000, 3825000),
    "seedance-fast/i2v": (320000, 3825000),
    "wan-2.6/t2v": (500000, 2250000),
    "wan-2.6/i2v": (500000, 2250000),
}

RETIRED = {"sora-2/generate": "veo-3.1-fast", "sora-2-pro/generate": "veo-3.1"}


def bodies(
    route: str, enums: dict[str, tuple[str, ...] | None], optional: frozenset[str] = frozenset()
) -> Iterator[dict[str, Any]]:
    """Every combination of the priced fields' enum values (and their absence, for the
    ``optional`` ones), on top of the route's base body."""
    names = PRICED[route]
    choices = [[*(enums[name] or ()), *([None] if name in optional else [])] for name in names]
    for combo in itertools.product(*choices):
        chosen = {k: v for k, v in zip(names, combo, strict=True) if v is not None}
        yield {**BASES[route], **chosen}
