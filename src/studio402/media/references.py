"""Reference images of a request: loaded, checked and stored before any payment is taken.

Each value of an ``image`` / ``image_list`` field is loaded from where it points: a ``data:``
URI is decoded; a signed ``/files/...`` URL of this very server (an upload, or an earlier result)
is read from the object store directly, never over HTTP; any other http(s) URL goes through the
SSRF-safe :class:`~studio402.media.fetch.ImageFetcher`. The bytes are then inspected
(:func:`~studio402.media.images.inspect_image`) and stored under a content-addressed key
``inputs/ab/cd/<sha256>.<ext>``.

The job input keeps the request's fields (a ``data:`` URI replaced by its stored key, so inputs
never carry raw bytes) plus ``_references``: one entry per image, in field order, with the
``field``, ``index`` (None for single-image fields), ``key``, ``contentType``, ``width``,
``height``, ``bytes`` and ``sha256``. Workers and provider adapters read the stored keys, never
the URLs.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from studio402.catalog import Operation
from studio402.clock import Clock
from studio402.errors import (
    InvalidMediaError,
    InvalidReferenceError,
    InvalidRequestError,
    Studio402Error,
)
from studio402.media.addresses import AddressPolicy
from studio402.media.datauri import decode_data_uri, is_data_uri
from studio402.media.fetch import ImageFetcher
from studio402.media.images import ImageInfo, inspect_image
from studio402.settings import Settings
from studio402.storage.store import ObjectNotFoundError, ObjectStore
from studio402.storage.urls import UrlSigner

__all__ = [
    "INPUTS_PREFIX",
    "OwnFiles",
    "Reference",
    "ReferenceResolver",
    "build_resolver",
    "input_key",
]

INPUTS_PREFIX = "inputs"
REFERENCES_FIELD = "_references"


def input_key(data: bytes, extension: str) -> str:
    """The content-addressed key ``inputs/ab/cd/<sha256>.<ext>`` of reference bytes."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{INPUTS_PREFIX}/{digest[:2]}/{digest[2:4]}/{digest}.{extension}"


@dataclass(frozen=True)
class Reference:
    """One stored reference image."""

    field: str
    index: int | None
    key: str
    info: ImageInfo
    size: int
    sha256: str

    @property
    def location(self) -> str:
        """How issues name it: ``images.2`` or ``image``."""
        return self.field if self.index is None else f"{self.field}.{self.index}"

    def to_json(self) -> dict[str, Any]:
        """The ``_references`` entry the worker reads."""
        return {
            "field": self.field,
            "index": self.index,
            "key": self.key,
            "contentType": self.info.content_type,
            "width": self.info.width,
            "height": self.info.height,
            "bytes": self.size,
            "sha256": self.sha256,
        }


class OwnFiles:
    """Recognises this server's signed file URLs and reads them from the store."""

    def __init__(
        self,
        public_url: str,
        signer: UrlSigner,
        store: ObjectStore,
        clock: Clock,
        prefix: str = "/files",
    ) -> None:
        """``public_url`` is the origin clients see (``Settings.resolved_public_url``)."""
        self._origin = _origin(public_url)
        self._prefix = prefix.rstrip("/") + "/"
        self._signer = signer
        self._store = store
        self._clock = clock

    def owns(self, url: str) -> bool:
        """True when ``url`` is on this server's public origin (it is then never fetched)."""
        return _origin(url) == self._origin

    async def read(self, url: str) -> bytes:
        """The stored bytes behind a signed ``/files/<key>?exp=&sig=`` URL of this server.

        Raises:
            InvalidMediaError: not a file URL, a bad or expired signature, or a missing object.
        """
        parts = urlsplit(url)
        if not parts.path.startswith(self._prefix):
            raise InvalidMediaError("a URL of this server must be a signed /files/ URL")
        key = unquote(parts.path[len(self._prefix) :])
        query = parse_qs(parts.query)
        exp, sig = query.get("exp", [""])[0], query.get("sig", [""])[0]
        if not exp.isdigit() or not sig:
            raise InvalidMediaError("the file URL is not signed")
        try:
            self._signer.verify(key, int(exp), sig, self._clock.now().timestamp())
            return await self._store.get(key)
        except ObjectNotFoundError as exc:
            raise InvalidMediaError("the file no longer exists") from exc
        except (Studio402Error, ValueError) as exc:
            raise InvalidMediaError(f"the file URL is not valid: {exc}") from exc


class ReferenceResolver:
    """Loads, checks and stores the reference images of a validated request body."""

    def __init__(
        self,
        fetcher: ImageFetcher,
        store: ObjectStore,
        own_files: OwnFiles,
        *,
        max_bytes: int,
        max_pixels: int,
        concurrency: int = 4,
    ) -> None:
        """Caps apply to each image; ``concurrency`` bounds the fetches in flight."""
        self.fetcher = fetcher
        self.store = store
        self.own_files = own_files
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.concurrency = concurrency

    async def resolve(self, operation: Operation, values: dict[str, Any]) -> dict[str, Any]:
        """The job input for ``values``: references stored, ``_references`` added.

        Raises:
            InvalidReferenceError: one issue per refused image, named ``field`` or
                ``field.index``.
            StorageError: the store failed.
        """
        wanted: list[tuple[str, int | None, str]] = []
        for spec in operation.image_fields:
            value = values.get(spec.name)
            if isinstance(value, str):
                wanted.append((spec.name, None, value))
            elif isinstance(value, list):
                wanted.extend((spec.name, i, item) for i, item in enumerate(value))
        if not wanted:
            return values
        gate = asyncio.Semaphore(self.concurrency)

        async def one(field: str, index: int | None, value: str) -> Reference:
            async with gate:
                return await self._reference(field, index, value)

        outcomes = await asyncio.gather(*(one(*w) for w in wanted), return_exceptions=True)
        issues = []
        for (field, index, _), outcome in zip(wanted, outcomes, strict=True):
            if isinstance(outcome, InvalidRequestError):
                location = field if index is None else f"{field}.{index}"
                issues.append({"field": location, "message": outcome.message, "type": outcome.code})
            elif isinstance(outcome, BaseException):
                raise outcome
        if issues:
            summary = "; ".join(f"{i['field']}: {i['message']}" for i in issues)
            raise InvalidReferenceError(f"reference images refused: {summary}", issues=issues)
        references = [o for o in outcomes if isinstance(o, Reference)]
        return _job_input(values, wanted, references)

    async def _reference(self, field: str, index: int | None, value: str) -> Reference:
        data = await self._load(value)
        info = await asyncio.to_thread(
            inspect_image, data, max_bytes=self.max_bytes, max_pixels=self.max_pixels
        )
        key = input_key(data, info.extension)
        stored = await self.store.put(key, data, info.content_type)
        return Reference(field, index, key, info, stored.size, stored.sha256)

    async def _load(self, value: str) -> bytes:
        if is_data_uri(value):
            return decode_data_uri(value, self.max_bytes)
        if self.own_files.owns(value):
            return await self.own_files.read(value)
        return (await self.fetcher.fetch(value)).data


def _job_input(
    values: dict[str, Any], wanted: list[tuple[str, int | None, str]], references: list[Reference]
) -> dict[str, Any]:
    stored = dict(values)
    for (field, index, value), reference in zip(wanted, references, strict=True):
        if not is_data_uri(value):
            continue
        if index is None:
            stored[field] = reference.key
        else:
            stored[field] = [*stored[field]]
            stored[field][index] = reference.key
    stored[REFERENCES_FIELD] = [reference.to_json() for reference in references]
    return stored


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def build_resolver(
    settings: Settings, store: ObjectStore, signer: UrlSigner, clock: Clock, **fetcher_options: Any
) -> ReferenceResolver:
    """The resolver ``Settings.media`` describes; ``fetcher_options`` (``resolver``,
    ``transport``) go to the :class:`ImageFetcher` (tests pass fakes there)."""
    media = settings.media
    fetcher = ImageFetcher(
        AddressPolicy(media.allow_networks, media.allow_hosts),
        max_bytes=media.max_image_bytes,
        timeout_s=media.fetch_timeout_s,
        max_redirects=media.max_redirects,
        **fetcher_options,
    )
    return ReferenceResolver(
        fetcher,
        store,
        OwnFiles(settings.resolved_public_url, signer, store, clock),
        max_bytes=media.max_image_bytes,
        max_pixels=media.max_image_pixels,
        concurrency=media.fetch_concurrency,
    )
