"""Output pixel sizes of the Nano Banana family, as data.

Nano Banana Pro (``gemini-3-pro-image``) publishes one table: ten aspect ratios at 1K, 2K and 4K,
where 2K is exactly twice and 4K exactly four times the 1K edge. Nano Banana 2
(``gemini-3.1-flash-image``; StableStudio's ``nano-banana``) has the same ten ratios at the same
sizes, plus a ``512`` tier and four extreme ratios (1:4, 4:1, 1:8, 8:1).

Source: ``research/providers.md`` §1.3-1.4. Two NB2 values are not copied from that page:

* ``21:9`` at ``512`` is written there as 792x168, which is neither 21:9 nor half of the 1K size
  (1584x672) as every other 512 entry is; we use 792x336.
* The page gives the extreme ratios at 1K only, "scaling x2/x4 at 2K/4K"; their 512 sizes here
  follow the same halving rule as the other ratios.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "ASPECT_RATIOS",
    "FAMILIES",
    "IMAGE_SIZES",
    "NANO_BANANA_2",
    "NANO_BANANA_PRO",
    "Size",
    "SizeTable",
    "image_dimensions",
]

Size = tuple[int, int]
"""Width and height in pixels."""

SizeTable = Mapping[str, Mapping[str, Size]]
"""``table[aspect_ratio][image_size] -> (width, height)``."""

_PRO: dict[str, dict[str, Size]] = {
    "1:1": {"1K": (1024, 1024), "2K": (2048, 2048), "4K": (4096, 4096)},
    "2:3": {"1K": (848, 1264), "2K": (1696, 2528), "4K": (3392, 5056)},
    "3:2": {"1K": (1264, 848), "2K": (2528, 1696), "4K": (5056, 3392)},
    "3:4": {"1K": (896, 1200), "2K": (1792, 2400), "4K": (3584, 4800)},
    "4:3": {"1K": (1200, 896), "2K": (2400, 1792), "4K": (4800, 3584)},
    "4:5": {"1K": (928, 1152), "2K": (1856, 2304), "4K": (3712, 4608)},
    "5:4": {"1K": (1152, 928), "2K": (2304, 1856), "4K": (4608, 3712)},
    "9:16": {"1K": (768, 1376), "2K": (1536, 2752), "4K": (3072, 5504)},
    "16:9": {"1K": (1376, 768), "2K": (2752, 1536), "4K": (5504, 3072)},
    "21:9": {"1K": (1584, 672), "2K": (3168, 1344), "4K": (6336, 2688)},
}

_NB2_512: dict[str, Size] = {
    "1:1": (512, 512),
    "2:3": (424, 632),
    "3:2": (632, 424),
    "3:4": (448, 600),
    "4:3": (600, 448),
    "4:5": (464, 576),
    "5:4": (576, 464),
    "9:16": (384, 688),
    "16:9": (688, 384),
    "21:9": (792, 336),
}

_NB2_EXTREME: dict[str, dict[str, Size]] = {
    "1:4": {"512": (256, 1024), "1K": (512, 2048), "2K": (1024, 4096), "4K": (2048, 8192)},
    "4:1": {"512": (1024, 256), "1K": (2048, 512), "2K": (4096, 1024), "4K": (8192, 2048)},
    "1:8": {"512": (192, 1536), "1K": (384, 3072), "2K": (768, 6144), "4K": (1536, 12288)},
    "8:1": {"512": (1536, 192), "1K": (3072, 384), "2K": (6144, 768), "4K": (12288, 1536)},
}


def _freeze(table: dict[str, dict[str, Size]]) -> SizeTable:
    return MappingProxyType({ratio: MappingProxyType(sizes) for ratio, sizes in table.items()})


NANO_BANANA_PRO: SizeTable = _freeze(_PRO)
"""Nano Banana Pro: 10 aspect ratios x 1K/2K/4K."""

NANO_BANANA_2: SizeTable = _freeze(
    {
        **{ratio: {"512": _NB2_512[ratio], **sizes} for ratio, sizes in _PRO.items()},
        **_NB2_EXTREME,
    }
)
"""Nano Banana 2: the Pro table plus the 512 tier and 1:4, 4:1, 1:8, 8:1."""

FAMILIES: Mapping[str, SizeTable] = MappingProxyType(
    {
        "nano-banana-pro": NANO_BANANA_PRO,
        "nano-banana-2": NANO_BANANA_2,
        "nano-banana": NANO_BANANA_2,
    }
)
"""Size table per model family; ``nano-banana`` is StableStudio's name for Nano Banana 2."""

ASPECT_RATIOS: tuple[str, ...] = tuple(NANO_BANANA_2)
"""Every aspect ratio known to any family, Pro's ten first."""

IMAGE_SIZES: tuple[str, ...] = ("512", "1K", "2K", "4K")
"""Every ``imageSize`` tier known to any family, smallest first."""


def image_dimensions(
    aspect_ratio: str, image_size: str, family: str = "nano-banana-pro"
) -> tuple[int, int]:
    """Return ``(width, height)`` in pixels for an aspect ratio and size tier of a family.

    ``aspect_ratio`` is written as Google writes it (``"16:9"``) and ``image_size`` is one of
    ``"512"``, ``"1K"``, ``"2K"``, ``"4K"`` (upper-case K, as the Gemini API requires).

    Raises:
        ValueError: the family is unknown, or it has no such ratio and size pair.
    """
    table = FAMILIES.get(family)
    if table is None:
        known = ", ".join(sorted(FAMILIES))
        raise ValueError(f"unknown model family {family!r} (known: {known})")
    size = table.get(aspect_ratio, {}).get(image_size)
    if size is None:
        raise ValueError(
            f"{family} has no output size for aspectRatio={aspect_ratio!r}, "
            f"imageSize={image_size!r}"
        )
    return size
