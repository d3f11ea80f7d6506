"""The server side of bench/paywall.py: studio402 with our local facilitator or the SDK's stock one.

Run by the benchmark as a subprocess so that the load generator does not share its GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from x402 import x402FacilitatorSync
from x402.mechanisms.evm import FacilitatorWeb3Signer
from x402.mechanisms.evm.exact import register_exact_evm_facilitator
from x402.schemas import PaymentPayload, PaymentRequirements, SettleResponse, VerifyResponse

from studio402.app import create_app
from studio402.catalog import Catalog
from studio402.services import Services, build_services
from studio402.settings import Settings


class StockSdkFacilitator:
    """The official SDK's in-process facilitator, each blocking call in a thread."""

    def __init__(self, rpc_url: str, private_key: str, network: str) -> None:
        self.inner = x402FacilitatorSync()
        signer = FacilitatorWeb3Signer(private_key=private_key, rpc_url=rpc_url)
        register_exact_evm_facilitator(self.inner, signer, networks=network)

    async def verify(self, payload: PaymentPayload, req: PaymentRequirements) -> VerifyResponse:
        result: VerifyResponse = await asyncio.to_thread(self.inner.verify, payload, req)
        return result

    async def settle(self, payload: PaymentPayload, req: PaymentRequirements) -> SettleResponse:
        result: SettleResponse = await asyncio.to_thread(self.inner.settle, payload, req)
        return result

    async def supported(self) -> Any:
        return self.inner.get_supported()

    async def aclose(self) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("variant", "data-dir", "rpc", "token", "pay-to", "facilitator-key"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        data_dir=args.data_dir,
        api={"port": args.port},
        worker={"in_process": False},
        chain={
            "embedded": False,
            "chain_id": 31337,
            "rpc_url": args.rpc,
            "token_address": args.token,
        },
        payments={
            "pay_to": args.pay_to,
            "facilitator": "local",
            "facilitator_key": args.facilitator_key,
        },
    )

    async def factory(settings: Settings, catalog: Catalog) -> Services:
        services = await build_services(settings, catalog=catalog)
        if args.variant == "sdk":
            stock = StockSdkFacilitator(args.rpc, args.facilitator_key, settings.network)
            services.gate.facilitator = stock
            services.reconciler.facilitator = stock
        return services

    app: FastAPI = create_app(settings, services_factory=factory)

    @app.post("/bench/bare")
    async def bare() -> JSONResponse:
        return JSONResponse({}, status_code=402)

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
