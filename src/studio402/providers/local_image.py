"""The local model: a deterministic renderer that turns a prompt into a real PNG.

Everything in the picture comes from a SHA-256 of the prompt (and ``seed_extra``): a palette, a
gradient background at some angle, a few translucent shapes, and the prompt itself written on a
panel. The same inputs give byte-identical PNGs on one installation; different prompts give
visibly different images. All drawing is done by Pillow primitives (no per-pixel Python), so a
1K image takes tens of milliseconds and a 4K one well under two seconds.

This module is pure and synchronous; callers on an event loop run it in a thread.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math

from PIL import Image, ImageDraw, ImageFont, ImageOps

__all__ = ["MAX_EDGE", "MAX_PIXELS", "render_image"]

MAX_EDGE = 16_384
"""Largest accepted width or height (Nano Banana 2's 8:1 at 4K is 12288 wide)."""

MAX_PIXELS = 64 * 1024 * 1024
"""Largest accepted ``width * height``."""

_GRADIENT_SIDE = 512
_MAX_PROMPT_CHARS = 600
_MIN_CAPTION_EDGE = 64
_Rgb = tuple[int, int, int]
_Rgba = tuple[int, int, int, int]
_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


class _Entropy:
    """A deterministic stream of numbers drawn from SHAKE-256 of a seed."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._buf = hashlib.shake_256(seed).digest(256)
        self._pos = 0

    def unit(self) -> float:
        """A number in [0, 1)."""
        if self._pos + 4 > len(self._buf):
            self._buf = hashlib.shake_256(self._seed).digest(len(self._buf) * 2)
        chunk = self._buf[self._pos : self._pos + 4]
        self._pos += 4
        return int.from_bytes(chunk, "big") / 2**32

    def between(self, low: float, high: float) -> float:
        return low + (high - low) * self.unit()

    def below(self, n: int) -> int:
        return min(int(self.unit() * n), n - 1)


def render_image(prompt: str, width: int, height: int, *, seed_extra: str = "") -> bytes:
    """Render ``prompt`` as a PNG of exactly ``width`` x ``height`` pixels and return its bytes.

    The output depends only on ``prompt``, ``seed_extra`` and the size (and the installed
    Pillow), so repeating a call gives the same bytes. ``seed_extra`` varies the picture for the
    same prompt (a seed, an edit's input hash, ...); it is not drawn.

    Raises:
        ValueError: a dimension is not a positive int, an edge exceeds ``MAX_EDGE``, or the
            area exceeds ``MAX_PIXELS``.
    """
    _check_size(width, height)
    digest = hashlib.sha256(f"{prompt}\x00{seed_extra}".encode()).digest()
    rng = _Entropy(digest)
    palette = _palette(rng)
    image = _background(rng, palette, width, height)
    draw = ImageDraw.Draw(image, "RGBA")
    _shapes(draw, rng, palette, width, height)
    if min(width, height) >= _MIN_CAPTION_EDGE:
        _caption(draw, prompt, digest.hex()[:12], width, height)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _check_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
        if value > MAX_EDGE:
            raise ValueError(f"{name} {value} exceeds the maximum edge {MAX_EDGE}")
    if width * height > MAX_PIXELS:
        raise ValueError(f"{width}x{height} exceeds the maximum of {MAX_PIXELS} pixels")


def _palette(rng: _Entropy) -> list[_Rgb]:
    """Six colours around a base hue: three for the background, the rest for shapes."""
    base = rng.unit()
    spread = rng.between(0.05, 0.5)
    colours: list[_Rgb] = []
    for i in range(6):
        hue = (base + spread * (i - 2.5) / 2.5 + rng.between(-0.03, 0.03)) % 1.0
        saturation = rng.between(0.45, 0.9)
        value = rng.between(0.25, 0.5) if i < 2 else rng.between(0.6, 0.98)
        r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
        colours.append((round(r * 255), round(g * 255), round(b * 255)))
    return colours


def _background(rng: _Entropy, palette: list[_Rgb], width: int, height: int) -> Image.Image:
    """A three-colour linear gradient at a random angle, with a soft vignette."""
    ramp = Image.linear_gradient("L").resize((_GRADIENT_SIDE, _GRADIENT_SIDE))
    ramp = ramp.rotate(rng.between(0.0, 360.0), resample=Image.Resampling.BILINEAR)
    inner = int(_GRADIENT_SIDE / math.sqrt(2)) - 4
    offset = (_GRADIENT_SIDE - inner) // 2
    ramp = ramp.crop((offset, offset, offset + inner, offset + inner))
    small = ImageOps.colorize(ramp, black=palette[0], white=palette[2], mid=palette[1])
    vignette = Image.radial_gradient("L").resize(small.size)
    shade = Image.new("RGB", small.size, (0, 0, 0))
    small = Image.composite(shade, small, vignette.point(lambda v: int(v * 0.45)))
    return small.resize((width, height), Image.Resampling.BILINEAR)


def _shapes(
    draw: ImageDraw.ImageDraw, rng: _Entropy, palette: list[_Rgb], width: int, height: int
) -> None:
    """Between six and eleven translucent circles, boxes, rings and triangles."""
    scale = math.sqrt(width * height)
    for _ in range(6 + rng.below(6)):
        r, g, b = palette[2 + rng.below(4)]
        fill: _Rgba = (r, g, b, 60 + rng.below(130))
        cx, cy = rng.unit() * width, rng.unit() * height
        radius = rng.between(0.06, 0.32) * scale
        box = (cx - radius, cy - radius * rng.between(0.5, 1.5), cx + radius, cy + radius)
        kind = rng.below(5)
        if kind == 0:
            draw.ellipse(box, fill=fill)
        elif kind == 1:
            draw.rectangle(box, fill=fill)
        elif kind == 2:
            draw.rounded_rectangle(box, radius=radius * 0.3, fill=fill)
        elif kind == 3:
            draw.ellipse(box, outline=fill, width=max(1, round(radius * 0.12)))
        else:
            angle = rng.between(0.0, 2 * math.pi)
            points = [
                (cx + radius * math.cos(angle + k * 2.1), cy + radius * math.sin(angle + k * 2.1))
                for k in range(3)
            ]
            draw.polygon(points, fill=fill)


def _caption(draw: ImageDraw.ImageDraw, prompt: str, tag: str, width: int, height: int) -> None:
    """The prompt, wrapped on a dark panel, and a small footer naming the renderer and size."""
    short_edge = min(width, height)
    size = max(10, round(min(short_edge * 0.07, math.sqrt(width * height) * 0.04)))
    font = ImageFont.load_default(size=size)
    margin = max(4, round(short_edge * 0.05))
    max_lines = max(1, int((height * 0.6) // (size * 1.25)))
    text = " ".join(prompt.split()) or "(empty prompt)"
    if len(text) > _MAX_PROMPT_CHARS:
        text = text[:_MAX_PROMPT_CHARS] + "..."
    lines = _wrap(text, font, width - 4 * margin, max_lines)
    line_height = round(size * 1.25)
    panel_height = line_height * len(lines) + margin
    top = max(0, (height - panel_height) // 2)
    draw.rounded_rectangle(
        (margin, top, width - margin, top + panel_height),
        radius=margin // 2,
        fill=(0, 0, 0, 120),
    )
    for i, line in enumerate(lines):
        y = top + margin // 2 + i * line_height
        draw.text((2 * margin, y), line, font=font, fill=(255, 255, 255, 255))
    small = ImageFont.load_default(size=max(8, size // 2))
    footer = f"studio402 local model - {width}x{height} - {tag}"
    draw.text(
        (margin, height - margin // 2),
        footer,
        font=small,
        fill=(255, 255, 255, 200),
        anchor="ld",
    )


def _wrap(text: str, font: _Font, max_width: float, max_lines: int) -> list[str]:
    """Greedy word wrap; words wider than a line are cut, overflow ends in an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while len(current) > 1 and font.getlength(current) > max_width:
            cut = _fit(current, font, max_width)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _ellipsize(lines[-1], font, max_width)
    return lines


def _fit(word: str, font: _Font, max_width: float) -> int:
    """How many leading characters of ``word`` fit in ``max_width`` (at least one)."""
    low, high = 1, len(word)
    while low < high:
        mid = (low + high + 1) // 2
        if font.getlength(word[:mid]) <= max_width:
            low = mid
        else:
            high = mid - 1
    return low


def _ellipsize(line: str, font: _Font, max_width: float) -> str:
    while line and font.getlength(line + "...") > max_width:
        line = line[:-1]
    return line + "..."
