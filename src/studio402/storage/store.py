"""The object store: one async API over a local directory, S3 (or an S3-compatible server), GCS
and Azure, backed by ``obstore``.

Every foreign error is translated here: a missing object raises ``ObjectNotFoundError``, anything
else the backend reports raises ``StorageError``. Keys are checked with ``keys.validate_key``.

Note that obstore's remote backends also read the ``AWS_*`` / ``GOOGLE_*`` / ``AZURE_*``
environment variables on their own; values passed in ``options`` take precedence.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import obstore
import obstore.exceptions
import obstore.store

from studio402.errors import ConfigError, StorageError
from studio402.storage.keys import validate_key

__all__ = ["ObjectNotFoundError", "ObjectStore", "ObjectStream", "StoredObject"]

MAX_PRESIGN_S = 7 * 24 * 3600
"""Longest lifetime of a presigned URL (the S3 SigV4 limit)."""

_CLIENT_OPTION_KEYS = frozenset(
    {
        "allow_http",
        "allow_invalid_certificates",
        "connect_timeout",
        "http1_only",
        "http2_only",
        "pool_idle_timeout",
        "proxy_url",
        "read_timeout",
        "timeout",
        "user_agent",
    }
)
_REMOTE_SCHEMES = frozenset({"s3", "s3a", "gs", "az", "azure", "abfs", "abfss", "https", "http"})
_HASH_IN_THREAD_BYTES = 1 << 20
_OBSTORE_ERRORS = (obstore.exceptions.BaseError, OSError, NotImplementedError)


class ObjectNotFoundError(StorageError):
    """The object does not exist (it may have been swept)."""

    code = "object_not_found"
    status = 404
    retryable = False


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What ``ObjectStore.put`` wrote: the key, its size in bytes, media type and SHA-256 hex."""

    key: str
    size: int
    content_type: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ObjectStream:
    """An object opened for reading: its size, last change (aware UTC) and byte chunks."""

    key: str
    size: int
    last_modified: datetime
    chunks: AsyncIterator[bytes]


@contextmanager
def _translated(key: str) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError as exc:
        raise ObjectNotFoundError(key=key) from exc
    except _OBSTORE_ERRORS as exc:
        raise StorageError(f"object store failed on {key!r}: {exc}", key=key) from exc


class ObjectStore:
    """Async access to one bucket (or directory) through obstore."""

    def __init__(self, backend: obstore.store.ObjectStore) -> None:
        """Wrap an obstore backend; most callers use ``ObjectStore.from_url`` instead."""
        self._backend = backend

    @classmethod
    def from_url(cls, url: str, *, options: Mapping[str, str] | None = None) -> ObjectStore:
        """Open a store from a URL and explicit options.

        ``file:///abs/dir`` or a plain filesystem path is a local directory (created if
        missing); ``memory://`` is an in-process store for tests; ``s3://bucket/prefix`` (also
        ``gs://``, ``az://`` and the https URL forms obstore knows) is remote. For remote stores,
        ``options`` holds obstore config keys such as ``endpoint``, ``region``,
        ``access_key_id``, ``secret_access_key``, plus HTTP client keys such as
        ``allow_http="true"`` (needed for an ``http://`` endpoint) and ``timeout="30s"``.

        Raises:
            ConfigError: the URL cannot be used, or options were given for a local store.
        """
        options = dict(options or {})
        scheme = urlsplit(url).scheme.lower()
        if scheme in {"", "file"}:
            if options:
                raise ConfigError("storage options apply to remote object stores only")
            return cls(_local_backend(url, scheme))
        if scheme == "memory":
            return cls(obstore.store.MemoryStore())
        if scheme not in _REMOTE_SCHEMES:
            raise ConfigError(f"unsupported storage URL scheme {scheme!r}")
        # Typed Any: the keys are checked by obstore at run time, per backend.
        client: Any = {k: v for k, v in options.items() if k in _CLIENT_OPTION_KEYS}
        config: Any = {k: v for k, v in options.items() if k not in client}
        try:
            backend = obstore.store.from_url(url, config=config or None, client_options=client)
        except (*_OBSTORE_ERRORS, ValueError) as exc:
            raise ConfigError(f"cannot open object store {url!r}: {exc}") from exc
        return cls(backend)

    @property
    def is_local(self) -> bool:
        """True for a local directory, where nothing can be presigned."""
        return isinstance(self._backend, obstore.store.LocalStore)

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Write ``data`` under ``key`` (atomically, replacing any object there).

        Remote stores also record ``content_type`` as the object's Content-Type, so presigned
        URLs serve it; a local directory keeps only the bytes.

        Raises:
            ValueError: ``key`` is not a valid object key.
            StorageError: the backend failed.
        """
        validate_key(key)
        if len(data) >= _HASH_IN_THREAD_BYTES:
            sha256 = await asyncio.to_thread(_sha256_hex, data)
        else:
            sha256 = _sha256_hex(data)
        attributes = None if self.is_local else {"Content-Type": content_type}
        with _translated(key):
            await obstore.put_async(self._backend, key, data, attributes=attributes)
        return StoredObject(key=key, size=len(data), content_type=content_type, sha256=sha256)

    async def get(self, key: str) -> bytes:
        """Read the whole object at ``key``.

        Raises:
            ValueError: ``key`` is not a valid object key.
            ObjectNotFoundError: no object at ``key``.
            StorageError: the backend failed.
        """
        validate_key(key)
        with _translated(key):
            result = await obstore.get_async(self._backend, key)
            return bytes(await result.bytes_async())

    async def open(self, key: str, *, chunk_size: int = 256 * 1024) -> ObjectStream:
        """Open the object at ``key`` for streaming; a missing object fails here, not mid-stream.

        Raises:
            ValueError: ``key`` is not a valid object key.
            ObjectNotFoundError: no object at ``key``.
            StorageError: the backend failed.
        """
        validate_key(key)
        with _translated(key):
            result = await obstore.get_async(self._backend, key)
        meta = result.meta
        chunks = result.stream(min_chunk_size=chunk_size)

        async def _iterate() -> AsyncIterator[bytes]:
            with _translated(key):
                async for chunk in chunks:
                    yield bytes(chunk)

        return ObjectStream(
            key=key, size=meta["size"], last_modified=meta["last_modified"], chunks=_iterate()
        )

    async def delete(self, key: str) -> None:
        """Delete the object at ``key``; deleting a missing object is not an error.

        Raises:
            ValueError: ``key`` is not a valid object key.
            StorageError: the backend failed.
        """
        validate_key(key)
        try:
            with _translated(key):
                await obstore.delete_async(self._backend, key)
        except ObjectNotFoundError:
            return

    async def list_older_than(self, prefix: str, cutoff: datetime) -> list[str]:
        """Return the keys under ``prefix`` whose last modification is before ``cutoff``.

        ``prefix`` matches whole path segments (``"results"`` lists ``results/...``, not
        ``results2/...``); an empty prefix lists the whole store. ``cutoff`` must be aware.

        Raises:
            ValueError: ``cutoff`` is naive.
            StorageError: the backend failed.
        """
        if cutoff.tzinfo is None or cutoff.utcoffset() is None:
            raise ValueError("cutoff must be an aware datetime")
        keys: list[str] = []
        with _translated(prefix):
            async for batch in obstore.list(self._backend, prefix.strip("/") or None):
                keys.extend(meta["path"] for meta in batch if meta["last_modified"] < cutoff)
        return keys

    async def presign_get(self, key: str, expires_s: int) -> str | None:
        """Return a presigned GET URL valid for ``expires_s`` seconds, or None when the store
        cannot sign (a local directory or the memory store: serve through ``/files`` instead).

        Raises:
            ValueError: ``key`` is invalid or ``expires_s`` is outside 1..604800.
            StorageError: signing failed.
        """
        validate_key(key)
        if not 1 <= expires_s <= MAX_PRESIGN_S:
            raise ValueError(f"expires_s must be within 1..{MAX_PRESIGN_S}, got {expires_s}")
        backend = self._backend
        if not isinstance(
            backend, obstore.store.S3Store | obstore.store.GCSStore | obstore.store.AzureStore
        ):
            return None
        with _translated(key):
            return await obstore.sign_async(backend, "GET", key, timedelta(seconds=expires_s))


def _local_backend(url: str, scheme: str) -> obstore.store.LocalStore:
    if scheme == "file":
        parts = urlsplit(url)
        if parts.netloc not in {"", "localhost"}:
            raise ConfigError(f"file URL must name a local path: {url!r}")
        path = Path(unquote(parts.path))
    else:
        path = Path(url).expanduser()
    try:
        return obstore.store.LocalStore(path.absolute(), mkdir=True, automatic_cleanup=True)
    except _OBSTORE_ERRORS as exc:
        raise ConfigError(f"cannot open local store at {str(path)!r}: {exc}") from exc


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
