"""Payment fixtures: a rail, signed payloads from the official x402 client, a gate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account import Account
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.clock import SystemClock
from studio402.payments.gate import PaidRequest, PaymentGate
from studio402.payments.x402 import Rail
from studio402.testing.facilitators import ScriptedFacilitator
from studio402.testing.payments import sign_payment

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PAY_TO = "0x1111111111111111111111111111111111111111"
PAYER_KEY = "0x" + "ab" * 32
PAYER = Account.from_key(PAYER_KEY).address


@pytest.fixture
def rail() -> Rail:
    return Rail("eip155:31337", TOKEN, PAY_TO, "USD Coin", "2", 300)


@pytest.fixture
def sign(rail: Rail) -> Callable[..., str]:
    """Sign a PAYMENT-SIGNATURE for ``amount`` the way the official client does."""
    return make_signer(rail)


def make_signer(rail: Rail) -> Callable[..., str]:
    """A function signing payments on ``rail`` with the official synchronous x402 client."""

    def _sign(amount: int = 134000, *, key: str = PAYER_KEY, pay_to: str | None = None) -> str:
        requirements = rail.requirements(amount)
        if pay_to is not None:
            requirements.pay_to = pay_to
        return sign_payment(key, requirements)

    return _sign


@pytest.fixture
def facilitator() -> ScriptedFacilitator:
    return ScriptedFacilitator()


@pytest.fixture
def engine(any_engine: AsyncEngine) -> AsyncEngine:
    """Payment tests run on every database backend."""
    return any_engine


@pytest.fixture
def gate(engine: AsyncEngine, facilitator: ScriptedFacilitator, rail: Rail) -> PaymentGate:
    return PaymentGate(
        engine, facilitator, rail, SystemClock(), facilitator_timeout_s=0.5, replay_wait_s=2.0
    )


@pytest.fixture
def request_1k() -> PaidRequest:
    return PaidRequest(
        route="/api/generate/nano-banana-pro/generate",
        model="nano-banana-pro",
        operation="generate",
        input={"prompt": "a cat", "aspectRatio": "1:1", "imageSize": "1K"},
        amount_atomic=134000,
    )
