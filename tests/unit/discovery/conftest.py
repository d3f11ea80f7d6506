"""An app over a scripted facilitator (no chain), to read its discovery documents."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from studio402.app import create_app
from studio402.chain.wiring import ChainRuntime
from studio402.payments.x402 import Rail
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.testing.facilitators import ScriptedFacilitator

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PAY_TO = "0x1111111111111111111111111111111111111111"
BASE = "http://127.0.0.1:8402"


@pytest.fixture
def facilitator() -> ScriptedFacilitator:
    return ScriptedFacilitator()


@pytest.fixture
async def services(settings: Settings, facilitator: ScriptedFacilitator) -> AsyncIterator[Services]:
    rail = Rail("eip155:31337", TOKEN, PAY_TO, "USD Coin", "2", 300)
    chain = ChainRuntime(rail.network, rail.asset, rail.pay_to, facilitator, None)
    built = await build_services(settings, chain=chain)
    yield built
    await built.aclose()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http,
    ):
        yield http
