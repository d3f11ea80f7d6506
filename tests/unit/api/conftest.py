"""An app over injected services: scripted facilitator, SQLite in tmp, no chain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from studio402.app import create_app
from studio402.chain.wiring import ChainRuntime
from studio402.payments.x402 import Rail
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.testing.facilitators import ScriptedFacilitator
from tests.unit.payments.conftest import PAY_TO, TOKEN, make_signer


@pytest.fixture
def facilitator() -> ScriptedFacilitator:
    return ScriptedFacilitator()


@pytest.fixture
def rail() -> Rail:
    return Rail("eip155:31337", TOKEN, PAY_TO, "USD Coin", "2", 300)


@pytest.fixture
def sign(rail: Rail) -> Callable[..., str]:
    return make_signer(rail)


@pytest.fixture
async def services(
    settings: Settings, facilitator: ScriptedFacilitator, rail: Rail
) -> AsyncIterator[Services]:
    chain = ChainRuntime(rail.network, rail.asset, rail.pay_to, facilitator, None)
    built = await build_services(settings, chain=chain)
    built.gate.facilitator_timeout_s = 0.5
    yield built
    await built.aclose()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8402"
        ) as http,
    ):
        yield http
