"""The jobs table is the queue: claim with a lease, heartbeat, finish (DESIGN.md decision 9).

A worker claims a job by setting ``status='loading'``, ``lease_owner`` (its id) and
``lease_expires_at``; a job whose lease ran out (its worker crashed) can be claimed again. Every
later write is conditional on ``status='loading' AND lease_owner=<worker>``, so a worker that lost
its lease cannot overwrite what the next owner does: each job is finished once, in effect.

``updated_at`` moves only on changes a client can see (status, progress, result, error), never on
a heartbeat, so long-pollers wake only for news.

Claims are one statement per dialect. PostgreSQL picks rows with ``FOR UPDATE SKIP LOCKED`` in a
CTE and updates them, so concurrent claimers never wait on or share a row. SQLite runs
``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING *`` (SQLite 3.35+): it has one writer and
our engine begins every transaction IMMEDIATE, so the select and the update cannot interleave
with another claim.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.clock import Clock
from studio402.db.tables import jobs
from studio402.errors import ConfigError
from studio402.jobs.models import Job, JobStatus

__all__ = ["JobQueue"]

_SQLITE_RETURNING = (3, 35, 0)
_FIRST_WAIT_S = 0.05
_MAX_WAIT_S = 1.0
_TERMINAL = (JobStatus.COMPLETE, JobStatus.FAILED)
_ERROR_KEYS = frozenset({"code", "message", "retryable"})


class JobQueue:
    """Claims, leases and finishes jobs stored in the ``jobs`` table."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        """Use ``engine`` (SQLite 3.35+ or PostgreSQL) and take every "now" from ``clock``.

        Raises:
            ConfigError: the SQLite library is too old for ``UPDATE ... RETURNING``.
        """
        dialect = engine.dialect.name
        if dialect == "sqlite" and sqlite3.sqlite_version_info < _SQLITE_RETURNING:
            raise ConfigError(
                f"SQLite {sqlite3.sqlite_version} is too old for the job queue (needs 3.35+)"
            )
        if dialect not in {"sqlite", "postgresql"}:
            raise ConfigError(f"the job queue supports SQLite and PostgreSQL, not {dialect}")
        self._engine = engine
        self._clock = clock
        self._postgres = dialect == "postgresql"

    async def claim(self, worker_id: str, lease_s: float, limit: int = 1) -> list[Job]:
        """Take up to ``limit`` runnable jobs for ``worker_id`` with a lease of ``lease_s``.

        Runnable means ``pending`` with ``run_after <= now``, or ``loading`` with an expired
        lease, and not deleted; oldest ``run_after`` first. Claimed jobs become ``loading`` with
        ``progress`` 0 and one more attempt. No job is ever handed to two live leases.

        Raises:
            ValueError: ``limit`` < 1 or ``lease_s`` <= 0.
        """
        if limit < 1 or lease_s <= 0:
            raise ValueError("claim needs limit >= 1 and lease_s > 0")
        now = self._clock.now()
        runnable = and_(
            jobs.c.deleted_at.is_(None),
            or_(
                and_(jobs.c.status == JobStatus.PENDING, jobs.c.run_after <= now),
                and_(jobs.c.status == JobStatus.LOADING, jobs.c.lease_expires_at < now),
            ),
        )
        picked = select(jobs.c.id).where(runnable).order_by(jobs.c.run_after, jobs.c.id)
        picked = picked.limit(limit)
        if self._postgres:
            cte = picked.with_for_update(skip_locked=True).cte("picked")
            target: ColumnElement[bool] = jobs.c.id == cte.c.id
        else:
            target = jobs.c.id.in_(picked)
        statement = (
            update(jobs)
            .where(target)
            .values(
                status=JobStatus.LOADING,
                progress=0,
                attempts=jobs.c.attempts + 1,
                lease_owner=worker_id,
                lease_expires_at=now + timedelta(seconds=lease_s),
                updated_at=now,
            )
            .returning(*jobs.c)
        )
        async with self._engine.begin() as conn:
            rows = (await conn.execute(statement)).all()
        claimed = [Job.from_row(row) for row in rows]
        return sorted(claimed, key=lambda job: (job.created_at, job.id))

    async def heartbeat(self, job_id: str, worker_id: str, lease_s: float) -> bool:
        """Extend the lease to now + ``lease_s``; False means it is lost: abandon the job."""
        until = self._clock.now() + timedelta(seconds=lease_s)
        return await self._update_owned(job_id, worker_id, lease_expires_at=until)

    async def progress(self, job_id: str, worker_id: str, percent: int) -> bool:
        """Record progress (0-100) of an owned job; False if the lease is lost.

        Raises:
            ValueError: ``percent`` is outside 0..100.
        """
        if not 0 <= percent <= 100:
            raise ValueError(f"progress must be within 0..100, got {percent}")
        return await self._update_owned(
            job_id, worker_id, progress=percent, updated_at=self._clock.now()
        )

    async def complete(self, job_id: str, worker_id: str, result: dict[str, Any]) -> bool:
        """Finish an owned job with ``result`` (object keys, not URLs); False if refused."""
        return await self._update_owned(
            job_id,
            worker_id,
            status=JobStatus.COMPLETE,
            progress=100,
            result_json=json.dumps(result),
            error_json=None,
            lease_expires_at=None,
            updated_at=self._clock.now(),
        )

    async def fail(self, job_id: str, worker_id: str, error: dict[str, Any]) -> bool:
        """Finish an owned job as failed; ``error`` is ``{"code", "message", "retryable"}``.

        Returns False if refused (the lease is lost). The job keeps its payment id for credit.

        Raises:
            ValueError: ``error`` lacks one of the three keys.
        """
        return await self._update_owned(
            job_id,
            worker_id,
            status=JobStatus.FAILED,
            error_json=_error_json(error),
            lease_expires_at=None,
            updated_at=self._clock.now(),
        )

    async def retry_later(
        self, job_id: str, worker_id: str, delay_s: float, error: dict[str, Any]
    ) -> bool:
        """Put an owned job back to ``pending``, runnable ``delay_s`` from now; keep ``error``.

        Returns False if refused (the lease is lost).

        Raises:
            ValueError: ``delay_s`` is negative, or ``error`` lacks a key.
        """
        if delay_s < 0:
            raise ValueError(f"delay_s must not be negative, got {delay_s}")
        now = self._clock.now()
        return await self._update_owned(
            job_id,
            worker_id,
            status=JobStatus.PENDING,
            progress=0,
            error_json=_error_json(error),
            run_after=now + timedelta(seconds=delay_s),
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )

    async def release(self, job_id: str, worker_id: str) -> bool:
        """Give an owned job back (graceful shutdown): ``pending`` now, the attempt not counted.

        Returns False if the job was not ours any more.
        """
        now = self._clock.now()
        return await self._update_owned(
            job_id,
            worker_id,
            status=JobStatus.PENDING,
            progress=0,
            attempts=case((jobs.c.attempts > 0, jobs.c.attempts - 1), else_=0),
            run_after=now,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )

    async def get(self, job_id: str) -> Job | None:
        """The job with ``job_id`` (deleted ones included), or None."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return None if row is None else Job.from_row(row)

    async def wait_for_change(self, job_id: str, since: datetime, timeout_s: float) -> Job | None:
        """Wait up to ``timeout_s`` until the job changes after ``since``; return it as it is.

        Returns at once when the job's ``updated_at`` is later than ``since`` or the job is
        already complete or failed; otherwise polls (50 ms, doubling up to 1 s) and returns the
        unchanged job at the timeout. Returns None when there is no such job.
        """
        loop = asyncio.get_running_loop()
        give_up = loop.time() + max(timeout_s, 0.0)
        wait_s = _FIRST_WAIT_S
        while True:
            job = await self.get(job_id)
            if job is None or job.updated_at > since or job.status in _TERMINAL:
                return job
            left = give_up - loop.time()
            if left <= 0:
                return job
            await asyncio.sleep(min(wait_s, left))
            wait_s = min(wait_s * 2, _MAX_WAIT_S)

    async def _update_owned(self, job_id: str, worker_id: str, **values: Any) -> bool:
        owned = and_(
            jobs.c.id == job_id,
            jobs.c.status == JobStatus.LOADING,
            jobs.c.lease_owner == worker_id,
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(update(jobs).where(owned).values(**values))
        return result.rowcount == 1


def _error_json(error: dict[str, Any]) -> str:
    missing = _ERROR_KEYS - error.keys()
    if missing:
        raise ValueError(f"error is missing {', '.join(sorted(missing))}")
    return json.dumps(error)
