"""Queue semantics: claims, leases, ownership, retries and releases, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.clock import FrozenClock, SystemClock
from studio402.db.engine import create_engine
from studio402.jobs.models import JobStatus
from studio402.jobs.queue import JobQueue

from .factories import insert_job, insert_jobs, job_row, set_job

ERROR = {"code": "upstream_unavailable", "message": "503 upstream", "retryable": True}


@pytest.fixture
def queue(db_engine: AsyncEngine, clock: FrozenClock) -> JobQueue:
    return JobQueue(db_engine, clock)


async def test_claim_takes_each_job_once_under_ten_concurrent_claimers(db_url: str) -> None:
    clock = SystemClock()
    setup = create_engine(db_url)
    ids = await insert_jobs(setup, clock.now(), 40)
    await setup.dispose()
    engines = [create_engine(db_url) for _ in range(10)]

    async def claimer(index: int) -> list[str]:
        queue = JobQueue(engines[index], clock)
        taken: list[str] = []
        while batch := await queue.claim(f"w{index}", lease_s=60, limit=2):
            taken.extend(job.id for job in batch)
        return taken

    try:
        results = await asyncio.gather(*(claimer(i) for i in range(10)))
    finally:
        for engine in engines:
            await engine.dispose()
    claimed = [job_id for taken in results for job_id in taken]
    assert len(claimed) == len(set(claimed)) == 40
    assert set(claimed) == set(ids)


async def test_claim_sets_lease_and_counts_the_attempt(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    job_id = await insert_job(db_engine, clock.now())
    clock.advance(1)

    [job] = await queue.claim("w1", lease_s=30)

    assert (job.id, job.status, job.attempts, job.updated_at) == (
        job_id,
        JobStatus.LOADING,
        1,
        clock.now(),
    )
    row = await job_row(db_engine, job_id)
    assert row.lease_owner == "w1"
    assert row.lease_expires_at == clock.now() + timedelta(seconds=30)
    assert await queue.claim("w2", lease_s=30) == []


async def test_claim_respects_limit_and_takes_oldest_first(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    now = clock.now()
    late = await insert_job(db_engine, now, run_after=now - timedelta(seconds=1))
    early = await insert_job(db_engine, now, run_after=now - timedelta(seconds=5))
    await insert_job(db_engine, now)

    assert [job.id for job in await queue.claim("w1", 60, limit=2)] == sorted([early, late])
    assert {job.id for job in await queue.claim("w1", 60, limit=5)} - {early, late}


async def test_claim_skips_future_and_deleted_jobs(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    now = clock.now()
    await insert_job(db_engine, now, run_after=now + timedelta(seconds=10))
    await insert_job(db_engine, now, deleted_at=now)
    expired_but_deleted = await insert_job(db_engine, now)
    [claimed] = await queue.claim("w1", lease_s=5, limit=10)
    assert claimed.id == expired_but_deleted
    await set_job(db_engine, expired_but_deleted, deleted_at=now)

    clock.advance(6)
    assert await queue.claim("w2", lease_s=5, limit=10) == []
    clock.advance(5)
    assert len(await queue.claim("w2", lease_s=5, limit=10)) == 1


async def test_expired_lease_is_reclaimed_and_the_stale_owner_is_refused(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    job_id = await insert_job(db_engine, clock.now())
    await queue.claim("w1", lease_s=10)
    clock.advance(9)
    assert await queue.claim("w2", lease_s=10) == []

    clock.advance(2)
    [job] = await queue.claim("w2", lease_s=10)

    assert (job.id, job.attempts) == (job_id, 2)
    assert not await queue.heartbeat(job_id, "w1", 10)
    assert not await queue.progress(job_id, "w1", 50)
    assert not await queue.complete(job_id, "w1", {"imageKey": "stale"})
    assert not await queue.fail(job_id, "w1", {**ERROR, "retryable": False})
    assert not await queue.retry_later(job_id, "w1", 1, ERROR)
    assert not await queue.release(job_id, "w1")
    assert await queue.complete(job_id, "w2", {"imageKey": "fresh"})
    assert not await queue.complete(job_id, "w1", {"imageKey": "stale"})
    final = await queue.get(job_id)
    assert final is not None
    assert (final.status, final.result, final.progress) == (
        JobStatus.COMPLETE,
        {"imageKey": "fresh"},
        100,
    )


async def test_heartbeat_extends_the_lease_without_touching_updated_at(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    job_id = await insert_job(db_engine, clock.now())
    [claimed] = await queue.claim("w1", lease_s=10)
    clock.advance(8)

    assert await queue.heartbeat(job_id, "w1", 10)
    clock.advance(8)
    assert await queue.claim("w2", lease_s=10) == []
    job = await queue.get(job_id)
    assert job is not None and job.updated_at == claimed.updated_at


async def test_progress_and_failure_are_recorded(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    job_id = await insert_job(db_engine, clock.now())
    await queue.claim("w1", lease_s=10)
    clock.advance(1)

    assert await queue.progress(job_id, "w1", 40)
    job = await queue.get(job_id)
    assert job is not None and (job.progress, job.updated_at) == (40, clock.now())
    with pytest.raises(ValueError, match=r"0\.\.100"):
        await queue.progress(job_id, "w1", 101)
    with pytest.raises(ValueError, match="retryable"):
        await queue.fail(job_id, "w1", {"code": "x", "message": "y"})

    refused = {"code": "content_refused", "message": "no", "retryable": False}
    assert await queue.fail(job_id, "w1", refused)
    job = await queue.get(job_id)
    assert job is not None and (job.status, job.error) == (JobStatus.FAILED, refused)
    assert (await job_row(db_engine, job_id)).lease_expires_at is None


async def test_retry_later_backs_off_and_keeps_the_error(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    job_id = await insert_job(db_engine, clock.now())
    await queue.claim("w1", lease_s=10)

    assert await queue.retry_later(job_id, "w1", 30, ERROR)

    row = await job_row(db_engine, job_id)
    assert (row.status, row.attempts, row.lease_owner) == ("pending", 1, None)
    assert row.run_after == clock.now() + timedelta(seconds=30)
    clock.advance(29)
    assert await queue.claim("w2", lease_s=10) == []
    clock.advance(1)
    [job] = await queue.claim("w2", lease_s=10)
    assert (job.attempts, job.error) == (2, ERROR)
    assert await queue.complete(job_id, "w2", {"imageKey": "k"})
    done = await queue.get(job_id)
    assert done is not None and done.error is None


async def test_release_returns_the_job_without_counting_the_attempt(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    job_id = await insert_job(db_engine, clock.now() - timedelta(seconds=5))
    await queue.claim("w1", lease_s=60)
    await queue.progress(job_id, "w1", 10)

    assert await queue.release(job_id, "w1")

    row = await job_row(db_engine, job_id)
    assert (row.status, row.attempts, row.progress, row.lease_owner) == ("pending", 0, 0, None)
    assert row.run_after == clock.now()
    [job] = await queue.claim("w2", lease_s=60)
    assert job.attempts == 1


async def test_get_returns_none_for_an_unknown_job(queue: JobQueue) -> None:
    assert await queue.get("nope") is None
    assert await queue.wait_for_change("nope", SystemClock().now(), timeout_s=0.1) is None


async def test_wait_for_change_returns_on_news_or_at_the_timeout(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    job_id = await insert_job(db_engine, clock.now())
    [claimed] = await queue.claim("w1", lease_s=60)
    since = claimed.updated_at

    unchanged = await queue.wait_for_change(job_id, since, timeout_s=0.2)
    assert unchanged is not None and unchanged.updated_at == since

    async def report_progress() -> None:
        await asyncio.sleep(0.15)
        clock.advance(1)
        await queue.progress(job_id, "w1", 50)

    loop = asyncio.get_running_loop()
    started = loop.time()
    changed, _ = await asyncio.gather(
        queue.wait_for_change(job_id, since, timeout_s=5), report_progress()
    )
    assert changed is not None and changed.progress == 50
    assert loop.time() - started < 2


async def test_wait_for_change_returns_a_finished_job_at_once(
    queue: JobQueue, db_engine: AsyncEngine, clock: FrozenClock
) -> None:
    job_id = await insert_job(db_engine, clock.now())
    await queue.claim("w1", lease_s=60)
    await queue.complete(job_id, "w1", {"imageKey": "k"})
    loop = asyncio.get_running_loop()
    started = loop.time()

    job = await queue.wait_for_change(job_id, clock.now() + timedelta(hours=1), timeout_s=5)

    assert job is not None and job.status is JobStatus.COMPLETE
    assert loop.time() - started < 1


async def test_claim_rejects_nonsense_arguments(queue: JobQueue) -> None:
    with pytest.raises(ValueError):
        await queue.claim("w1", lease_s=10, limit=0)
    with pytest.raises(ValueError):
        await queue.claim("w1", lease_s=0)
