"""A studio402 app over the real dev chain, with the local facilitator, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from studio402.app import create_app
from studio402.chain.rpc import JsonRpc
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.testing.chain import RunningDevChain


def chain_settings(devchain: RunningDevChain, data_dir: Path) -> Settings:
    """Settings for a server paying out on ``devchain`` through the local facilitator."""
    info = devchain.info
    return Settings(
        data_dir=data_dir,
        chain={
            "embedded": False,
            "chain_id": info.chain_id,
            "rpc_url": info.rpc_url,
            "token_address": info.token_address,
        },
        payments={
            "pay_to": info.pay_to_address,
            "facilitator": "local",
            "facilitator_key": devchain.keys.facilitator,
            "facilitator_timeout_s": 10,
        },
    )


@dataclass
class PaidApp:
    """The app, its services and the chain it settles on."""

    services: Services
    http: httpx.AsyncClient
    devchain: RunningDevChain

    def balance(self, address: str) -> int:
        info = self.devchain.info
        data = "0x70a08231" + address.lower().removeprefix("0x").rjust(64, "0")
        with JsonRpc(info.rpc_url) as rpc:
            return int(
                rpc.call("eth_call", [{"to": info.token_address, "data": data}, "latest"]), 16
            )

    def facilitator_nonce(self) -> int:
        with JsonRpc(self.devchain.info.rpc_url) as rpc:
            return int(
                rpc.call(
                    "eth_getTransactionCount", [self.devchain.info.facilitator_address, "latest"]
                ),
                16,
            )


@pytest.fixture
async def paid_app(devchain: RunningDevChain, tmp_path: Path) -> AsyncIterator[PaidApp]:
    services = await build_services(chain_settings(devchain, tmp_path))
    app = create_app(services=services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8402"
        ) as http,
    ):
        yield PaidApp(services, http, devchain)
    await services.aclose()
