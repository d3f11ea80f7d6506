"""Job rows for tests: each job gets the settled payment row its foreign key needs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.db.tables import jobs, payments
from studio402.ids import new_job_id, new_payment_id
from studio402.jobs.models import JobStatus

PAYER = "0x" + "ab" * 20
INPUT_1K = {"prompt": "a lighthouse at dusk", "aspectRatio": "1:1", "imageSize": "1K"}


async def insert_job(
    engine: AsyncEngine,
    now: datetime,
    *,
    model: str = "nano-banana-pro",
    operation: str = "generate",
    input: dict[str, Any] | None = None,
    **columns: Any,
) -> str:
    """Insert a pending job (runnable at ``now``) and its payment; ``columns`` override the job."""
    payment_id = new_payment_id()
    job_id = new_job_id()
    body = json.dumps(input if input is not None else INPUT_1K)
    async with engine.begin() as conn:
        await conn.execute(
            insert(payments).values(
                id=payment_id,
                protocol="x402",
                network="eip155:31337",
                asset="0x" + "cd" * 20,
                payer=PAYER,
                pay_to="0x" + "ef" * 20,
                amount_atomic=134000,
                nonce="0x" + payment_id.removeprefix("pay_").rjust(64, "0"),
                valid_before=2**40,
                status="settled",
                payload_sha256="0" * 64,
                payload_json="{}",
                requirements_json="{}",
                route=f"/api/generate/{model}/{operation}",
                model=model,
                operation=operation,
                input_json=body,
                created_at=now,
                updated_at=now,
            )
        )
        values: dict[str, Any] = {
            "id": job_id,
            "type": f"{model}-{operation}",
            "model": model,
            "operation": operation,
            "input_json": body,
            "payer": PAYER,
            "payment_id": payment_id,
            "status": JobStatus.PENDING,
            "progress": 0,
            "attempts": 0,
            "run_after": now,
            "created_at": now,
            "updated_at": now,
        }
        await conn.execute(insert(jobs).values({**values, **columns}))
    return job_id


async def insert_jobs(engine: AsyncEngine, now: datetime, count: int, **kwargs: Any) -> list[str]:
    """Insert ``count`` jobs with :func:`insert_job`; return their ids in insertion order."""
    return [await insert_job(engine, now, **kwargs) for _ in range(count)]


async def job_row(engine: AsyncEngine, job_id: str) -> Row[Any]:
    """The raw ``jobs`` row (lease columns included)."""
    async with engine.connect() as conn:
        return (await conn.execute(select(jobs).where(jobs.c.id == job_id))).one()


async def set_job(engine: AsyncEngine, job_id: str, **values: Any) -> None:
    """Overwrite columns of a job directly (to stage crashes, thefts and deletions)."""
    async with engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
