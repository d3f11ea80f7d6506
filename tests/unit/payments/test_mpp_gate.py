"""MPP through the protocol-neutral gate entry: same ledger row, key, replays and reconciler."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mpp import Challenge
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.clock import FrozenClock, SystemClock
from studio402.errors import PaymentPendingError
from studio402.payments import records
from studio402.payments.gate import PaidRequest, PaymentGate
from studio402.payments.mpp import MppCharge, MppMethod
from studio402.payments.reconciler import Reconciler
from studio402.payments.records import PaymentStatus
from studio402.payments.x402 import Rail
from studio402.testing.facilitators import ScriptedFacilitator
from studio402.testing.mpp import sign_credential

from .conftest import PAYER, PAYER_KEY

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = b'{"prompt":"a cat"}'


@pytest.fixture
def mpp(rail: Rail) -> MppMethod:
    return MppMethod(
        rail,
        secret=b"s" * 32,
        realm="127.0.0.1:8402",
        chain_id=31337,
        decimals=6,
        clock=FrozenClock(datetime.now(UTC)),
    )


def charge_for(mpp: MppMethod, request: PaidRequest) -> tuple[str, MppCharge]:
    issued = mpp.challenge(request.amount_atomic, ROUTE, BODY)
    challenge = Challenge.from_www_authenticate(mpp.www_authenticate(issued))
    value = sign_credential(challenge, PAYER_KEY)
    return value, mpp.verify(value, request.amount_atomic, ROUTE, BODY)


async def test_mpp_payment_is_recorded_as_mpp_under_the_same_unique_key(
    gate: PaymentGate,
    mpp: MppMethod,
    request_1k: PaidRequest,
    engine: AsyncEngine,
    facilitator: ScriptedFacilitator,
) -> None:
    _, charge = charge_for(mpp, request_1k)
    paid = await gate.pay_authorization(
        "mpp",
        charge.payload,
        charge.authorization,
        request_1k,
    )
    record = await records.get(engine, paid.payment_id)
    assert (record.protocol, record.status, record.payer) == (
        "mpp",
        PaymentStatus.SETTLED,
        PAYER.lower(),
    )
    assert record.nonce == charge.authorization.nonce
    again = await gate.pay_authorization(
        "mpp",
        charge.payload,
        charge.authorization,
        request_1k,
    )
    assert (again.job_id, again.replayed) == (paid.job_id, True)
    assert facilitator.settle_calls == 1


async def test_unknown_mpp_settlement_is_pending_then_reconciled_into_its_job(
    gate: PaymentGate,
    mpp: MppMethod,
    request_1k: PaidRequest,
    engine: AsyncEngine,
    facilitator: ScriptedFacilitator,
) -> None:
    _, charge = charge_for(mpp, request_1k)
    facilitator.settle_delay_s = 5
    with pytest.raises(PaymentPendingError) as caught:
        await gate.pay_authorization(
            "mpp",
            charge.payload,
            charge.authorization,
            request_1k,
        )
    record = await records.get(engine, caught.value.payment_id)
    assert record.status is PaymentStatus.PENDING
    facilitator.settle_delay_s = 0
    reconciler = Reconciler(engine, facilitator, None, SystemClock())
    assert await reconciler.resolve(record)
    assert (await records.get(engine, record.id)).status is PaymentStatus.SETTLED
    assert await records.find_job_id(engine, record.id) is not None
