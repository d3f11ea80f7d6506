"""Turning upstream answers into :class:`Output` values: download temporary output URLs, sniff
what the bytes really are, and read their pixel size (and a video's duration).

Download decisions, so the worker's retry follows them:

* no URL in a finished answer, or 403/404/410 from the file host: the output expired or never
  existed, :class:`UpstreamOutputExpiredError` (retryable: a new attempt generates it again);
* 429 / 5xx / timeouts: transient, retryable;
* bytes that are not an image or video we can read, or larger than ``max_bytes``:
  :class:`ProviderError` (retryable; the upstream may do better next time).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError

from studio402.errors import ProviderError
from studio402.providers._upstream import error_for_status, parse_retry_after, translate_httpx
from studio402.providers.base import Output, OutputKind
from studio402.providers.errors import UpstreamOutputExpiredError

__all__ = ["download", "image_output", "sniff", "video_output", "video_outputs"]

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
"""Largest output accepted from an upstream (a long 4K video fits)."""

_EXPIRED = frozenset({403, 404, 410})


def sniff(data: bytes) -> str | None:
    """The media type the bytes' magic number says (PNG, JPEG, WebP, GIF, MP4/MOV, WebM)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


async def download(
    http: httpx.AsyncClient,
    url: str | None,
    *,
    vendor: str,
    timeout_s: float = 120.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """Fetch a finished output from ``url`` (redirects followed) and return its bytes.

    Raises:
        UpstreamOutputExpiredError: no URL, or the host answers 403/404/410.
        ProviderError: transport failures, 429/5xx, a non-http(s) URL or an oversized body.
    """
    if not url:
        raise UpstreamOutputExpiredError(f"{vendor} finished but returned no output URL")
    if not url.startswith(("https://", "http://")):
        raise ProviderError(f"{vendor} returned an output URL we do not fetch: {url[:60]!r}")
    try:
        async with http.stream(
            "GET", url, headers=dict(headers or {}), timeout=timeout_s, follow_redirects=True
        ) as response:
            if response.status_code in _EXPIRED:
                raise UpstreamOutputExpiredError(
                    f"{vendor}'s output URL answered {response.status_code} "
                    "(expired or removed); the generation must run again"
                )
            if response.status_code >= 400:
                await response.aread()
                raise error_for_status(
                    f"{vendor} file host",
                    response.status_code,
                    response.text,
                    retry_after_s=parse_retry_after(response.headers.get("retry-after")),
                )
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderError(f"{vendor}'s output is larger than {max_bytes} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise translate_httpx(f"{vendor} file host", exc) from exc
    return b"".join(chunks)


def image_output(data: bytes, *, vendor: str, metadata: Mapping[str, Any] | None = None) -> Output:
    """An image :class:`Output` from bytes: type sniffed, size read from the header.

    Raises:
        ProviderError: the bytes are not an image Pillow can read.
    """
    content_type = sniff(data)
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ProviderError(f"{vendor} returned bytes that are not a readable image") from exc
    if content_type is None or not content_type.startswith("image/"):
        raise ProviderError(f"{vendor} returned an image of an unsupported type")
    return Output(
        data=data,
        content_type=content_type,
        kind="image",
        width=width,
        height=height,
        metadata=dict(metadata or {}),
    )


def video_output(
    data: bytes,
    *,
    vendor: str,
    metadata: Mapping[str, Any] | None = None,
    kind: OutputKind = "video",
) -> Output:
    """A video :class:`Output` from bytes: type sniffed, size and duration read by PyAV.

    Raises:
        ProviderError: the bytes are not a video PyAV can open.
    """
    from studio402.providers.local_video import probe_video

    content_type = sniff(data)
    if content_type is None or not content_type.startswith("video/"):
        raise ProviderError(f"{vendor} returned bytes that are not a video")
    try:
        probe = probe_video(data)
    except ValueError as exc:
        raise ProviderError(f"{vendor} returned a video we cannot read: {exc}") from exc
    return Output(
        data=data,
        content_type="video/mp4" if content_type == "video/quicktime" else content_type,
        kind=kind,
        width=probe.width,
        height=probe.height,
        duration_s=probe.duration_s,
        metadata=dict(metadata or {}),
    )


def video_outputs(
    data: bytes, *, vendor: str, metadata: Mapping[str, Any] | None = None
) -> tuple[Output, ...]:
    """The video :class:`Output` and, when a frame can be decoded, a JPEG ``thumbnail`` of it.

    Raises:
        ProviderError: the bytes are not a video PyAV can open.
    """
    from studio402.providers.local_video import thumbnail_from_video

    video = video_output(data, vendor=vendor, metadata=metadata)
    try:
        jpeg = thumbnail_from_video(data)
    except ValueError:
        return (video,)
    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    thumbnail = Output(
        data=jpeg, content_type="image/jpeg", kind="thumbnail", width=width, height=height
    )
    return (video, thumbnail)
