"""Uploads, StableStudio's way: pay $0.01 for a one-time upload URL, PUT the file, confirm.

1. ``POST /api/upload`` ``{filename, contentType, size?}``: paid through the same gate as a
   generation (x402 or MPP; claim, verify, settle; replays return the same slot). The settled
   payment creates the upload slot in its own transaction. Answer: ``uploadId``, ``uploadUrl``
   (``PUT /api/upload/{id}?token=...`` on this server), ``clientToken`` (the same token, also
   accepted as ``Authorization: Bearer``), ``pathname`` and ``expiresAt``.
2. ``PUT`` the raw bytes: at most ``media.max_image_bytes``, sniffed (PNG, JPEG, GIF, WebP; the
   declared type must match), pixel-capped; one PUT per slot. Answer: the file ``url``.
3. ``POST /api/upload/confirm`` ``{uploadId, blobUrl?}`` (SIGN-IN-WITH-X or session token, the
   payer only): ``{success, upload: {id, blobUrl, url, ...}}``.

The file URL is a signed ``/files/inputs/...`` URL of this server; put it in ``images`` (or
``image``...) and the server reads it from its store instead of fetching it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from datetime import timedelta
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from x402.schemas import ResourceInfo

from studio402.api.bodies import read_limited
from studio402.api.challenge import discovery_extension, payment_required
from studio402.api.deps import ServicesDep
from studio402.api.paywall import payment_of, take_payment
from studio402.api.schemas import UPLOAD_SLOT
from studio402.api.wallet import CallerDep
from studio402.errors import (
    AuthError,
    ForbiddenError,
    InvalidMediaError,
    InvalidRequestError,
    PaymentRequiredError,
    UploadExpiredError,
    UploadStateError,
)
from studio402.media import uploads
from studio402.media.images import ImageInfo, inspect_image
from studio402.media.references import input_key
from studio402.media.uploads import Upload, UploadStatus
from studio402.payments.fulfilment import FulfilmentKind
from studio402.payments.gate import PaidRequest
from studio402.services import Services
from studio402.storage.store import StoredObject

__all__ = ["router", "store_image", "upload_document"]

router = APIRouter(tags=["uploads"])

UPLOAD_PATH = "/api/upload"
_MAX_JSON_BYTES = 16_384
_TOKEN_DOMAIN = b"studio402/uploads/v1\n"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_Model = TypeVar("_Model", bound=BaseModel)


class UploadCreate(BaseModel):
    """``POST /api/upload`` (StableStudio's fields; others are ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    filename: str = Field(min_length=1, max_length=255)
    contentType: Literal["image/jpeg", "image/jpg", "image/png", "image/gif", "image/webp"]  # noqa: N815
    size: int | None = Field(None, ge=1)


class UploadConfirm(BaseModel):
    """``POST /api/upload/confirm``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    uploadId: str = Field(min_length=1, max_length=64)  # noqa: N815
    blobUrl: str | None = None  # noqa: N815


@router.post(UPLOAD_PATH, summary="Buy a one-time upload URL for a reference image ($0.01)")
async def create_upload(request: Request, services: ServicesDep) -> Response:
    """402 with the price, or (paid) the upload slot: ``uploadId``, ``uploadUrl``, ..."""
    raw = await read_limited(request, _MAX_JSON_BYTES)
    payment = payment_of(request)
    amount = services.settings.media.upload_price_atomic
    resource = ResourceInfo(
        url=services.settings.resolved_public_url + UPLOAD_PATH,
        description="One-time upload URL for a reference image",
        mime_type="application/json",
    )
    try:
        body = _parse(UploadCreate, raw).model_dump()
        if body["size"] is not None and body["size"] > services.settings.media.max_image_bytes:
            raise InvalidRequestError(
                "the file is too large",
                issues=[
                    {
                        "field": "size",
                        "message": f"at most {services.settings.media.max_image_bytes} bytes",
                    }
                ],
            )
    except InvalidRequestError as exc:
        if payment:
            raise
        return payment_required(
            services, amount, resource, None, invalid=exc, body=raw, bazaar=_bazaar(services)
        )
    if not payment:
        bazaar = _bazaar(services)
        return payment_required(services, amount, resource, None, body=raw, bazaar=bazaar)
    paid = PaidRequest(UPLOAD_PATH, "upload", "upload", body, amount, FulfilmentKind.UPLOAD)
    try:
        taken = await take_payment(
            services, request, payment, paid, body=raw, resource_url=resource.url
        )
    except PaymentRequiredError as exc:
        return payment_required(
            services,
            amount,
            resource,
            exc,
            settle=exc.details.get("settle"),
            body=raw,
            bazaar=_bazaar(services),
        )
    upload = await uploads.get(services.engine, taken.job.job_id)
    token = upload_token(services, upload.id)
    expires_at = upload.created_at + timedelta(seconds=services.settings.media.upload_slot_ttl_s)
    public = services.settings.resolved_public_url
    document = {
        "success": True,
        "uploadId": upload.id,
        "clientToken": token,
        "uploadUrl": f"{public}{UPLOAD_PATH}/{upload.id}?token={token}",
        "method": "PUT",
        "pathname": _pathname(upload),
        "contentType": upload.declared_type,
        "maxBytes": upload.declared_size or services.settings.media.max_image_bytes,
        "expiresAt": expires_at.isoformat(),
    }
    return JSONResponse(document, headers={**taken.headers, "Cache-Control": "no-store"})


@router.put(UPLOAD_PATH + "/{upload_id}", summary="Upload the file to a paid upload slot")
async def put_upload(
    upload_id: str, request: Request, services: ServicesDep, token: str | None = None
) -> dict[str, Any]:
    """Store the request body (raw image bytes) in the slot; answers the file URL."""
    authorization = request.headers.get("authorization", "")
    if token is None and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    expected = upload_token(services, upload_id).encode()
    if not token or not hmac.compare_digest(expected, token.encode("utf-8", "replace")):
        raise AuthError("invalid upload token")
    upload = await uploads.get(services.engine, upload_id)
    if upload.status is not UploadStatus.PENDING:
        raise UploadStateError("this upload URL was already used")
    ttl = timedelta(seconds=services.settings.media.upload_slot_ttl_s)
    if services.clock.now() >= upload.created_at + ttl:
        raise UploadExpiredError()
    limit = upload.declared_size or services.settings.media.max_image_bytes
    data = await read_limited(request, min(limit, services.settings.media.max_image_bytes))
    info, stored = await store_image(services, data)
    declared = "image/jpeg" if upload.declared_type == "image/jpg" else upload.declared_type
    if info.content_type != declared:
        raise InvalidMediaError(f"the file is {info.content_type}, the upload declared {declared}")
    upload = await uploads.mark_uploaded(
        services.engine,
        upload.id,
        stored.key,
        info,
        stored.size,
        stored.sha256,
        services.clock.now(),
    )
    return upload_document(services, upload)


@router.post(UPLOAD_PATH + "/confirm", summary="Confirm an upload and get its file URL")
async def confirm_upload(
    request: Request, caller: CallerDep, services: ServicesDep, response: Response
) -> dict[str, Any]:
    """``{success, upload: {id, blobUrl, url, ...}}`` for the wallet that paid for the slot."""
    body = _parse(UploadConfirm, await read_limited(request, _MAX_JSON_BYTES))
    upload = await uploads.get(services.engine, body.uploadId)
    if upload.payer.lower() != caller.address.lower():
        raise ForbiddenError("this wallet did not pay for the upload")
    upload = await uploads.mark_confirmed(services.engine, upload.id, services.clock.now())
    caller.annotate(response)
    response.headers["Cache-Control"] = "no-store"
    return {"success": True, "upload": upload_document(services, upload)}


def _bazaar(services: Services) -> dict[str, Any]:
    """The x402 ``bazaar`` extension of ``POST /api/upload``: body schema, example, answer."""
    public = services.settings.resolved_public_url
    answer = {
        "success": True,
        "uploadId": "upl_example",
        "method": "PUT",
        "uploadUrl": f"{public}{UPLOAD_PATH}/upl_example?token=...",
    }
    example = {"filename": "reference.png", "contentType": "image/png", "size": 524288}
    return discovery_extension(example, UploadCreate.model_json_schema(), answer, UPLOAD_SLOT)


def upload_token(services: Services, upload_id: str) -> str:
    """The one-time upload token of a slot: an HMAC of its id under the server secret."""
    key = hashlib.sha256(b"studio402/uploads" + services.settings.secret_bytes).digest()
    return hmac.new(key, _TOKEN_DOMAIN + upload_id.encode(), hashlib.sha256).hexdigest()


async def store_image(services: Services, data: bytes) -> tuple[ImageInfo, StoredObject]:
    """Check ``data`` as an image and store it under its content-addressed ``inputs/`` key.

    Raises:
        PayloadTooLargeError, InvalidMediaError: the bytes are refused.
    """
    media = services.settings.media
    info = await asyncio.to_thread(
        inspect_image, data, max_bytes=media.max_image_bytes, max_pixels=media.max_image_pixels
    )
    stored = await services.store.put(input_key(data, info.extension), data, info.content_type)
    return info, stored


def upload_document(services: Services, upload: Upload) -> dict[str, Any]:
    """An upload as clients see it, with a fresh signed file URL (``url`` = ``blobUrl``)."""
    ttl_s = services.settings.media.upload_url_ttl_s
    expires = services.clock.now() + timedelta(seconds=ttl_s)
    url = None
    if upload.object_key:
        url = services.settings.resolved_public_url + services.signer.sign(
            upload.object_key, int(expires.timestamp())
        )
    return {
        "id": upload.id,
        "uploadId": upload.id,
        "status": upload.status.value,
        "url": url,
        "blobUrl": url,
        "downloadUrl": url,
        "pathname": _pathname(upload),
        "contentType": upload.content_type,
        "size": upload.size_bytes,
        "width": upload.width,
        "height": upload.height,
        "urlExpiresAt": expires.isoformat() if url else None,
    }


def _parse(model: type[_Model], raw: bytes) -> _Model:
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        issues = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        raise InvalidRequestError("invalid request body", issues=issues) from exc


def _pathname(upload: Upload) -> str:
    name = _UNSAFE.sub("-", upload.filename).strip("-.") or "file"
    return f"uploads/{upload.id}/{name[:100]}"
