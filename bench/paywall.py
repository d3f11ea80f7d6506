"""Benchmark the paywall on the local chain.

Prints 402-challenge requests per second (against a bare FastAPI route in the same server), and
paid requests per second with p50/p99 latency at 1, 8 and 32 concurrent payers, for studio402's
local facilitator and for the x402 SDK's stock in-process facilitator, in the same run.

    .venv/bin/python bench/paywall.py [--paid-per-payer 12] [--challenges 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import httpx
from _common import drive, percentile, rss_mib
from eth_account import Account
from x402 import x402ClientSync
from x402.http.utils import encode_payment_signature_header
from x402.mechanisms.evm.exact import register_exact_evm_client
from x402.schemas import PaymentRequired, ResourceInfo

from studio402.chain.devchain import DevChainInfo, mint
from studio402.payments.x402 import Rail
from studio402.testing.chain import RunningDevChain, running_devchain
from studio402.testing.server import free_port

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "benchmark", "aspectRatio": "1:1", "imageSize": "1K"}
PRICE = 134000
HERE = Path(__file__).resolve().parent


@contextmanager
def server(variant: str, chain: RunningDevChain, data_dir: Path) -> Iterator[str]:
    port = free_port()
    info = chain.info
    process = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "_paywall_server.py"),
            "--variant",
            variant,
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--rpc",
            info.rpc_url,
            "--token",
            info.token_address,
            "--pay-to",
            info.pay_to_address,
            "--facilitator-key",
            chain.keys.facilitator,
        ]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{variant} server did not start")
            time.sleep(0.1)
        yield url
        print(f"  server resident memory after the run: {rss_mib(process.pid):.0f} MiB")
    finally:
        process.terminate()
        process.wait(10)


def presign(info: DevChainInfo, keys: list[str], n: int) -> list[str]:
    rail = Rail(info.network, info.token_address, info.pay_to_address, "USD Coin", "2", 300)
    required = PaymentRequired(
        x402_version=2,
        resource=ResourceInfo(url="http://bench" + ROUTE),
        accepts=[rail.requirements(PRICE)],
    )
    clients = []
    for key in keys:
        client = x402ClientSync()
        register_exact_evm_client(client, Account.from_key(key), networks=info.network)
        client.set_spend_controls({"allowed_assets": True})
        clients.append(client)
    return [
        encode_payment_signature_header(clients[i % len(clients)].create_payment_payload(required))
        for i in range(n)
    ]


def sender(
    session: aiohttp.ClientSession, url: str, headers: list[dict[str, str]] | None = None
) -> Callable[[int], Awaitable[int]]:
    """POST the benchmark body to ``url``, the i-th request with ``headers[i]``."""

    async def send(i: int) -> int:
        async with session.post(url, json=BODY, headers=headers[i] if headers else None) as r:
            await r.read()
            return r.status

    return send


def session() -> aiohttp.ClientSession:
    # httpx's pool caps a single client near 270 req/s here, below what the server does.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64), timeout=aiohttp.ClientTimeout(total=120)
    )


async def challenge_rates(url: str, n: int) -> None:
    async with session() as http:
        for label, path in (("bare FastAPI route", "/bench/bare"), ("402 challenge", ROUTE)):
            await drive(200, 32, sender(http, url + path))  # warm-up
            rps, lat, statuses = await drive(n, 32, sender(http, url + path))
            assert set(statuses) == {402}, statuses
            print(
                f"  {label:<22} {rps:8.0f} req/s   p50 {1000 * percentile(lat, 0.5):6.2f} ms"
                f"   p99 {1000 * percentile(lat, 0.99):6.2f} ms"
            )


async def paid_rates(url: str, chain: RunningDevChain, keys: list[str], per_payer: int) -> None:
    async with session() as http:
        for concurrency in (1, 8, 32):
            n = max(40, per_payer * concurrency)
            headers = [{"PAYMENT-SIGNATURE": h} for h in presign(chain.info, keys[:concurrency], n)]
            rps, lat, statuses = await drive(n, concurrency, sender(http, url + ROUTE, headers))
            ok = statuses.get(200, 0)
            print(
                f"  {concurrency:>2} payers  {rps:8.1f} paid req/s   p50 "
                f"{1000 * percentile(lat, 0.5):7.1f} ms   "
                f"p99 {1000 * percentile(lat, 0.99):7.1f} ms"
                f"   ({ok}/{n} paid, statuses {statuses})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paid-per-payer", type=int, default=12)
    parser.add_argument("--challenges", type=int, default=3000)
    parser.add_argument(
        "--block-time",
        type=float,
        default=0.0,
        help="anvil interval mining in seconds (default: automine, one block per transaction)",
    )
    args = parser.parse_args()
    anvil_args = ("--block-time", str(args.block_time)) if args.block_time else ()
    mining = f"a block every {args.block_time:g} s" if args.block_time else "automine"
    print(f"local chain: anvil, {mining}")
    with running_devchain(anvil_args=anvil_args) as chain, tempfile.TemporaryDirectory() as tmp:
        keys = ["0x" + bytes(Account.create().key).hex() for _ in range(32)]
        for key in keys:
            mint(chain.info, Account.from_key(key).address, 10**12)
        for variant, label in (
            ("studio402", "studio402 local facilitator"),
            ("sdk", "x402 SDK stock facilitator (FacilitatorWeb3Signer)"),
        ):
            with server(variant, chain, Path(tmp) / variant) as url:
                print(f"\n{label}")
                if variant == "studio402":
                    asyncio.run(challenge_rates(url, args.challenges))
                asyncio.run(paid_rates(url, chain, keys, args.paid_per_payer))


if __name__ == "__main__":
    main()
