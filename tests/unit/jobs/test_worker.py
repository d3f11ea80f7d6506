"""The worker on SQLite: burst runs, retries, refusals, crashes, polling, leases and shutdown."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.catalog import Catalog
from studio402.clock import Clock, FrozenClock, SystemClock
from studio402.errors import ProviderRejectedError, ProviderUnavailableError
from studio402.jobs.models import JobStatus
from studio402.jobs.queue import JobQueue
from studio402.jobs.worker import Backoff, Worker
from studio402.providers.base import (
    GenerationRequest,
    Output,
    PollResult,
    Submission,
    UpstreamStatus,
)
from studio402.providers.dimensions import image_dimensions
from studio402.providers.local import LocalProvider
from studio402.providers.registry import ProviderRegistry
from studio402.storage.keys import result_key
from studio402.storage.store import ObjectStore

from .factories import insert_job, insert_jobs, job_row, set_job

NO_JITTER = Backoff(base_s=2.0, factor=2.0, max_s=60.0, jitter=0.0)


class ScriptedProvider(LocalProvider):
    """The local model, after raising the scripted errors in order (or blocking on an event)."""

    def __init__(self, *errors: Exception, gate: asyncio.Event | None = None) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.gate = gate

    async def submit(self, request: GenerationRequest) -> Submission:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.errors:
            raise self.errors.pop(0)
        return await super().submit(request)


class PolledProvider(LocalProvider):
    """An asynchronous upstream: a handle, a few running polls with progress, then the image."""

    def __init__(self, polls: int = 2, never_finish: bool = False) -> None:
        self.polls = polls
        self.never_finish = never_finish
        self.cancelled: list[str] = []
        self.request: GenerationRequest | None = None

    async def submit(self, request: GenerationRequest) -> Submission:
        self.request = request
        return Submission(handle="op-1", poll_after_s=0.01)

    async def poll(self, handle: str) -> PollResult:
        if self.polls > 0 or self.never_finish:
            self.polls -= 1
            return PollResult(UpstreamStatus.RUNNING, progress=50)
        if self.request is None:
            raise AssertionError("poll before submit")
        return PollResult(
            UpstreamStatus.COMPLETE, outputs=(await super().submit(self.request)).outputs
        )

    async def cancel(self, handle: str) -> None:
        self.cancelled.append(handle)


class VideoProvider(LocalProvider):
    async def submit(self, request: GenerationRequest) -> Submission:
        video = Output(b"\x00\x00\x00\x18ftypmp42", "video/mp4", "video", 1280, 720, duration_s=8.0)
        thumb = Output(b"\x89PNG thumb", "image/png", "thumbnail", 320, 180)
        return Submission(outputs=(video, thumb))


class CrashingProvider(LocalProvider):
    async def submit(self, request: GenerationRequest) -> Submission:
        raise KeyError("bug in an adapter")


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore.from_url((tmp_path / "objects").as_uri())


@pytest.fixture
def make_worker(engine: AsyncEngine, store: ObjectStore) -> Callable[..., Worker]:
    def make(
        provider: LocalProvider | None = None, clock: Clock | None = None, **options: Any
    ) -> Worker:
        clock = clock or SystemClock()
        registry = ProviderRegistry.from_catalog(
            Catalog.load(), [provider or LocalProvider()], route_all_to="local"
        )
        settings: dict[str, Any] = {
            "worker_id": "w1",
            "concurrency": 4,
            "lease_s": 30.0,
            "heartbeat_s": 10.0,
            "poll_interval_s": 0.05,
            "max_attempts": 3,
            "backoff": NO_JITTER,
            **options,
        }
        return Worker(JobQueue(engine, clock), registry, store, clock, **settings)

    return make


async def wait_until(condition: Callable[[], Any], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_burst_runs_jobs_to_complete_with_content_addressed_pngs(
    engine: AsyncEngine, store: ObjectStore, make_worker: Callable[..., Worker]
) -> None:
    now = SystemClock().now()
    square = await insert_job(engine, now)
    wide = await insert_job(
        engine, now, input={"prompt": "a wide dune", "aspectRatio": "16:9", "imageSize": "2K"}
    )
    worker = make_worker()

    assert await worker.run_until_idle() == 2

    for job_id, (ratio, size) in ((square, ("1:1", "1K")), (wide, ("16:9", "2K"))):
        job = await worker.queue.get(job_id)
        assert job is not None and job.status is JobStatus.COMPLETE and job.result is not None
        assert (job.progress, job.attempts, job.error) == (100, 1, None)
        data = await store.get(job.result["imageKey"])
        assert job.result["imageKey"] == result_key(data, "png")
        width, height = image_dimensions(ratio, size)
        assert Image.open(io.BytesIO(data)).size == (width, height)
        assert job.result == {
            "imageKey": job.result["imageKey"],
            "contentType": "image/png",
            "width": width,
            "height": height,
        }
        assert (await job_row(engine, job_id)).lease_expires_at is None


async def test_fifty_local_1k_jobs_in_burst_mode_with_concurrency_four(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    ids = await insert_jobs(engine, SystemClock().now(), 50)
    worker = make_worker(concurrency=4)

    started = time.perf_counter()
    assert await worker.run_until_idle() == 50
    elapsed = time.perf_counter() - started

    statuses = {(await worker.queue.get(job_id)).status for job_id in ids}  # type: ignore[union-attr]
    assert statuses == {JobStatus.COMPLETE}
    logging.getLogger(__name__).info("50 local 1K jobs, concurrency 4: %.2f s", elapsed)


async def test_transient_error_is_retried_with_backoff_then_succeeds(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    clock = FrozenClock(SystemClock().now())
    job_id = await insert_job(engine, clock.now())
    provider = ScriptedProvider(ProviderUnavailableError("503"), ProviderUnavailableError("503"))
    worker = make_worker(provider, clock)

    await worker.run_until_idle()
    row = await job_row(engine, job_id)
    assert (row.status, row.attempts, row.run_after) == ("pending", 1, clock.now() + _s(2))
    clock.advance(2)
    await worker.run_until_idle()
    row = await job_row(engine, job_id)
    assert (row.status, row.attempts, row.run_after) == ("pending", 2, clock.now() + _s(4))
    job = await worker.queue.get(job_id)
    assert job is not None and job.error == {
        "code": "upstream_unavailable",
        "message": "503",
        "retryable": True,
    }
    clock.advance(4)
    await worker.run_until_idle()

    job = await worker.queue.get(job_id)
    assert job is not None and (job.status, job.attempts, job.error) == (
        JobStatus.COMPLETE,
        3,
        None,
    )
    assert provider.calls == 3


async def test_transient_errors_fail_the_job_after_max_attempts(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    job_id = await insert_job(engine, SystemClock().now())
    errors = [ProviderUnavailableError("still down") for _ in range(5)]
    worker = make_worker(ScriptedProvider(*errors), backoff=Backoff(base_s=0, jitter=0))

    await worker.run_until_idle()

    job = await worker.queue.get(job_id)
    assert job is not None and (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.error == {"code": "upstream_unavailable", "message": "still down", "retryable": True}


async def test_permanent_error_fails_at_once_with_content_refused(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    job_id = await insert_job(engine, SystemClock().now())
    provider = ScriptedProvider(ProviderRejectedError("blocked by the safety filter"))
    worker = make_worker(provider)

    await worker.run_until_idle()

    job = await worker.queue.get(job_id)
    assert job is not None and (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert job.error == {
        "code": "content_refused",
        "message": "blocked by the safety filter",
        "retryable": False,
    }
    assert job.payment_id
    assert provider.calls == 1


async def test_unexpected_exception_fails_as_internal_error_and_is_logged(
    engine: AsyncEngine, make_worker: Callable[..., Worker], caplog: pytest.LogCaptureFixture
) -> None:
    job_id = await insert_job(engine, SystemClock().now())

    with caplog.at_level(logging.ERROR, logger="studio402.jobs.worker"):
        await make_worker(CrashingProvider()).run_until_idle()

    job = await make_worker().queue.get(job_id)
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error == {"code": "internal_error", "message": "the job failed", "retryable": False}
    [record] = [r for r in caplog.records if r.message == f"job {job_id} crashed"]
    assert record.job_id == job_id  # type: ignore[attr-defined]
    assert record.exc_info is not None


async def test_async_upstream_is_polled_with_progress(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    job_id = await insert_job(engine, SystemClock().now())
    provider = PolledProvider(polls=2)

    await make_worker(provider).run_until_idle()

    job = await make_worker().queue.get(job_id)
    assert job is not None and job.status is JobStatus.COMPLETE and job.result is not None
    assert provider.request is not None
    assert provider.request.upstream_model == "gemini-3-pro-image"
    assert provider.cancelled == []


async def test_async_upstream_past_the_job_timeout_is_cancelled_and_retried(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    clock = FrozenClock(SystemClock().now())
    job_id = await insert_job(engine, clock.now())
    provider = PolledProvider(never_finish=True)

    await make_worker(provider, clock, job_timeout_s=0.2).run_until_idle()

    job = await make_worker().queue.get(job_id)
    assert job is not None and job.status is JobStatus.PENDING and job.error is not None
    assert job.error["code"] == "upstream_timeout"
    assert provider.cancelled == ["op-1"]


async def test_video_outputs_store_video_and_thumbnail_keys(
    engine: AsyncEngine, store: ObjectStore, make_worker: Callable[..., Worker]
) -> None:
    job_id = await insert_job(engine, SystemClock().now())

    await make_worker(VideoProvider()).run_until_idle()

    job = await make_worker().queue.get(job_id)
    assert job is not None and job.result is not None
    assert job.result["videoKey"].endswith(".mp4")
    assert job.result["thumbnailKey"].endswith(".png")
    assert (job.result["width"], job.result["height"], job.result["durationS"]) == (1280, 720, 8.0)
    assert job.result["contentType"] == "video/mp4"
    assert (await store.get(job.result["videoKey"])).startswith(b"\x00\x00\x00\x18ftyp")


async def test_a_job_whose_workers_keep_dying_is_given_up(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    clock = FrozenClock(SystemClock().now())
    job_id = await insert_job(
        engine,
        clock.now(),
        status="loading",
        attempts=3,
        lease_owner="dead",
        lease_expires_at=clock.now() - _s(1),
    )
    provider = ScriptedProvider()

    await make_worker(provider, clock).run_until_idle()

    job = await make_worker().queue.get(job_id)
    assert job is not None and (job.status, job.attempts) == (JobStatus.FAILED, 4)
    assert job.error is not None and job.error["code"] == "internal_error"
    assert provider.calls == 0


async def test_lost_lease_abandons_the_job_quietly(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    job_id = await insert_job(engine, SystemClock().now())
    gate = asyncio.Event()
    provider = ScriptedProvider(gate=gate)
    worker = make_worker(provider, lease_s=0.5, heartbeat_s=0.05)
    burst = asyncio.create_task(worker.run_until_idle())
    await wait_until(lambda: _status_is(engine, job_id, "loading"))

    await set_job(engine, job_id, lease_owner="thief")
    await asyncio.wait_for(burst, timeout=5)

    row = await job_row(engine, job_id)
    assert (row.status, row.lease_owner, row.result_json) == ("loading", "thief", None)


async def test_stop_releases_jobs_that_outlive_the_drain_timeout(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    job_id = await insert_job(engine, SystemClock().now())
    worker = make_worker(ScriptedProvider(gate=asyncio.Event()), drain_timeout_s=0.1)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await wait_until(lambda: _status_is(engine, job_id, "loading"))

    stop.set()
    await asyncio.wait_for(running, timeout=5)

    row = await job_row(engine, job_id)
    assert (row.status, row.attempts, row.lease_owner, row.progress) == ("pending", 0, None, 0)


async def test_stop_lets_running_jobs_finish_within_the_drain_timeout(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    job_id = await insert_job(engine, SystemClock().now())
    gate = asyncio.Event()
    worker = make_worker(ScriptedProvider(gate=gate), drain_timeout_s=5)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await wait_until(lambda: _status_is(engine, job_id, "loading"))

    stop.set()
    await asyncio.sleep(0.1)
    gate.set()
    await asyncio.wait_for(running, timeout=5)

    assert (await job_row(engine, job_id)).status == "complete"


async def test_running_worker_picks_up_new_jobs_and_notify_wakes_it(
    engine: AsyncEngine, make_worker: Callable[..., Worker]
) -> None:
    worker = make_worker(poll_interval_s=30)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.05)
    job_id = await insert_job(engine, SystemClock().now())

    worker.notify()
    await wait_until(lambda: _status_is(engine, job_id, "complete"), timeout_s=5)
    stop.set()
    await asyncio.wait_for(running, timeout=5)


def test_backoff_is_exponential_capped_and_jittered_downwards() -> None:
    assert [NO_JITTER.delay_s(n) for n in (1, 2, 3, 6, 7)] == [2, 4, 8, 60, 60]
    jittered = Backoff(base_s=10, jitter=0.5)
    assert all(5 <= jittered.delay_s(1) <= 10 for _ in range(100))


def test_worker_rejects_a_heartbeat_slower_than_the_lease(
    make_worker: Callable[..., Worker],
) -> None:
    with pytest.raises(ValueError, match="heartbeat_s"):
        make_worker(lease_s=5, heartbeat_s=5)


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


async def _status_is(engine: AsyncEngine, job_id: str, status: str) -> bool:
    return str((await job_row(engine, job_id)).status) == status
