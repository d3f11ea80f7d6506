"""Image inspection: sniffed formats, header sizes, caps, bombs and impostors."""

from __future__ import annotations

import base64
import time

import pytest
from PIL import Image

from studio402.errors import InvalidMediaError, PayloadTooLargeError
from studio402.media.datauri import decode_data_uri
from studio402.media.images import inspect_image, sniff

from .samples import image_bytes, png_bomb

CAPS = {"max_bytes": 10_000_000, "max_pixels": 40_000_000}


@pytest.mark.parametrize(
    ("fmt", "kwargs", "content_type"),
    [
        ("PNG", {}, "image/png"),
        ("JPEG", {}, "image/jpeg"),
        ("GIF", {}, "image/gif"),
        ("WEBP", {}, "image/webp"),
        ("WEBP", {"lossless": True}, "image/webp"),
    ],
)
def test_real_images_are_sniffed_and_sized_from_their_headers(
    fmt: str, kwargs: dict[str, object], content_type: str
) -> None:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (123, 45), "blue").save(buffer, format=fmt, **kwargs)
    info = inspect_image(buffer.getvalue(), **CAPS)
    assert (info.content_type, info.width, info.height) == (content_type, 123, 45)


def test_a_webp_with_an_extended_header() -> None:
    import io

    buffer = io.BytesIO()
    Image.new("RGBA", (64, 20), (0, 0, 0, 0)).save(buffer, format="WEBP", exif=b"Exif\x00\x00")
    info = inspect_image(buffer.getvalue(), **CAPS)
    assert (info.width, info.height) == (64, 20)


def test_a_file_that_claims_to_be_png_but_is_html_is_refused() -> None:
    with pytest.raises(InvalidMediaError, match="not a PNG, JPEG, GIF or WebP"):
        inspect_image(b"<html><body>not an image</body></html>", **CAPS)
    assert sniff(b"%PDF-1.7") is None


def test_a_png_bomb_is_refused_from_its_header_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = png_bomb()
    assert len(bomb) < 200_000

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Pillow must not be reached")

    monkeypatch.setattr(Image, "open", never)
    started = time.perf_counter()
    with pytest.raises(InvalidMediaError, match="30000x30000 = 900000000 pixels"):
        inspect_image(bomb, **CAPS)
    assert time.perf_counter() - started < 0.5


def test_pillows_own_limit_applies_when_smaller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(InvalidMediaError, match="the limit is 1000"):
        inspect_image(image_bytes(size=(40, 30)), **CAPS)


def test_byte_cap_and_truncated_files() -> None:
    with pytest.raises(PayloadTooLargeError):
        inspect_image(image_bytes(), max_bytes=10, max_pixels=10_000)
    png = image_bytes(size=(300, 300), colour="green")
    with pytest.raises(InvalidMediaError):
        inspect_image(png[: len(png) // 2], **CAPS)
    with pytest.raises(InvalidMediaError, match="truncated"):
        inspect_image(png[:20], **CAPS)
    with pytest.raises(InvalidMediaError, match="JPEG"):
        inspect_image(b"\xff\xd8\xff\xe0\x00\x10JFIF", **CAPS)


def test_header_size_must_match_what_pillow_reads() -> None:
    png = bytearray(image_bytes(size=(40, 30)))
    png[16:20] = (41).to_bytes(4, "big")  # IHDR width, CRC now wrong too
    with pytest.raises(InvalidMediaError):
        inspect_image(bytes(png), **CAPS)


def test_data_uris() -> None:
    png = image_bytes()
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    assert decode_data_uri(uri, 10_000) == png
    with pytest.raises(PayloadTooLargeError):
        decode_data_uri(uri, 10)
    with pytest.raises(InvalidMediaError, match="only base64"):
        decode_data_uri("data:image/png,%89PNG", 10_000)
    with pytest.raises(InvalidMediaError, match="valid base64"):
        decode_data_uri("data:image/png;base64,@@@@", 10_000)
    with pytest.raises(InvalidMediaError, match="','"):
        decode_data_uri("data:image/png;base64", 10_000)
