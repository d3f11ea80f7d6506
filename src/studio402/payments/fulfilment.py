"""What a settled payment buys, created in the transaction that marks it settled.

A payment record carries a ``kind``: ``job`` (a generation, the default) or ``upload`` (a
one-time upload slot, ``POST /api/upload``). :func:`fulfil` creates exactly one of them for the
record, inside the caller's transaction, so a settled payment and what it bought are written
together or not at all; :func:`fulfilment_id` finds it again (replays, the reconciler).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from studio402.db.tables import jobs
from studio402.ids import new_job_id
from studio402.jobs.models import JobStatus
from studio402.media import uploads

if TYPE_CHECKING:
    from studio402.payments.records import PaymentRecord

__all__ = ["FulfilmentKind", "fulfil", "fulfilment_id", "job_id_for"]


class FulfilmentKind(StrEnum):
    """What a payment buys."""

    JOB = "job"
    UPLOAD = "upload"


async def fulfil(conn: AsyncConnection, record: PaymentRecord, now: datetime) -> str:
    """Create what ``record`` paid for (a job or an upload slot) and return its id.

    Raises:
        ValueError: an unknown kind (never written by the gate).
    """
    kind = FulfilmentKind(record.kind)
    if kind is FulfilmentKind.UPLOAD:
        return await uploads.create_for_payment(
            conn, record.id, record.payer, record.input_json, now
        )
    job_id = new_job_id()
    await conn.execute(
        insert(jobs).values(
            id=job_id,
            type=f"{record.model}-{record.operation}",
            model=record.model,
            operation=record.operation,
            input_json=record.input_json,
            payer=record.payer,
            payment_id=record.id,
            status=JobStatus.PENDING,
            progress=0,
            attempts=0,
            run_after=now,
            created_at=now,
            updated_at=now,
        )
    )
    return job_id


async def fulfilment_id(conn: AsyncConnection, record: PaymentRecord) -> str | None:
    """The id of what ``record`` bought, if it exists yet."""
    if FulfilmentKind(record.kind) is FulfilmentKind.UPLOAD:
        return await uploads.id_for_payment(conn, record.id)
    return await job_id_for(conn, record.id)


async def job_id_for(conn: AsyncConnection, payment_id: str) -> str | None:
    """The job created for a settled payment, if any."""
    row = (await conn.execute(select(jobs.c.id).where(jobs.c.payment_id == payment_id))).first()
    return None if row is None else str(row[0])
