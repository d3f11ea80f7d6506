"""Reference images (edit inputs, first/last frames) as adapters see them.

The API fetches and validates every reference image before payment and stores it in the object
store; the job input then carries ``_references``: a list of
``{"key", "contentType", "width", "height"}`` (optionally ``"field"``: the request field the
image came from, such as ``images``, ``image``, ``lastFrame`` or ``referenceImages``). Adapters
never see the caller's URLs: they read the bytes through an injected :data:`ReferenceReader`
(``ObjectStore.get`` fits) and send them upstream inline.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio402.providers.base import GenerationRequest, UnsupportedRequestError

__all__ = [
    "REFERENCES_FIELD",
    "Reference",
    "ReferenceReader",
    "by_field",
    "describe",
    "load_references",
]

REFERENCES_FIELD = "_references"
"""The job-input key listing the stored reference images."""

ReferenceReader = Callable[[str], Awaitable[bytes]]
"""Reads one stored object's bytes by key (``ObjectStore.get``)."""


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference image: its bytes, media type, pixel size and the request field it fills."""

    data: bytes = field(repr=False)
    content_type: str
    width: int
    height: int
    key: str
    field: str | None = None

    @property
    def base64(self) -> str:
        """The bytes as standard base64."""
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_uri(self) -> str:
        """The bytes as a ``data:`` URI (what fal, xAI and BFL accept in place of a URL)."""
        return f"data:{self.content_type};base64,{self.base64}"


def describe(request: GenerationRequest) -> list[dict[str, Any]]:
    """The ``_references`` entries of a request, checked for shape.

    Raises:
        UnsupportedRequestError: ``_references`` is present but not a list of objects with a
            string ``key``.
    """
    raw = request.input.get(REFERENCES_FIELD) or []
    if not isinstance(raw, list) or not all(
        isinstance(item, dict) and isinstance(item.get("key"), str) for item in raw
    ):
        raise UnsupportedRequestError(f"{REFERENCES_FIELD} must be a list of {{key, ...}} objects")
    return raw


async def load_references(
    request: GenerationRequest, reader: ReferenceReader | None
) -> list[Reference]:
    """Read every reference image of ``request`` in order (an empty list when it has none).

    Raises:
        UnsupportedRequestError: malformed ``_references``, or references without a reader.
        StorageError: a stored reference could not be read (retryable).
    """
    entries = describe(request)
    if not entries:
        return []
    if reader is None:
        raise UnsupportedRequestError("this provider was built without a reference reader")
    loaded = []
    for entry in entries:
        data = await reader(entry["key"])
        loaded.append(
            Reference(
                data=data,
                content_type=str(entry.get("contentType") or "image/png"),
                width=int(entry.get("width") or 0),
                height=int(entry.get("height") or 0),
                key=entry["key"],
                field=entry.get("field"),
            )
        )
    return loaded


def by_field(
    references: Sequence[Reference], name: str, position: int | None = None
) -> list[Reference]:
    """The references tagged with field ``name``; when none is tagged at all, the one at
    ``position`` in order (or all of them when ``position`` is None)."""
    tagged = [ref for ref in references if ref.field == name]
    if tagged or any(ref.field for ref in references):
        return tagged
    if position is None:
        return list(references)
    return [references[position]] if position < len(references) else []
