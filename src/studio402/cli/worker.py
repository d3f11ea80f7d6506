"""``studio402 worker``: run jobs from the shared database, beside any number of API servers."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from studio402.cli.options import DataDir, settings_from
from studio402.services import open_worker_runtime
from studio402.settings import Settings


def worker(
    data_dir: DataDir = None,
    concurrency: Annotated[int | None, typer.Option(help="Jobs run at once.")] = None,
) -> None:
    """Claim and run jobs until SIGTERM/SIGINT; running jobs are drained or released."""
    settings = settings_from(data_dir)
    if concurrency is not None:
        settings.worker.concurrency = concurrency
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    runtime = await open_worker_runtime(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.stop.set)
    print(
        f"worker {runtime.worker.worker_id}: {settings.worker.concurrency} jobs at a time",
        flush=True,
    )
    try:
        await runtime.worker.run(runtime.stop)
    finally:
        await runtime.aclose()
