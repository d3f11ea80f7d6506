"""Unknown settlement outcomes on a real chain: pending first, then settled from the chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from x402.schemas import PaymentPayload, PaymentRequirements, SettleResponse

from studio402.clock import SystemClock
from studio402.errors import FacilitatorError, PaymentPendingError
from studio402.payments import records
from studio402.payments.facilitator.base import Facilitator
from studio402.payments.gate import PaidRequest, PaymentGate
from studio402.payments.reconciler import Reconciler
from studio402.payments.records import PaymentStatus
from studio402.services import Services, build_services
from studio402.testing.chain import RunningDevChain
from studio402.testing.payments import sign_payment

from .conftest import PaidApp, chain_settings

REQUEST = PaidRequest(
    "/api/generate/nano-banana-pro/generate",
    "nano-banana-pro",
    "generate",
    {"prompt": "p", "aspectRatio": "1:1", "imageSize": "1K"},
    134000,
)


class HangingSettle:
    """Verifies for real, but settle never answers (a facilitator that times out)."""

    def __init__(self, real: Facilitator) -> None:
        self.real = real

    async def verify(self, payload: PaymentPayload, req: PaymentRequirements) -> object:
        return await self.real.verify(payload, req)

    async def settle(self, payload: PaymentPayload, req: PaymentRequirements) -> SettleResponse:
        raise TimeoutError


class SettlesThenLosesTheAnswer(HangingSettle):
    """Settles on chain, then fails as if the response was lost on the way back."""

    async def settle(self, payload: PaymentPayload, req: PaymentRequirements) -> SettleResponse:
        await self.real.settle(payload, req)
        raise FacilitatorError("connection reset")


@pytest.fixture
async def services(devchain: RunningDevChain, tmp_path: Path) -> Services:
    built = await build_services(chain_settings(devchain, tmp_path))
    yield built  # type: ignore[misc]
    await built.aclose()


async def _header(services: Services, devchain: RunningDevChain) -> str:
    return sign_payment(devchain.keys.payer, services.gate.requirements(134000))


def _app(services: Services, devchain: RunningDevChain) -> PaidApp:
    return PaidApp(services, None, devchain)  # type: ignore[arg-type]


@pytest.mark.parametrize("broken", [HangingSettle, SettlesThenLosesTheAnswer])
async def test_unknown_outcome_is_pending_then_reconciled_exactly_once(
    services: Services, devchain: RunningDevChain, broken: type[HangingSettle]
) -> None:
    view = _app(services, devchain)
    info = devchain.info
    before = view.balance(info.pay_to_address)
    gate = PaymentGate(
        services.engine,
        broken(services.facilitator),
        services.rail,  # type: ignore[arg-type]
        SystemClock(),
        facilitator_timeout_s=5,
    )
    header = await _header(services, devchain)
    with pytest.raises(PaymentPendingError) as caught:
        await gate.pay(header, REQUEST)
    record = await records.get(services.engine, caught.value.payment_id)
    assert record.status is PaymentStatus.PENDING

    reconciler = Reconciler(
        services.engine, services.facilitator, services.chain.reader, SystemClock(), stale_after_s=0
    )
    assert await reconciler.run_once() == 1
    record = await records.get(services.engine, record.id)
    assert record.status is PaymentStatus.SETTLED and record.tx_hash
    assert view.balance(info.pay_to_address) == before + 134000

    paid = await services.gate.pay(header, REQUEST)  # the client's retry gets the job
    assert paid.replayed and paid.payment_id == record.id
    assert paid.job_id == await records.find_job_id(services.engine, record.id)
    assert await reconciler.run_once() == 0
    assert view.balance(info.pay_to_address) == before + 134000


async def test_crash_before_settle_is_marked_failed_and_moves_no_money(
    services: Services, devchain: RunningDevChain
) -> None:
    from studio402.payments.gate import PaymentGate as Gate

    header = await _header(services, devchain)

    class ProcessDiedError(BaseException):
        """Stands for the process dying mid-request (nothing below it runs)."""

    class CrashAfterClaim:
        async def verify(self, *_: object) -> object:
            raise ProcessDiedError

    gate = Gate(services.engine, CrashAfterClaim(), services.rail, SystemClock())  # type: ignore[arg-type]
    with pytest.raises(ProcessDiedError):
        await gate.pay(header, REQUEST)
    reconciler = Reconciler(
        services.engine, services.facilitator, services.chain.reader, SystemClock(), stale_after_s=0
    )
    assert await reconciler.run_once() == 1
    assert await records.unresolved_before(services.engine, SystemClock().now()) == []
    paid = await services.gate.pay(header, REQUEST)  # the same signature can still be used
    assert not paid.replayed


async def test_authorization_cancelled_by_payer_is_failed(
    services: Services, devchain: RunningDevChain
) -> None:
    view = _app(services, devchain)
    header = await _header(services, devchain)
    gate = PaymentGate(
        services.engine,
        HangingSettle(services.facilitator),
        services.rail,  # type: ignore[arg-type]
        SystemClock(),
    )
    with pytest.raises(PaymentPendingError) as caught:
        await gate.pay(header, REQUEST)
    record = await records.get(services.engine, caught.value.payment_id)
    _cancel_authorization(devchain, record.nonce)
    before = view.balance(devchain.info.pay_to_address)
    reconciler = Reconciler(
        services.engine, services.facilitator, services.chain.reader, SystemClock(), stale_after_s=0
    )
    assert await reconciler.run_once() == 1
    record = await records.get(services.engine, record.id)
    assert (record.status, record.error_reason) == (PaymentStatus.FAILED, "authorization_canceled")
    assert view.balance(devchain.info.pay_to_address) == before


def _cancel_authorization(devchain: RunningDevChain, nonce: str) -> None:
    """The payer cancels the authorization on chain (EIP-3009 cancelAuthorization)."""
    from eth_account import Account

    from studio402.chain._tx import send_and_wait
    from studio402.chain.abi import encode_call
    from studio402.testing.chain import transfer_authorization_typed_data

    info, keys = devchain.info, devchain.keys
    typed = transfer_authorization_typed_data(
        info, payer=info.payer_address, to=info.payer_address, value=0
    )
    typed["types"]["CancelAuthorization"] = [
        {"name": "authorizer", "type": "address"},
        {"name": "nonce", "type": "bytes32"},
    ]
    del typed["types"]["TransferWithAuthorization"]
    typed["primaryType"] = "CancelAuthorization"
    typed["message"] = {"authorizer": info.payer_address, "nonce": bytes.fromhex(nonce[2:])}
    signed = Account.sign_typed_data(keys.payer, full_message=typed)
    data = encode_call(
        "cancelAuthorization(address,bytes32,uint8,bytes32,bytes32)",
        info.payer_address,
        bytes.fromhex(nonce[2:]),
        signed.v,
        signed.r.to_bytes(32, "big"),
        signed.s.to_bytes(32, "big"),
    )
    with devchain.rpc() as rpc:
        send_and_wait(
            rpc, Account.from_key(keys.deployer), info.chain_id, to=info.token_address, data=data
        )
