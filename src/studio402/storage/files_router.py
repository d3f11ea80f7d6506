"""``GET /files/{key}?exp=&sig=``: stream a stored object to whoever holds a valid signed URL.

No ``from __future__ import annotations`` here: FastAPI must evaluate the ``Depends`` closures
in the route signature.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse, StreamingResponse

from studio402.clock import Clock, SystemClock
from studio402.errors import Studio402Error
from studio402.storage.keys import content_type_for
from studio402.storage.store import ObjectNotFoundError, ObjectStore
from studio402.storage.urls import SignedUrlError, UrlSigner

__all__ = ["build_files_router"]

_MAX_EXP_DIGITS = 12
_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


def build_files_router(
    get_store: Callable[..., ObjectStore] | Callable[..., Awaitable[ObjectStore]],
    get_signer: Callable[..., UrlSigner] | Callable[..., Awaitable[UrlSigner]],
    *,
    clock: Clock | None = None,
    prefix: str = "/files",
) -> APIRouter:
    """Build the router that serves signed file URLs.

    ``get_store`` and ``get_signer`` are FastAPI dependencies (for example
    ``lambda request: request.app.state.store``, or ``lambda: store``), so the objects can be
    built in the lifespan and overridden in tests. ``clock`` defaults to the system clock.
    ``prefix`` must match the signer's ``route_prefix``.

    Answers: 200 with the bytes, the media type guessed from the key's extension and
    ``Cache-Control: private, max-age=<seconds left>``; 403 ``{"error": {...}}`` for a missing,
    wrong or expired signature; 404 ``{"error": {...}}`` when the object is gone.
    """
    clock = clock or SystemClock()
    router = APIRouter(prefix=prefix)

    @router.get("/{key:path}", name="get_file", include_in_schema=False)
    async def get_file(
        key: str,
        store: Annotated[ObjectStore, Depends(get_store)],
        signer: Annotated[UrlSigner, Depends(get_signer)],
        exp: str | None = None,
        sig: str | None = None,
    ) -> Response:
        now = clock.now().timestamp()
        if exp is None or sig is None or not _is_unix_time(exp):
            return _error(SignedUrlError())
        expires_at = int(exp)
        try:
            signer.verify(key, expires_at, sig, now)
            stream = await store.open(key)
        except Studio402Error as exc:
            return _error(exc)
        except ValueError:
            return _error(ObjectNotFoundError(key=key))
        headers = {
            "Cache-Control": f"private, max-age={max(0, int(expires_at - now))}",
            "Content-Length": str(stream.size),
            "Content-Security-Policy": _CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
        }
        return StreamingResponse(stream.chunks, media_type=content_type_for(key), headers=headers)

    return router


def _is_unix_time(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= _MAX_EXP_DIGITS


def _error(exc: Studio402Error) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message}}
    return JSONResponse(body, status_code=exc.status, headers={"Cache-Control": "no-store"})
