"""What an untrusted file really is: sniffed from its bytes, sized from its header, verified.

Never trusts a declared Content-Type or file name. The width and height are read from the file
header by this module (PNG ``IHDR``, GIF screen descriptor, JPEG ``SOF``, WebP ``VP8``/``VP8L``/
``VP8X``) and checked against the pixel cap before Pillow is involved, so a decompression bomb (a
small file declaring 30000x30000 pixels) is refused without decoding anything. Pillow then checks
the structure (``verify``, no full decode), with its own ``MAX_IMAGE_PIXELS`` guard turned from
a warning into an error; the effective cap is the smaller of ours and Pillow's.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from studio402.errors import InvalidMediaError, PayloadTooLargeError

__all__ = ["CONTENT_TYPES", "ImageInfo", "inspect_image", "sniff"]

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
"""Media type of each accepted format."""

_EXTENSIONS = {"png": "png", "jpeg": "jpg", "gif": "gif", "webp": "webp"}
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PILLOW_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


@dataclass(frozen=True)
class ImageInfo:
    """A checked image: format, media type, file extension and pixel size."""

    format: str
    content_type: str
    extension: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The format named by the file's magic bytes (png, jpeg, gif, webp), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def inspect_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ImageInfo:
    """Check that ``data`` is a PNG, JPEG, GIF or WebP image within the byte and pixel caps.

    CPU-bound (Pillow's ``verify``): call it in a worker thread from async code.

    Raises:
        PayloadTooLargeError: more than ``max_bytes``.
        InvalidMediaError: not one of the formats, corrupt, or more than ``max_pixels`` pixels.
    """
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"the image is {len(data)} bytes; the limit is {max_bytes}")
    fmt = sniff(data)
    if fmt is None:
        raise InvalidMediaError("not a PNG, JPEG, GIF or WebP image (checked from its bytes)")
    width, height = _header_size(fmt, data)
    cap = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if width < 1 or height < 1 or width * height > cap:
        raise InvalidMediaError(
            f"the image is {width}x{height} = {width * height} pixels; the limit is {cap}"
        )
    _verify(fmt, data, (width, height))
    return ImageInfo(fmt, CONTENT_TYPES[fmt], _EXTENSIONS[fmt], width, height)


def _verify(fmt: str, data: bytes, size: tuple[int, int]) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[fmt]]) as image:
                if image.size != size:
                    raise InvalidMediaError(f"inconsistent {fmt.upper()} headers")
                image.verify()
    except _PILLOW_ERRORS as exc:
        raise InvalidMediaError(f"not a valid {fmt.upper()} image: {exc}") from exc


def _header_size(fmt: str, data: bytes) -> tuple[int, int]:
    try:
        if fmt == "png":
            if data[12:16] != b"IHDR":
                raise InvalidMediaError("PNG without an IHDR header")
            return _be(data, 16, 4), _be(data, 20, 4)
        if fmt == "gif":
            return _le(data, 6, 2), _le(data, 8, 2)
        if fmt == "webp":
            return _webp_size(data)
        return _jpeg_size(data)
    except IndexError as exc:
        raise InvalidMediaError(f"truncated {fmt.upper()} header") from exc


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return _le(data, 24, 3) + 1, _le(data, 27, 3) + 1
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            raise InvalidMediaError("WebP lossless stream without its signature")
        bits = _le(data, 21, 4)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise InvalidMediaError("WebP lossy stream without its start code")
        return _le(data, 26, 2) & 0x3FFF, _le(data, 28, 2) & 0x3FFF
    raise InvalidMediaError("WebP without a VP8, VP8L or VP8X chunk")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 1 < len(data):
        if data[i] != 0xFF:
            raise InvalidMediaError("corrupt JPEG marker stream")
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            i += 2
            continue
        if marker in (0xD9, 0xDA):
            break
        if marker in _SOF_MARKERS:
            return _be(data, i + 7, 2), _be(data, i + 5, 2)
        i += 2 + _be(data, i + 2, 2)
    raise InvalidMediaError("JPEG without a frame header")


def _be(data: bytes, start: int, length: int) -> int:
    if start + length > len(data):
        raise IndexError(start)
    return int.from_bytes(data[start : start + length], "big")


def _le(data: bytes, start: int, length: int) -> int:
    if start + length > len(data):
        raise IndexError(start)
    return int.from_bytes(data[start : start + length], "little")
