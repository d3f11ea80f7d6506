"""``data:`` URIs (RFC 2397) carrying base64 image bytes."""

from __future__ import annotations

import base64
import binascii

from studio402.errors import InvalidMediaError, PayloadTooLargeError

__all__ = ["decode_data_uri", "is_data_uri"]


def is_data_uri(value: str) -> bool:
    """True for a ``data:`` URI (any case)."""
    return value[:5].lower() == "data:"


def decode_data_uri(uri: str, max_bytes: int) -> bytes:
    """The bytes of a base64 ``data:`` URI; its declared media type is ignored (bytes are
    sniffed later). The size is checked before decoding.

    Raises:
        PayloadTooLargeError: the decoded bytes would exceed ``max_bytes``.
        InvalidMediaError: not base64, or malformed.
    """
    header, comma, payload = uri.partition(",")
    if not comma:
        raise InvalidMediaError("a data: URI needs a ',' before its data")
    if not header.lower().endswith(";base64"):
        raise InvalidMediaError("only base64 data: URIs are accepted (data:image/png;base64,...)")
    if len(payload) // 4 * 3 > max_bytes + 2:
        raise PayloadTooLargeError(f"the data: URI holds more than {max_bytes} bytes")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidMediaError(f"the data: URI is not valid base64: {exc}") from exc
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"the data: URI holds {len(data)} bytes; limit {max_bytes}")
    return data
