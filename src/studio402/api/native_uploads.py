"""``POST /api/uploads``: a native multipart upload (field ``file``), in one request.

Free, and authenticated with SIGN-IN-WITH-X or a session token. To keep free storage from being
abused it is limited: at most ``media.native_uploads_per_hour`` uploads per wallet per hour
(429 with ``Retry-After`` beyond), files of at most ``media.max_image_bytes`` (a
``Content-Length`` is required), images only (sniffed, pixel-capped), and, unless the operator
turns ``media.native_uploads_need_payment`` off, only for wallets that have paid here before
(a first-time wallet uses ``POST /api/upload`` or a ``data:`` URI). The answer has the same
``upload`` document as ``POST /api/upload/confirm``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from studio402.api.deps import ServicesDep
from studio402.api.problems import problem
from studio402.api.uploads import store_image, upload_document
from studio402.api.wallet import CallerDep
from studio402.errors import ForbiddenError, InvalidRequestError, PayloadTooLargeError
from studio402.media import uploads

__all__ = ["router"]

router = APIRouter(tags=["uploads"])

_MULTIPART_OVERHEAD = 65_536


@router.post(
    "/api/uploads", summary="Upload a reference image (multipart, signed in)", response_model=None
)
async def native_upload(
    request: Request, caller: CallerDep, services: ServicesDep, response: Response
) -> dict[str, Any] | Response:
    """Store the multipart ``file`` and answer ``{success, upload: {id, url, ...}}``."""
    media = services.settings.media
    if not media.native_uploads:
        return problem(404, "not_found", "native uploads are turned off; use POST /api/upload")
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return problem(411, "length_required", "send a Content-Length")
    if int(declared) > media.max_image_bytes + _MULTIPART_OVERHEAD:
        raise PayloadTooLargeError(f"files are limited to {media.max_image_bytes} bytes")
    address = caller.address
    if media.native_uploads_need_payment and not await uploads.has_settled_payment(
        services.engine, address
    ):
        raise ForbiddenError(
            "native uploads are for wallets that have paid here before; use POST /api/upload "
            "($0.01) or put a data: URI in the request"
        )
    now = services.clock.now()
    recent = await uploads.count_native_since(services.engine, address, now - timedelta(hours=1))
    if recent >= media.native_uploads_per_hour:
        return problem(
            429,
            "rate_limited",
            f"at most {media.native_uploads_per_hour} uploads per hour per wallet",
            headers={"Retry-After": "600"},
        )
    form = await request.form(max_files=1, max_fields=4)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidRequestError(
            "a multipart field named 'file' is required",
            issues=[{"field": "file", "message": "missing file"}],
        )
    data = await file.read(media.max_image_bytes + 1)
    await form.close()
    info, stored = await store_image(services, data)
    upload = await uploads.create_native(
        services.engine,
        address,
        (file.filename or "upload")[:255],
        stored.key,
        info,
        stored.size,
        stored.sha256,
        now,
    )
    caller.annotate(response)
    response.headers["Cache-Control"] = "no-store"
    return {"success": True, "upload": upload_document(services, upload)}
