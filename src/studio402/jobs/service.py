"""What the job routes read and change: one job with its payment, a payer's list, soft delete."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.db.tables import jobs, payments
from studio402.errors import InvalidRequestError, JobError, JobNotFoundError
from studio402.jobs.models import Job, JobStatus


@dataclass(frozen=True)
class PaymentSummary:
    """The settlement behind a job."""

    transaction: str | None
    amount_atomic: int
    network: str
    protocol: str


@dataclass(frozen=True)
class JobView:
    """A job and its payment, as the API shows them."""

    job: Job
    payment: PaymentSummary


class JobNotDeletableError(JobError):
    """Only failed jobs can be deleted."""

    code = "job_not_deletable"
    status = 409


def _select_views() -> Select[Any]:
    return select(
        jobs,
        payments.c.tx_hash,
        payments.c.amount_atomic,
        payments.c.network,
        payments.c.protocol,
    ).join(payments, payments.c.id == jobs.c.payment_id)


def _view(row: object) -> JobView:
    mapping = row._mapping  # type: ignore[attr-defined]
    return JobView(
        Job.from_row(row),  # type: ignore[arg-type]
        PaymentSummary(
            mapping["tx_hash"], mapping["amount_atomic"], mapping["network"], mapping["protocol"]
        ),
    )


async def get_job(engine: AsyncEngine, job_id: str) -> JobView:
    """One live (not deleted) job, or :class:`JobNotFoundError`."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                _select_views().where(and_(jobs.c.id == job_id, jobs.c.deleted_at.is_(None)))
            )
        ).first()
    if row is None:
        raise JobNotFoundError(f"no job '{job_id}'")
    return _view(row)


async def wait_for_update(engine: AsyncEngine, view: JobView, timeout_s: float) -> JobView:
    """Return as soon as the job changes (or is final), else after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    delay = 0.05
    current = view
    while current.job.status in (JobStatus.PENDING, JobStatus.LOADING):
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.5)
        current = await get_job(engine, view.job.id)
        if current.job.updated_at != view.job.updated_at:
            break
    return current


async def list_jobs(
    engine: AsyncEngine,
    payer: str,
    *,
    limit: int,
    status: JobStatus | None = None,
    cursor: str | None = None,
) -> tuple[list[JobView], str | None]:
    """The payer's jobs, newest first, and the cursor of the next page (or ``None``)."""
    conditions = [jobs.c.payer == payer.lower(), jobs.c.deleted_at.is_(None)]
    if status is not None:
        conditions.append(jobs.c.status == status)
    if cursor:
        created_at, job_id = _decode_cursor(cursor)
        conditions.append(
            or_(
                jobs.c.created_at < created_at,
                and_(jobs.c.created_at == created_at, jobs.c.id < job_id),
            )
        )
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                _select_views()
                .where(and_(*conditions))
                .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
                .limit(limit + 1)
            )
        ).all()
    views = [_view(row) for row in rows[:limit]]
    next_cursor = _encode_cursor(views[-1].job) if len(rows) > limit else None
    return views, next_cursor


async def soft_delete(engine: AsyncEngine, job_id: str, payer: str, now: datetime) -> None:
    """Hide a failed job of ``payer``; :class:`JobNotDeletableError` for any other status."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(jobs)
            .where(
                and_(
                    jobs.c.id == job_id,
                    jobs.c.payer == payer.lower(),
                    jobs.c.status == JobStatus.FAILED,
                    jobs.c.deleted_at.is_(None),
                )
            )
            .values(deleted_at=now, updated_at=now)
        )
    if result.rowcount != 1:
        raise JobNotDeletableError(f"job '{job_id}' is not failed; only failed jobs can be deleted")


def _encode_cursor(job: Job) -> str:
    raw = json.dumps([job.created_at.isoformat(), job.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, job_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created_at), str(job_id)
    except (ValueError, TypeError) as exc:
        raise InvalidRequestError(
            "invalid cursor", issues=[{"field": "cursor", "message": "not a cursor"}]
        ) from exc
