"""Upload records: paid one-time upload slots (StableStudio's flow) and native uploads.

A paid slot is created by the payment that bought it, in the transaction that marks the payment
settled (:func:`create_for_payment`, called by ``payments.fulfilment``)::

    pending ──PUT bytes──▶ uploaded ──confirm (SIWX, payer only)──▶ confirmed

A native multipart upload is written ``confirmed`` at once. Either way the bytes live in the
object store under a content-addressed ``inputs/...`` key.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from studio402.db.tables import payments, uploads
from studio402.errors import UploadNotFoundError, UploadStateError
from studio402.media.images import ImageInfo

__all__ = [
    "DECLARABLE_TYPES",
    "Upload",
    "UploadStatus",
    "count_native_since",
    "create_for_payment",
    "create_native",
    "get",
    "has_settled_payment",
    "id_for_payment",
    "mark_confirmed",
    "mark_uploaded",
    "new_upload_id",
]

DECLARABLE_TYPES = ("image/jpeg", "image/jpg", "image/png", "image/gif", "image/webp")
"""The ``contentType`` values ``POST /api/upload`` accepts (StableStudio's list)."""


class UploadStatus(StrEnum):
    """Where an upload stands."""

    PENDING = "pending"
    UPLOADED = "uploaded"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Upload:
    """A row of ``uploads``."""

    id: str
    payment_id: str | None
    payer: str
    source: str
    filename: str
    declared_type: str
    declared_size: int | None
    status: UploadStatus
    object_key: str | None
    content_type: str | None
    size_bytes: int | None
    width: int | None
    height: int | None
    sha256: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> Upload:
        """Build from an ``uploads`` row."""
        values = dict(row._mapping)
        values["status"] = UploadStatus(values["status"])
        return cls(**values)


def new_upload_id() -> str:
    """An opaque upload id such as ``upl_3f0c...``."""
    return "upl_" + secrets.token_hex(12)


async def create_for_payment(
    conn: AsyncConnection, payment_id: str, payer: str, input_json: str, now: datetime
) -> str:
    """Insert the pending slot a settled upload payment bought; return its id.

    ``input_json`` is the validated ``POST /api/upload`` body (filename, contentType, size).
    """
    body = json.loads(input_json)
    upload_id = new_upload_id()
    await conn.execute(
        insert(uploads).values(
            id=upload_id,
            payment_id=payment_id,
            payer=payer,
            source="paid",
            filename=body["filename"],
            declared_type=body["contentType"],
            declared_size=body.get("size"),
            status=UploadStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
    )
    return upload_id


async def id_for_payment(conn: AsyncConnection, payment_id: str) -> str | None:
    """The upload slot created for a settled payment, if any."""
    query = select(uploads.c.id).where(uploads.c.payment_id == payment_id)
    row = (await conn.execute(query)).first()
    return None if row is None else str(row[0])


async def get(engine: AsyncEngine, upload_id: str) -> Upload:
    """Load one upload.

    Raises:
        UploadNotFoundError: no such upload.
    """
    async with engine.connect() as conn:
        row = (await conn.execute(select(uploads).where(uploads.c.id == upload_id))).first()
    if row is None:
        raise UploadNotFoundError(f"no upload {upload_id!r}")
    return Upload.from_row(row)


async def mark_uploaded(
    engine: AsyncEngine,
    upload_id: str,
    key: str,
    info: ImageInfo,
    size: int,
    sha256: str,
    now: datetime,
) -> Upload:
    """Record the bytes of a pending slot; only the first PUT wins.

    Raises:
        UploadStateError: the slot was already used.
    """
    async with engine.begin() as conn:
        result = await conn.execute(
            update(uploads)
            .where(and_(uploads.c.id == upload_id, uploads.c.status == UploadStatus.PENDING))
            .values(
                status=UploadStatus.UPLOADED,
                object_key=key,
                content_type=info.content_type,
                size_bytes=size,
                width=info.width,
                height=info.height,
                sha256=sha256,
                updated_at=now,
            )
        )
    if result.rowcount != 1:
        raise UploadStateError("this upload URL was already used")
    return await get(engine, upload_id)


async def mark_confirmed(engine: AsyncEngine, upload_id: str, now: datetime) -> Upload:
    """Confirm an uploaded slot (confirming twice is allowed).

    Raises:
        UploadStateError: nothing was uploaded yet.
    """
    async with engine.begin() as conn:
        await conn.execute(
            update(uploads)
            .where(and_(uploads.c.id == upload_id, uploads.c.status == UploadStatus.UPLOADED))
            .values(status=UploadStatus.CONFIRMED, updated_at=now)
        )
    upload = await get(engine, upload_id)
    if upload.status is not UploadStatus.CONFIRMED:
        raise UploadStateError("nothing was uploaded to this slot yet: PUT the file first")
    return upload


async def create_native(
    engine: AsyncEngine,
    payer: str,
    filename: str,
    key: str,
    info: ImageInfo,
    size: int,
    sha256: str,
    now: datetime,
) -> Upload:
    """Record a native multipart upload (confirmed at once)."""
    upload_id = new_upload_id()
    async with engine.begin() as conn:
        await conn.execute(
            insert(uploads).values(
                id=upload_id,
                payment_id=None,
                payer=payer.lower(),
                source="native",
                filename=filename,
                declared_type=info.content_type,
                declared_size=size,
                status=UploadStatus.CONFIRMED,
                object_key=key,
                content_type=info.content_type,
                size_bytes=size,
                width=info.width,
                height=info.height,
                sha256=sha256,
                created_at=now,
                updated_at=now,
            )
        )
    return await get(engine, upload_id)


async def count_native_since(engine: AsyncEngine, payer: str, since: datetime) -> int:
    """How many native uploads ``payer`` made since ``since``."""
    async with engine.connect() as conn:
        count = await conn.execute(
            select(func.count())
            .select_from(uploads)
            .where(
                and_(
                    uploads.c.payer == payer.lower(),
                    uploads.c.source == "native",
                    uploads.c.created_at >= since,
                )
            )
        )
    return int(count.scalar_one())


async def has_settled_payment(engine: AsyncEngine, payer: str) -> bool:
    """Whether ``payer`` has settled at least one payment here."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(payments.c.id)
                .where(and_(payments.c.payer == payer.lower(), payments.c.status == "settled"))
                .limit(1)
            )
        ).first()
    return row is not None
