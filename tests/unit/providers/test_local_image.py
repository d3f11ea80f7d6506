"""The local model: real PNGs of exactly the requested size, deterministic per prompt."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageChops, ImageStat

from studio402.providers.dimensions import NANO_BANANA_PRO, image_dimensions
from studio402.providers.local_image import MAX_EDGE, render_image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PRO_PAIRS = [(ratio, size) for ratio, sizes in NANO_BANANA_PRO.items() for size in sizes]


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(("ratio", "size"), PRO_PAIRS, ids=[f"{r}@{s}" for r, s in PRO_PAIRS])
def test_render_has_exact_dimensions_for_every_pro_size(ratio: str, size: str) -> None:
    width, height = image_dimensions(ratio, size)
    data = render_image("a lighthouse in a storm", width, height)
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size == (width, height)
    assert image.mode == "RGB"


@pytest.mark.parametrize(
    ("ratio", "size"), [("1:8", "512"), ("8:1", "512"), ("1:4", "1K"), ("21:9", "512")]
)
def test_render_has_exact_dimensions_for_nano_banana_2_extras(ratio: str, size: str) -> None:
    width, height = image_dimensions(ratio, size, "nano-banana-2")
    assert _open(render_image("tall and wide", width, height)).size == (width, height)


@pytest.mark.parametrize(("width", "height"), [(1, 1), (7, 300), (63, 63), (64, 64), (300, 7)])
def test_render_handles_tiny_sizes(width: int, height: int) -> None:
    assert _open(render_image("tiny", width, height)).size == (width, height)


def test_render_is_deterministic() -> None:
    first = render_image("a red fox at dawn", 640, 480, seed_extra="7")
    second = render_image("a red fox at dawn", 640, 480, seed_extra="7")
    assert first == second


def _difference(a: bytes, b: bytes) -> float:
    diff = ImageChops.difference(_open(a), _open(b)).convert("L")
    return float(ImageStat.Stat(diff).mean[0])


def test_different_prompts_give_visibly_different_images() -> None:
    fox = render_image("a red fox at dawn", 640, 480)
    city = render_image("a neon city at night", 640, 480)
    assert fox != city
    assert _difference(fox, city) > 10.0


def test_seed_extra_changes_the_image() -> None:
    plain = render_image("a red fox at dawn", 640, 480)
    seeded = render_image("a red fox at dawn", 640, 480, seed_extra="another seed")
    assert _difference(plain, seeded) > 10.0


@pytest.mark.parametrize(
    "prompt",
    ["", "   ", "x" * 5000, "word " * 2000, "ünïcødé 猫 🐈 \n\t tabs", "a" * 300 + " b"],
    ids=["empty", "blank", "one-long-word", "many-words", "unicode", "long-word-then-short"],
)
def test_render_accepts_any_prompt(prompt: str) -> None:
    assert _open(render_image(prompt, 512, 512)).size == (512, 512)


@pytest.mark.parametrize(
    ("width", "height"),
    [(0, 10), (10, -1), (MAX_EDGE + 1, 10), (1.5, 10), (True, 10), (16_384, 16_384)],
)
def test_render_rejects_invalid_sizes(width: object, height: object) -> None:
    with pytest.raises(ValueError):
        render_image("x", width, height)  # type: ignore[arg-type]


def test_render_time_budget() -> None:
    """Prints the render time per tier; only a generous sanity bound is asserted."""
    for ratio, size in [("1:1", "1K"), ("1:1", "2K"), ("21:9", "4K")]:
        width, height = image_dimensions(ratio, size)
        started = time.perf_counter()
        render_image("timing a lighthouse in a storm", width, height)
        elapsed = time.perf_counter() - started
        print(f"render {width}x{height}: {elapsed * 1000:.0f} ms")
        assert elapsed < 30.0
