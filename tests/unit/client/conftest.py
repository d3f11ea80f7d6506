"""The real app over a scripted facilitator (no chain), served to the SDK through ASGI; a
transport that can drop a response after the server handled it; a signer that counts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from x402.schemas import PaymentRequired, PaymentRequirements

from studio402.app import create_app
from studio402.chain.wiring import ChainRuntime
from studio402.client import AsyncStudio402Client, Wallet
from studio402.client.payer import sign_payment
from studio402.payments.x402 import Rail
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.testing.facilitators import ScriptedFacilitator
from tests.unit.payments.conftest import PAY_TO, PAYER_KEY, TOKEN

BASE = "http://127.0.0.1:8402"


class FaultyTransport(httpx.AsyncBaseTransport):
    """Forwards to ``inner``; for the next ``drops`` requests that ``match``, lets the server
    handle the request, then throws its answer away and raises a network error."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.drops = 0
        self.match: Callable[[httpx.Request], bool] = lambda r: "payment-signature" in r.headers
        self.refuse_connect = False
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.refuse_connect:
            raise httpx.ConnectError("connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if self.drops > 0 and self.match(request):
            self.drops -= 1
            await response.aread()
            raise httpx.ReadError("connection reset after the server answered", request=request)
        return response

    def paid_headers(self) -> list[str]:
        """Every PAYMENT-SIGNATURE sent, in order."""
        return [
            r.headers["payment-signature"]
            for r in self.requests
            if "payment-signature" in r.headers
        ]


class CountingSigner:
    """The official signer, counted."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(
        self, key: str, challenge: PaymentRequired, offer: PaymentRequirements
    ) -> str:
        self.calls += 1
        return await sign_payment(key, challenge, offer)


@pytest.fixture
def facilitator() -> ScriptedFacilitator:
    return ScriptedFacilitator()


@pytest.fixture
async def services(settings: Settings, facilitator: ScriptedFacilitator) -> AsyncIterator[Services]:
    rail = Rail("eip155:31337", TOKEN, PAY_TO, "USD Coin", "2", 300)
    chain = ChainRuntime(rail.network, rail.asset, rail.pay_to, facilitator, None)
    built = await build_services(settings, chain=chain)
    built.gate.facilitator_timeout_s = 0.5
    yield built
    await built.aclose()


@pytest.fixture
async def transport(services: Services) -> AsyncIterator[FaultyTransport]:
    app = create_app(services=services)
    async with app.router.lifespan_context(app):
        yield FaultyTransport(httpx.ASGITransport(app=app))


@pytest.fixture
def signer() -> CountingSigner:
    return CountingSigner()


@pytest.fixture
async def make_client(
    transport: FaultyTransport, signer: CountingSigner
) -> AsyncIterator[Callable[..., AsyncStudio402Client]]:
    made: list[AsyncStudio402Client] = []

    def factory(**options: Any) -> AsyncStudio402Client:
        options.setdefault("allowed_assets", [TOKEN])
        options.setdefault("payment_retry_timeout_s", 5.0)
        client = AsyncStudio402Client(
            BASE, Wallet.from_key(PAYER_KEY), transport=transport, signer=signer, **options
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()
