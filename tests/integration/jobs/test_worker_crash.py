"""Crashes and restarts: a real worker process is killed mid-job, and no job is lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.catalog import Catalog
from studio402.clock import SystemClock
from studio402.db.engine import create_engine
from studio402.db.migrate import upgrade
from studio402.jobs.models import JobStatus
from studio402.jobs.queue import JobQueue
from studio402.jobs.worker import Worker
from studio402.providers.local import LocalProvider
from studio402.providers.registry import ProviderRegistry
from studio402.storage.store import ObjectStore
from tests.databases import BACKENDS, database_url
from tests.unit.jobs.factories import insert_job, insert_jobs, job_row

WORKER_SCRIPT = Path(__file__).with_name("worker_proc.py")
LEASE_S = 1.5


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "objects"


@pytest.fixture
async def spawn_worker(
    db_url: str, store_dir: Path, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[asyncio.subprocess.Process]]]:
    """Start ``worker_proc.py`` as a real process; all are killed and reaped at teardown."""
    processes: list[asyncio.subprocess.Process] = []

    async def spawn(worker_id: str, sleep_s: float) -> asyncio.subprocess.Process:
        log = (tmp_path / f"{worker_id}.log").open("wb")
        args = [db_url, store_dir.as_uri(), worker_id, str(sleep_s), str(LEASE_S), "0.3"]
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER_SCRIPT), *args, stdout=log, stderr=log
        )
        log.close()
        processes.append(process)
        return process

    yield spawn
    for process in processes:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def in_process_worker(engine: AsyncEngine, store_dir: Path, worker_id: str) -> Worker:
    clock = SystemClock()
    registry = ProviderRegistry.from_catalog(
        Catalog.load(), [LocalProvider()], route_all_to="local"
    )
    return Worker(
        JobQueue(engine, clock),
        registry,
        ObjectStore.from_url(store_dir.as_uri()),
        clock,
        worker_id=worker_id,
        lease_s=LEASE_S,
        heartbeat_s=0.3,
        poll_interval_s=0.05,
    )


async def wait_for(check: Callable[[], Awaitable[bool]], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        await asyncio.sleep(0.05)


async def test_killed_worker_job_is_finished_once_by_another_worker(
    engine: AsyncEngine,
    store_dir: Path,
    spawn_worker: Callable[..., Awaitable[asyncio.subprocess.Process]],
) -> None:
    job_id = await insert_job(engine, SystemClock().now())
    process = await spawn_worker("proc-1", sleep_s=60)

    async def claimed_by_process() -> bool:
        row = await job_row(engine, job_id)
        return bool(row.status == "loading" and row.lease_owner == "proc-1")

    await wait_for(claimed_by_process)
    first_lease = (await job_row(engine, job_id)).lease_expires_at
    await wait_for(lambda: _lease_later_than(engine, job_id, first_lease), timeout_s=LEASE_S * 2)
    process.send_signal(signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL

    queue = JobQueue(engine, SystemClock())
    successor = in_process_worker(engine, store_dir, "w-2")
    expires = (await job_row(engine, job_id)).lease_expires_at
    if (expires - SystemClock().now()).total_seconds() > 0.5:
        assert await successor.run_until_idle() == 0
    await asyncio.sleep(max(0.0, (expires - SystemClock().now()).total_seconds()) + 0.1)
    assert await successor.run_until_idle() == 1

    job = await queue.get(job_id)
    assert job is not None and job.result is not None
    assert (job.status, job.attempts) == (JobStatus.COMPLETE, 2)
    result = job.result
    assert (await ObjectStore.from_url(store_dir.as_uri()).get(result["imageKey"]))[
        :4
    ] == b"\x89PNG"
    assert not await queue.complete(job_id, "proc-1", {"imageKey": "late-and-stale"})
    assert not await queue.heartbeat(job_id, "proc-1", LEASE_S)
    after = await queue.get(job_id)
    assert after is not None and after.result == result


async def test_sigterm_releases_the_running_job_for_the_next_worker(
    engine: AsyncEngine,
    store_dir: Path,
    spawn_worker: Callable[..., Awaitable[asyncio.subprocess.Process]],
) -> None:
    job_id = await insert_job(engine, SystemClock().now())
    process = await spawn_worker("proc-1", sleep_s=60)
    await wait_for(lambda: _status_is(engine, job_id, "loading"))

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=10) == 0

    row = await job_row(engine, job_id)
    assert (row.status, row.attempts, row.lease_owner) == ("pending", 0, None)
    assert await in_process_worker(engine, store_dir, "w-2").run_until_idle() == 1
    assert (await job_row(engine, job_id)).status == "complete"


async def test_a_server_restart_loses_no_job(db_url: str, store_dir: Path) -> None:
    first = create_engine(db_url)
    clock = SystemClock()
    ids = await insert_jobs(first, clock.now(), 6)
    orphaned = await JobQueue(first, clock).claim("gone-with-the-server", lease_s=0.3, limit=2)
    assert len(orphaned) == 2
    await first.dispose()
    await asyncio.sleep(0.4)

    second = create_engine(db_url)
    try:
        assert await in_process_worker(second, store_dir, "after-restart").run_until_idle() == 6
        statuses = {(await job_row(second, job_id)).status for job_id in ids}
    finally:
        await second.dispose()
    assert statuses == {"complete"}


async def _status_is(engine: AsyncEngine, job_id: str, status: str) -> bool:
    return str((await job_row(engine, job_id)).status) == status


async def _lease_later_than(engine: AsyncEngine, job_id: str, previous: object) -> bool:
    return bool((await job_row(engine, job_id)).lease_expires_at > previous)
