"""Settlement throughput: studio402's LocalFacilitator vs the x402 SDK's stock facilitator.

Runs on a fresh anvil devchain. Each implementation settles ``--n`` pre-signed payments at each
concurrency level (asyncio tasks for ours; threads for the SDK's synchronous
``x402FacilitatorSync`` + ``FacilitatorWeb3Signer``), each with its own gas wallet, and prints
settles/s and settle latency p50/p99. Ours re-verifies with an ``eth_call`` simulation inside
``settle``; the SDK's ``settle`` re-verifies without one (its default).

    .venv/bin/python bench/facilitator.py [--n 200] [--concurrency 1,8,32] [--block-time 0]

``--block-time S`` switches anvil from automine to one block every S seconds (like a real chain).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from eth_account import Account
from x402 import x402ClientSync, x402FacilitatorSync
from x402.mechanisms.evm import FacilitatorWeb3Signer
from x402.mechanisms.evm.exact import register_exact_evm_client, register_exact_evm_facilitator
from x402.schemas import PaymentPayload, PaymentRequired, PaymentRequirements, SettleResponse

from studio402.payments.facilitator.local import LocalFacilitator
from studio402.testing.chain import RunningDevChain, running_devchain


@dataclass
class Run:
    name: str
    concurrency: int
    ok: int
    total: int
    seconds: float
    latencies: list[float]

    def row(self) -> str:
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = self.total / self.seconds
        return (
            f"{self.name:<22}{self.concurrency:>6}{self.ok:>6}/{self.total:<6}"
            f"{rate:>10.1f}{p50:>10.1f}{p99:>10.1f}"
        )


def requirements(chain: RunningDevChain) -> PaymentRequirements:
    info = chain.info
    return PaymentRequirements(
        scheme="exact",
        network=info.network,
        asset=info.token_address,
        amount="10000",
        pay_to=info.pay_to_address,
        max_timeout_seconds=3600,
        extra={"name": info.token_name, "version": info.token_version},
    )


def sign_payloads(chain: RunningDevChain, req: PaymentRequirements, n: int) -> list[PaymentPayload]:
    client = x402ClientSync()
    register_exact_evm_client(client, Account.from_key(chain.keys.payer), chain.info.network)
    client.set_spend_controls({"allowed_assets": True})
    payloads = [client.create_payment_payload(PaymentRequired(accepts=[req])) for _ in range(n)]
    return [p for p in payloads if isinstance(p, PaymentPayload)]


def funded_gas_key(chain: RunningDevChain) -> str:
    account = Account.create()
    with chain.rpc() as rpc:
        rpc.call("anvil_setBalance", [account.address, hex(100 * 10**18)])
    return "0x" + bytes(account.key).hex()


async def bench_local(
    fac: LocalFacilitator, req: PaymentRequirements, payloads: list[PaymentPayload], conc: int
) -> Run:
    gate = asyncio.Semaphore(conc)
    latencies: list[float] = []

    async def one(payload: PaymentPayload) -> SettleResponse:
        async with gate:
            start = time.perf_counter()
            result = await fac.settle(payload, req)
            latencies.append(time.perf_counter() - start)
            return result

    start = time.perf_counter()
    results = await asyncio.gather(*(one(p) for p in payloads))
    elapsed = time.perf_counter() - start
    ok = sum(r.success for r in results)
    return Run("studio402 local", conc, ok, len(payloads), elapsed, latencies)


def bench_sdk(
    settle: Callable[[PaymentPayload, PaymentRequirements], SettleResponse],
    req: PaymentRequirements,
    payloads: list[PaymentPayload],
    conc: int,
) -> Run:
    latencies: list[float] = []

    def one(payload: PaymentPayload) -> bool:
        start = time.perf_counter()
        result = settle(payload, req)
        latencies.append(time.perf_counter() - start)
        return result.success

    start = time.perf_counter()
    with ThreadPoolExecutor(conc) as pool:
        oks = list(pool.map(one, payloads))
    return Run(
        "x402 SDK (threads)", conc, sum(oks), len(payloads), time.perf_counter() - start, latencies
    )


async def main(n: int, levels: list[int], block_time: int) -> None:
    with running_devchain() as chain:
        if block_time:
            with chain.rpc() as rpc:
                rpc.call("evm_setAutomine", [False])
                rpc.call("evm_setIntervalMining", [block_time])
        req = requirements(chain)
        local = LocalFacilitator(
            rpc_url=chain.info.rpc_url,
            chain_id=chain.info.chain_id,
            private_key=funded_gas_key(chain),
            receipt_timeout_s=60,
        )
        sdk = x402FacilitatorSync()
        signer = FacilitatorWeb3Signer(
            private_key=funded_gas_key(chain), rpc_url=chain.info.rpc_url
        )
        register_exact_evm_facilitator(sdk, signer, networks=chain.info.network)
        for warm in sign_payloads(chain, req, 2)[:1]:
            await local.settle(warm, req)
        for warm in sign_payloads(chain, req, 1):
            sdk.settle(warm, req)
        mode = f"block every {block_time}s" if block_time else "automine"
        print(f"anvil {mode}, chain {chain.info.chain_id}, {n} settles per row")
        print(
            f"{'implementation':<22}{'conc':>6}{'ok/total':>13}{'settles/s':>10}"
            f"{'p50 ms':>10}{'p99 ms':>10}"
        )
        for conc in levels:
            run = await bench_local(local, req, sign_payloads(chain, req, n), conc)
            print(run.row(), flush=True)
            payloads = sign_payloads(chain, req, n)
            run = await asyncio.to_thread(bench_sdk, sdk.settle, req, payloads, conc)
            print(run.row(), flush=True)
        await local.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="settles per implementation and level")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated levels")
    parser.add_argument("--block-time", type=int, default=0, help="seconds; 0 = automine")
    args = parser.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]
    asyncio.run(main(args.n, levels, args.block_time))
