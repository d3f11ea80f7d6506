"""Object-key naming: content-addressed result keys and the content type of a key.

A result is stored under the SHA-256 of its bytes, fanned out over two directory levels so no
directory grows too large: ``results/ab/cd/abcd...ef.png``. Writing the same bytes twice writes
the same key, so re-hosting is idempotent.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "CONTENT_TYPES",
    "RESULTS_PREFIX",
    "content_type_for",
    "extension_for",
    "result_key",
    "validate_key",
]

RESULTS_PREFIX = "results"
"""Top-level prefix of every generated result."""

CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "mp4": "video/mp4",
    "webm": "video/webm",
}
"""Media type per file extension, for the types we store and serve."""

_DEFAULT_CONTENT_TYPE = "application/octet-stream"
_EXTENSION = re.compile(r"[a-z0-9]{1,10}")
_SEGMENT = re.compile(r"[A-Za-z0-9_.=-]+")
_MAX_KEY_LENGTH = 1024


def result_key(data: bytes, extension: str) -> str:
    """Return the content-addressed key ``results/ab/cd/<sha256>.<ext>`` for ``data``.

    ``extension`` may carry a leading dot and any case (``".PNG"`` gives ``png``).

    Raises:
        ValueError: the extension is not 1-10 ASCII letters or digits.
    """
    ext = extension.removeprefix(".").lower()
    if not _EXTENSION.fullmatch(ext):
        raise ValueError(f"invalid file extension {extension!r}")
    digest = hashlib.sha256(data).hexdigest()
    return f"{RESULTS_PREFIX}/{digest[:2]}/{digest[2:4]}/{digest}.{ext}"


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe object key, else raise ``ValueError``.

    A safe key is ``/``-separated segments of ASCII letters, digits and ``_ . = -``, with no
    empty, ``.`` or ``..`` segment, no leading or trailing slash, and at most 1024 characters.
    """
    if not key or len(key) > _MAX_KEY_LENGTH:
        raise ValueError(f"invalid object key {key!r}")
    for segment in key.split("/"):
        if segment in {".", ".."} or not _SEGMENT.fullmatch(segment):
            raise ValueError(f"invalid object key {key!r}")
    return key


def content_type_for(key: str) -> str:
    """Guess the media type of ``key`` from its extension (``application/octet-stream``)."""
    _, dot, ext = key.rpartition("/")[2].rpartition(".")
    if not dot:
        return _DEFAULT_CONTENT_TYPE
    return CONTENT_TYPES.get(ext.lower(), _DEFAULT_CONTENT_TYPE)


def extension_for(content_type: str) -> str:
    """Return the usual file extension (no dot) for a media type.

    Parameters such as ``; charset=...`` are ignored.

    Raises:
        ValueError: the media type is not one we store.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "image/jpeg":
        return "jpg"
    for ext, known in CONTENT_TYPES.items():
        if known == media_type:
            return ext
    raise ValueError(f"unsupported content type {content_type!r}")
