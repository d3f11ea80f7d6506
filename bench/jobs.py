"""Benchmark jobs and polling on the dev profile (local model at 1K).

Prints:
- jobs completed per second: `studio402 serve` with in-process workers, then 2 `studio402 worker`
  processes (the API running with workers off);
- poll requests per second with SIGN-IN-WITH-X verification and with a session token, with p50/p99
  latency at 64 concurrent pollers;
- how long after a job completes a client sees it: long-poll (`?wait=`) vs polling every 3 s.

    .venv/bin/python bench/jobs.py [--jobs 120] [--polls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
from _common import drive, percentile, rss_mib
from eth_account import Account
from sqlalchemy import func, select

from studio402.client.siwx import sign_in_with_x
from studio402.db.engine import create_engine
from studio402.db.migrate import upgrade
from studio402.db.tables import jobs
from studio402.ids import new_payment_id
from studio402.payments import records
from studio402.testing.server import free_port

PAYER_KEY = "0x" + secrets.token_hex(32)
PAYER = Account.from_key(PAYER_KEY).address.lower()


def db_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'studio402.db'}"


async def insert_jobs(data_dir: Path, n: int) -> list[str]:
    """Paid jobs as the gate creates them (synthetic settled payments), ready for workers."""
    engine = create_engine(db_url(data_dir))
    await upgrade(engine)
    ids = []
    for i in range(n):
        now = datetime.now(UTC)
        record, _ = await records.claim(
            engine,
            {
                "id": new_payment_id(),
                "protocol": "x402",
                "network": "eip155:31337",
                "asset": "0x" + "00" * 20,
                "payer": PAYER,
                "pay_to": "0x" + "11" * 20,
                "amount_atomic": 134000,
                "nonce": "0x" + secrets.token_hex(32),
                "valid_before": 0,
                "idempotency_key": None,
                "payload_sha256": "bench",
                "payload_json": "{}",
                "requirements_json": "{}",
                "route": "/api/generate/nano-banana-pro/generate",
                "model": "nano-banana-pro",
                "operation": "generate",
                "input_json": json.dumps(
                    {"prompt": f"benchmark image {i}", "aspectRatio": "1:1", "imageSize": "1K"}
                ),
                "created_at": now,
                "updated_at": now,
            },
        )
        ids.append(await records.settle_with_job(engine, record, "0x" + "ab" * 32, "{}", now))
    await engine.dispose()
    return ids


async def count_complete(data_dir: Path) -> int:
    engine = create_engine(db_url(data_dir))
    async with engine.connect() as conn:
        done = (
            await conn.execute(
                select(func.count()).select_from(jobs).where(jobs.c.status == "complete")
            )
        ).scalar_one()
    await engine.dispose()
    return int(done)


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "STUDIO402_DATA_DIR": str(data_dir),
        "STUDIO402_CHAIN__PERSIST_STATE": "false",
        **extra,
    }


@contextmanager
def process(args: list[str], env: dict[str, str], health: str | None = None) -> Iterator[None]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio402.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if health:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(health, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{args} did not start")
                time.sleep(0.05)
        yield
        print(f"  {args[0]} resident memory: {rss_mib(proc.pid):.0f} MiB")
    finally:
        proc.terminate()
        proc.wait(60)


async def wait_all_complete(data_dir: Path, n: int, since: float) -> float:
    while await count_complete(data_dir) < n:  # noqa: ASYNC110 - watching another process
        await asyncio.sleep(0.05)
    return time.perf_counter() - since


def show(label: str, rps: float, lat: list[float], statuses: dict[int, int]) -> None:
    print(
        f"  {label:<34} {rps:8.0f} req/s   p50 {1000 * percentile(lat, 0.5):7.2f} ms   "
        f"p99 {1000 * percentile(lat, 0.99):7.2f} ms   {statuses}"
    )


async def poll_rates(url: str, job_id: str, n: int) -> None:
    poll = f"{url}/api/jobs/{job_id}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=128)) as http:

        async def challenge(_: int) -> str:
            async with http.get(poll) as response:
                document = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
                return sign_in_with_x(document["extensions"]["sign-in-with-x"], PAYER_KEY)

        headers = [await challenge(i) for i in range(n)]

        async def signed(i: int) -> int:
            async with http.get(poll, headers={"SIGN-IN-WITH-X": headers[i]}) as response:
                await response.read()
                return response.status

        show("SIWX-verified polls (64 pollers)", *await drive(n, 64, signed))
        async with http.get(poll, headers={"SIGN-IN-WITH-X": await challenge(0)}) as response:
            token = response.headers["X-Session-Token"]

        async def bearer(_: int) -> int:
            async with http.get(poll, headers={"Authorization": f"Bearer {token}"}) as response:
                await response.read()
                return response.status

        await drive(200, 64, bearer)
        show("session-token polls (64 pollers)", *await drive(n, 64, bearer))


async def visibility(url: str, data_dir: Path, rounds: int) -> None:
    """Lag between a job's completion (its updatedAt) and a client seeing it."""
    token = None
    long_lags: list[float] = []
    interval_lags: list[float] = []
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(rounds):
            [job_id] = await insert_jobs(data_dir, 1)
            poll = f"{url}/api/jobs/{job_id}"
            if token is None:
                challenge = json.loads(
                    base64.b64decode((await http.get(poll)).headers["PAYMENT-REQUIRED"])
                )
                first = await http.get(
                    poll,
                    headers={
                        "SIGN-IN-WITH-X": sign_in_with_x(
                            challenge["extensions"]["sign-in-with-x"], PAYER_KEY
                        )
                    },
                )
                token = first.headers["X-Session-Token"]
            auth = {"Authorization": f"Bearer {token}"}

            async def long_poll(poll: str = poll, auth: dict[str, str] = auth) -> float:
                while True:
                    document = (await http.get(poll, params={"wait": 30}, headers=auth)).json()
                    if document["status"] == "complete":
                        return (
                            time.time() - datetime.fromisoformat(document["updatedAt"]).timestamp()
                        )

            async def every_3s(poll: str = poll, auth: dict[str, str] = auth) -> float:
                await asyncio.sleep(secrets.randbelow(3000) / 1000)
                while True:
                    document = (await http.get(poll, headers=auth)).json()
                    if document["status"] == "complete":
                        return (
                            time.time() - datetime.fromisoformat(document["updatedAt"]).timestamp()
                        )
                    await asyncio.sleep(3)

            lag_long, lag_interval = await asyncio.gather(long_poll(), every_3s())
            long_lags.append(lag_long)
            interval_lags.append(lag_interval)
    print(
        f"  long-poll (?wait=30)        median {1000 * statistics.median(long_lags):7.1f} ms   "
        f"max {1000 * max(long_lags):7.1f} ms   ({rounds} jobs)"
    )
    print(
        f"  polling every 3 s           median {1000 * statistics.median(interval_lags):7.1f} ms"
        f"   max {1000 * max(interval_lags):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=120)
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--visibility-rounds", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        print("jobs completed per second (local model, 1K, 4 jobs at a time per worker process)")
        asyncio.run(insert_jobs(data_dir, args.jobs))
        started = time.perf_counter()
        with process(["serve", "--port", str(port)], env_for(data_dir), url + "/health"):
            elapsed = asyncio.run(wait_all_complete(data_dir, args.jobs, started))
            print(
                f"  serve with in-process worker   {args.jobs / elapsed:6.1f} jobs/s "
                f"({args.jobs} jobs in {elapsed:.1f} s, start-up included)"
            )
            job_ids = asyncio.run(insert_jobs(data_dir, 0))
            del job_ids
        asyncio.run(insert_jobs(data_dir, args.jobs))
        worker_env = env_for(data_dir)
        started = time.perf_counter()
        with process(["worker"], worker_env), process(["worker"], worker_env):
            elapsed = asyncio.run(wait_all_complete(data_dir, 2 * args.jobs, started))
        print(
            f"  2 `studio402 worker` processes {args.jobs / elapsed:6.1f} jobs/s "
            f"({args.jobs} jobs in {elapsed:.1f} s, start-up included)"
        )

        with process(["serve", "--port", str(port)], env_for(data_dir), url + "/health"):
            [job_id] = asyncio.run(insert_jobs(data_dir, 1))
            print("\npolling one job")
            asyncio.run(poll_rates(url, job_id, args.polls))
            print("\ntime from completion to the client seeing it")
            asyncio.run(visibility(url, data_dir, args.visibility_rounds))


if __name__ == "__main__":
    main()
