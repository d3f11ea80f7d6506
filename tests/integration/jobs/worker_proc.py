"""A worker in its own process, for crash and restart tests.

    python worker_proc.py DB_URL STORE_DIR WORKER_ID SLEEP_S LEASE_S HEARTBEAT_S

Runs one :class:`~studio402.jobs.worker.Worker` (concurrency 1) whose provider sleeps
``SLEEP_S`` seconds before rendering with the local model, until SIGTERM or SIGINT (graceful
stop: the running job is released). SIGKILL it to simulate a crash.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from studio402.catalog import Catalog
from studio402.clock import SystemClock
from studio402.db.engine import create_engine
from studio402.jobs.queue import JobQueue
from studio402.jobs.worker import Worker
from studio402.providers.base import GenerationRequest, Submission
from studio402.providers.local import LocalProvider
from studio402.providers.registry import ProviderRegistry
from studio402.storage.store import ObjectStore


class SlowLocalProvider(LocalProvider):
    """The local model after a fixed delay, standing in for a slow upstream."""

    def __init__(self, sleep_s: float) -> None:
        self.sleep_s = sleep_s

    async def submit(self, request: GenerationRequest) -> Submission:
        await asyncio.sleep(self.sleep_s)
        return await super().submit(request)


async def main(argv: list[str]) -> None:
    url, store_dir, worker_id = argv[0], argv[1], argv[2]
    sleep_s, lease_s, heartbeat_s = (float(value) for value in argv[3:6])
    engine = create_engine(url)
    clock = SystemClock()
    registry = ProviderRegistry.from_catalog(
        Catalog.load(), [SlowLocalProvider(sleep_s)], route_all_to="local"
    )
    worker = Worker(
        JobQueue(engine, clock),
        registry,
        ObjectStore.from_url(store_dir),
        clock,
        worker_id=worker_id,
        concurrency=1,
        lease_s=lease_s,
        heartbeat_s=heartbeat_s,
        poll_interval_s=0.05,
        drain_timeout_s=0.1,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await worker.run(stop)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(main(sys.argv[1:]))
