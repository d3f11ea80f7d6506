"""The Nano Banana size tables and their lookup."""

from __future__ import annotations

import pytest

from studio402.providers.dimensions import (
    ASPECT_RATIOS,
    FAMILIES,
    NANO_BANANA_2,
    NANO_BANANA_PRO,
    SizeTable,
    image_dimensions,
)

PRO_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
EXTREME_RATIOS = ("1:4", "4:1", "1:8", "8:1")


def test_pro_table_has_exactly_ten_ratios_at_three_sizes() -> None:
    assert tuple(NANO_BANANA_PRO) == PRO_RATIOS
    assert all(tuple(sizes) == ("1K", "2K", "4K") for sizes in NANO_BANANA_PRO.values())


@pytest.mark.parametrize(
    ("ratio", "size", "expected"),
    [
        ("1:1", "1K", (1024, 1024)),
        ("2:3", "1K", (848, 1264)),
        ("3:2", "2K", (2528, 1696)),
        ("4:5", "1K", (928, 1152)),
        ("5:4", "4K", (4608, 3712)),
        ("9:16", "2K", (1536, 2752)),
        ("16:9", "1K", (1376, 768)),
        ("21:9", "4K", (6336, 2688)),
    ],
)
def test_pro_sizes_match_the_published_table(
    ratio: str, size: str, expected: tuple[int, int]
) -> None:
    assert image_dimensions(ratio, size) == expected


@pytest.mark.parametrize("table", [NANO_BANANA_PRO, NANO_BANANA_2], ids=["pro", "nb2"])
def test_sizes_scale_exactly_from_1k(table: SizeTable) -> None:
    for sizes in table.values():
        w, h = sizes["1K"]
        assert sizes["2K"] == (2 * w, 2 * h)
        assert sizes["4K"] == (4 * w, 4 * h)
        if "512" in sizes:
            assert sizes["512"] == (w // 2, h // 2)


def test_nano_banana_2_adds_the_512_tier_and_extreme_ratios() -> None:
    assert set(NANO_BANANA_2) == set(PRO_RATIOS) | set(EXTREME_RATIOS)
    for ratio in PRO_RATIOS:
        assert {k: v for k, v in NANO_BANANA_2[ratio].items() if k != "512"} == dict(
            NANO_BANANA_PRO[ratio]
        )
    assert image_dimensions("16:9", "512", "nano-banana-2") == (688, 384)
    assert image_dimensions("1:4", "1K", "nano-banana-2") == (512, 2048)
    assert image_dimensions("8:1", "1K", "nano-banana") == (3072, 384)
    assert image_dimensions("1:8", "4K", "nano-banana-2") == (1536, 12288)


def test_aspect_ratios_lists_every_known_ratio() -> None:
    assert set(ASPECT_RATIOS) == set(PRO_RATIOS) | set(EXTREME_RATIOS)
    assert set(FAMILIES) == {"nano-banana-pro", "nano-banana-2", "nano-banana"}


@pytest.mark.parametrize(
    ("ratio", "size", "family"),
    [
        ("1:1", "512", "nano-banana-pro"),
        ("1:4", "1K", "nano-banana-pro"),
        ("1:1", "8K", "nano-banana-2"),
        ("1:1", "1k", "nano-banana-pro"),
        ("7:3", "1K", "nano-banana-2"),
    ],
)
def test_unknown_pairs_raise_value_error(ratio: str, size: str, family: str) -> None:
    with pytest.raises(ValueError, match="no output size"):
        image_dimensions(ratio, size, family)


def test_unknown_family_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unknown model family"):
        image_dimensions("1:1", "1K", "dall-e")
