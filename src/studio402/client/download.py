"""Saving a job's output: stream its (short-lived, signed) URL to a file, atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from studio402.client._http import api_error
from studio402.client.errors import ApiError, ConnectionFailedError
from studio402.client.models import Job

__all__ = ["EXTENSIONS", "default_name", "is_expired", "stream_to_file"]

EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
}
EXPIRED_STATUSES = frozenset({401, 403, 404, 410})


def default_name(job: Job, content_type: str | None = None) -> str:
    """``studio402-<job id><ext>``, the extension from the content type or the URL."""
    ctype = (content_type or str(job.result.get("contentType") or "")).split(";")[0].strip()
    extension = EXTENSIONS.get(ctype)
    if extension is None:
        url_path = (job.media_url or "").split("?")[0]
        extension = Path(url_path).suffix or ".bin"
    return f"studio402-{job.id}{extension}"


def _target(job: Job, path: Path | None, content_type: str) -> Path:
    if path is None:
        return Path.cwd() / default_name(job, content_type)
    if path.is_dir():
        return path / default_name(job, content_type)
    return path


async def stream_to_file(
    http: httpx.AsyncClient,
    url: str,
    job: Job,
    path: Path | None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, int]:
    """GET ``url`` into ``path`` (a file, a directory, or ``None`` for the current directory).

    Returns the final path and the byte count. Raises :class:`ApiError` with ``status`` in
    ``EXPIRED_STATUSES`` when the signed URL no longer works (the caller re-mints it).
    """
    try:
        async with http.stream("GET", url) as response:
            if not response.is_success:
                await response.aread()
                raise api_error(response, "download")
            target = _target(job, path, response.headers.get("content-type", ""))
            target.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".studio402-", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as handle:
                    async for chunk in response.aiter_bytes():
                        handle.write(chunk)
                        size += len(chunk)
                        if on_progress is not None:
                            on_progress(size, int(response.headers.get("content-length") or 0))
                os.replace(tmp, target)
            except BaseException:
                os.unlink(tmp)
                raise
    except httpx.TransportError as exc:
        raise ConnectionFailedError(f"download failed: {type(exc).__name__}: {exc}") from exc
    return target, size


def is_expired(exc: ApiError) -> bool:
    """True if a download error means the signed URL expired (mint a new one by polling)."""
    return exc.http_status in EXPIRED_STATUSES
