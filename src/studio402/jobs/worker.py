"""The worker: claim jobs, run them through a provider, re-host the outputs, finish the job.

Each claimed job runs in its own task (at most ``concurrency`` at once) while a heartbeat keeps
its lease; if the heartbeat finds the lease lost, the job is abandoned without writing anything.
Outputs are stored under content-addressed keys and the job's result holds those keys, never
URLs. Errors follow their class's ``retryable`` flag: retried with exponential backoff until
``max_attempts``, else failed at once. On stop, running jobs get ``drain_timeout_s`` to finish and
are then released for another worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from studio402.clock import Clock
from studio402.errors import ProviderError, ProviderTimeoutError, Studio402Error
from studio402.jobs.models import Job
from studio402.jobs.queue import JobQueue
from studio402.providers.base import GenerationRequest, Output, generate
from studio402.providers.registry import ProviderRegistry
from studio402.storage.keys import extension_for, result_key
from studio402.storage.store import ObjectStore

__all__ = ["Backoff", "Worker", "new_worker_id"]

logger = logging.getLogger(__name__)

PROGRESS_STARTED = 10
PROGRESS_GENERATED = 90


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry delays: ``min(max_s, base_s * factor ** (attempt - 1))``, less a random share of
    up to ``jitter`` of it (0 turns jitter off)."""

    base_s: float = 2.0
    factor: float = 2.0
    max_s: float = 300.0
    jitter: float = 0.25

    def delay_s(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        delay = min(self.max_s, self.base_s * self.factor ** max(attempt - 1, 0))
        return delay * (1.0 - self.jitter * random.random())  # noqa: S311 (jitter, not secrets)


def new_worker_id(prefix: str = "worker") -> str:
    """A worker id unique across hosts and restarts: prefix, host, pid and a random suffix."""
    host = socket.gethostname()[:40]
    return f"{prefix[:20]}-{host}-{os.getpid()}-{secrets.token_hex(3)}"


class _LeaseLostError(Exception):
    """Another worker owns the job now."""


class Worker:
    """Runs jobs from a :class:`JobQueue` through the providers of a :class:`ProviderRegistry`."""

    def __init__(
        self,
        queue: JobQueue,
        providers: ProviderRegistry,
        store: ObjectStore,
        clock: Clock,
        *,
        worker_id: str,
        concurrency: int = 4,
        lease_s: float = 60.0,
        heartbeat_s: float = 15.0,
        poll_interval_s: float = 1.0,
        max_attempts: int = 3,
        backoff: Backoff | None = None,
        job_timeout_s: float = 600.0,
        drain_timeout_s: float = 30.0,
    ) -> None:
        """Configure a worker; nothing runs until :meth:`run` or :meth:`run_until_idle`.

        ``poll_interval_s`` is how often an idle worker looks for jobs, ``job_timeout_s`` how
        long one generation may take upstream, ``drain_timeout_s`` how long a stop waits for
        running jobs before releasing them.

        Raises:
            ValueError: ``concurrency`` or ``max_attempts`` < 1, or not 0 < heartbeat_s < lease_s.
        """
        if concurrency < 1 or max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be at least 1")
        if not 0 < heartbeat_s < lease_s:
            raise ValueError("heartbeat_s must be positive and shorter than lease_s")
        self.queue = queue
        self.providers = providers
        self.store = store
        self.clock = clock
        self.worker_id = worker_id
        self.concurrency = concurrency
        self.lease_s = lease_s
        self.heartbeat_s = heartbeat_s
        self.poll_interval_s = poll_interval_s
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff()
        self.job_timeout_s = job_timeout_s
        self.drain_timeout_s = drain_timeout_s
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Look for jobs now instead of at the next poll (e.g. right after a job was created)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run jobs until ``stop`` is set, then drain: running jobs get
        ``drain_timeout_s`` to finish and the rest are released. Cancelling releases at once."""
        try:
            while not stop.is_set():
                try:
                    claimed = await self._fill()
                except SQLAlchemyError:
                    logger.exception("claiming jobs failed", extra={"worker_id": self.worker_id})
                    claimed = 0
                if claimed and len(self._running) < self.concurrency:
                    continue
                full = len(self._running) >= self.concurrency
                await self._wait(stop, None if full else self.poll_interval_s)
        except BaseException:
            await self._drain(0)
            raise
        await self._drain(self.drain_timeout_s)

    async def run_until_idle(self) -> int:
        """Burst mode: run jobs until none is runnable or running; return how many were claimed."""
        claimed = 0
        try:
            while True:
                claimed += await self._fill()
                if not self._running:
                    return claimed
                await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            await self._drain(0)
            raise

    async def _fill(self) -> int:
        free = self.concurrency - len(self._running)
        if free <= 0:
            return 0
        self._wake.clear()
        jobs = await self.queue.claim(self.worker_id, self.lease_s, limit=free)
        for job in jobs:
            task = asyncio.create_task(self._run_job(job), name=f"job-{job.id}")
            self._running.add(task)
            task.add_done_callback(self._job_done)
        return len(jobs)

    def _job_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error(
                "%s not finished; it runs again when its lease expires",
                task.get_name(),
                exc_info=exc,
            )

    async def _wait(self, stop: asyncio.Event, timeout_s: float | None) -> None:
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wake.wait())]
        watched: set[asyncio.Task[Any]] = {*waiters, *self._running}
        try:
            await asyncio.wait(watched, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _drain(self, timeout_s: float) -> None:
        pending = set(self._running)
        if pending and timeout_s > 0:
            _, pending = await asyncio.wait(pending, timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _run_job(self, job: Job) -> None:
        try:
            await self._attempt(job)
        except asyncio.CancelledError:
            if await self.queue.release(job.id, self.worker_id):
                logger.info("job %s released", job.id, extra={"job_id": job.id})
            raise

    async def _attempt(self, job: Job) -> None:
        log = {"job_id": job.id, "worker_id": self.worker_id, "attempt": job.attempts}
        if job.attempts > self.max_attempts:
            message = f"gave up after {job.attempts - 1} attempts (the worker stopped)"
            await self._fail(job, {"code": "internal_error", "message": message})
            return
        try:
            result = await self._produce_with_lease(job)
        except _LeaseLostError:
            logger.warning("job %s: lease lost, abandoned", job.id, extra=log)
            return
        except Studio402Error as exc:
            await self._after_error(job, exc)
            return
        except Exception:  # the worker's one guard around a job: log it, fail it, keep looping
            logger.exception("job %s crashed", job.id, extra=log)
            await self._fail(job, {"code": "internal_error", "message": "the job failed"})
            return
        if not await self.queue.complete(job.id, self.worker_id, result):
            logger.warning("job %s: lease lost, result dropped", job.id, extra=log)

    async def _produce_with_lease(self, job: Job) -> dict[str, Any]:
        work = asyncio.create_task(self._produce(job))
        beat = asyncio.create_task(self._keep_lease(job.id, work))
        try:
            return await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if (current is not None and current.cancelling()) or not work.cancelled():
                raise
            raise _LeaseLostError from None
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)

    async def _keep_lease(self, job_id: str, work: asyncio.Task[Any]) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                kept = await self.queue.heartbeat(job_id, self.worker_id, self.lease_s)
            except SQLAlchemyError:
                logger.warning("job %s: heartbeat failed", job_id, exc_info=True)
                continue
            if not kept:
                work.cancel()
                return

    async def _produce(self, job: Job) -> dict[str, Any]:
        await self._progress(job, PROGRESS_STARTED)
        provider, upstream_model = self.providers.resolve(job.model)
        request = GenerationRequest(
            job_id=job.id,
            model=job.model,
            operation=job.operation,
            upstream_model=upstream_model,
            input=job.input,
            deadline=self.clock.now() + timedelta(seconds=self.job_timeout_s),
        )
        try:
            async with asyncio.timeout(self.job_timeout_s):
                outputs = await generate(provider, request, partial(self._upstream_progress, job))
        except TimeoutError as exc:
            raise ProviderTimeoutError(
                f"{provider.name} gave no result within {self.job_timeout_s:g} s"
            ) from exc
        await self._progress(job, PROGRESS_GENERATED)
        return await self._rehost(outputs)

    async def _rehost(self, outputs: tuple[Output, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for output in outputs:
            key = result_key(output.data, extension_for(output.content_type))
            await self.store.put(key, output.data, output.content_type)
            if output.kind == "thumbnail":
                result.setdefault("thumbnailKey", key)
            elif "contentType" not in result:
                result.update(
                    {
                        f"{output.kind}Key": key,
                        "contentType": output.content_type,
                        "width": output.width,
                        "height": output.height,
                    }
                )
                if output.duration_s is not None:
                    result["durationS"] = output.duration_s
            cost = output.metadata.get("upstreamCost")
            if cost is not None:
                result["upstreamCost"] = cost
        if "contentType" not in result:
            raise ProviderError("the provider returned no image or video")
        return result

    async def _upstream_progress(self, job: Job, percent: int) -> None:
        span = PROGRESS_GENERATED - PROGRESS_STARTED
        await self._progress(job, PROGRESS_STARTED + span * percent // 100)

    async def _progress(self, job: Job, percent: int) -> None:
        try:
            owned = await self.queue.progress(job.id, self.worker_id, min(max(percent, 0), 100))
        except SQLAlchemyError:
            logger.warning("job %s: progress update failed", job.id, exc_info=True)
            return
        if not owned:
            raise _LeaseLostError

    async def _after_error(self, job: Job, exc: Studio402Error) -> None:
        log = {"job_id": job.id, "code": exc.code, "attempt": job.attempts}
        error = {"code": exc.code, "message": str(exc), "retryable": exc.retryable}
        if exc.retryable and job.attempts < self.max_attempts:
            delay_s = self.backoff.delay_s(job.attempts)
            logger.warning("job %s failed, retry in %.1f s: %s", job.id, delay_s, exc, extra=log)
            await self.queue.retry_later(job.id, self.worker_id, delay_s, error)
            return
        logger.warning("job %s failed: %s", job.id, exc, extra=log)
        await self.queue.fail(job.id, self.worker_id, error)

    async def _fail(self, job: Job, error: dict[str, Any]) -> None:
        await self.queue.fail(job.id, self.worker_id, {**error, "retryable": False})
