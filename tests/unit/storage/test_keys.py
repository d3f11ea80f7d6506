"""Content-addressed keys, key validation and media types."""

from __future__ import annotations

import hashlib

import pytest

from studio402.storage.keys import content_type_for, extension_for, result_key, validate_key


def test_result_key_is_content_addressed_and_fanned_out() -> None:
    data = b"hello"
    digest = hashlib.sha256(data).hexdigest()
    assert result_key(data, "png") == f"results/{digest[:2]}/{digest[2:4]}/{digest}.png"
    assert result_key(data, "png") == result_key(b"hello", "png")
    assert result_key(b"other", "png") != result_key(data, "png")


def test_result_key_normalises_the_extension() -> None:
    assert result_key(b"x", ".MP4").endswith(".mp4")


@pytest.mark.parametrize("extension", ["", ".", "p/ng", "png?x", "a" * 11, "pn g"])
def test_result_key_rejects_bad_extensions(extension: str) -> None:
    with pytest.raises(ValueError, match="extension"):
        result_key(b"x", extension)


@pytest.mark.parametrize("key", ["results/ab/cd/x.png", "a", "a-b_c.d=e/f"])
def test_validate_key_accepts_safe_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/abs",
        "trailing/",
        "a//b",
        "../x",
        "a/../b",
        "a/./b",
        "sp ace",
        "nl\nx",
        "é",
        "a" * 1025,
    ],
)
def test_validate_key_rejects_unsafe_keys(key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        validate_key(key)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("results/a.png", "image/png"),
        ("results/a.JPG", "image/jpeg"),
        ("a.jpeg", "image/jpeg"),
        ("a.webp", "image/webp"),
        ("a.mp4", "video/mp4"),
        ("a.svg", "image/svg+xml"),
        ("a.bin", "application/octet-stream"),
        ("noext", "application/octet-stream"),
        ("dir.png/noext", "application/octet-stream"),
    ],
)
def test_content_type_for_guesses_from_the_extension(key: str, expected: str) -> None:
    assert content_type_for(key) == expected


def test_extension_for_maps_media_types_back() -> None:
    assert extension_for("image/png") == "png"
    assert extension_for("image/jpeg") == "jpg"
    assert extension_for("Video/MP4; codecs=avc1") == "mp4"
    with pytest.raises(ValueError, match="unsupported content type"):
        extension_for("text/html")
