"""The gate's ordering and idempotency rules, against a scripted facilitator on SQLite."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from x402.schemas import SettleResponse, VerifyResponse

from studio402.clock import SystemClock
from studio402.db.tables import jobs, payments
from studio402.errors import (
    FacilitatorError,
    MalformedPaymentError,
    PaymentConflictError,
    PaymentPendingError,
    PaymentRequiredError,
)
from studio402.payments import records
from studio402.payments.gate import PaidRequest, PaymentGate
from studio402.payments.records import PaymentStatus
from studio402.testing.facilitators import ScriptedFacilitator

from .conftest import PAYER


async def count(engine: AsyncEngine, table: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_paid_request_settles_then_creates_one_job(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    paid = await gate.pay(sign(), request_1k)
    assert not paid.replayed
    assert paid.settle.success and paid.settle.transaction == facilitator.settled_hashes[0]
    record = await records.get(engine, paid.payment_id)
    assert record.status is PaymentStatus.SETTLED
    assert record.payer == PAYER.lower()
    assert record.amount_atomic == 134000
    async with engine.connect() as conn:
        job = (await conn.execute(select(jobs))).one()._mapping
    assert job["id"] == paid.job_id
    assert job["payment_id"] == paid.payment_id
    assert job["status"] == "pending"
    assert job["payer"] == PAYER.lower()
    assert json.loads(job["input_json"])["prompt"] == "a cat"


async def test_replayed_signature_returns_same_job_without_settling_again(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    header = sign()
    first = await gate.pay(header, request_1k)
    second = await gate.pay(header, request_1k)
    assert second.job_id == first.job_id and second.replayed
    assert second.settle.transaction == first.settle.transaction
    assert facilitator.settle_calls == 1 and facilitator.verify_calls == 1
    assert await count(engine, jobs) == 1


async def test_twenty_concurrent_replays_yield_one_settlement_and_one_job(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    facilitator.settle_delay_s = 0.05
    header = sign()
    results = await asyncio.gather(*(gate.pay(header, request_1k) for _ in range(20)))
    assert {r.job_id for r in results} == {results[0].job_id}
    assert facilitator.settle_calls == 1
    assert await count(engine, jobs) == 1
    assert await count(engine, payments) == 1
    assert sum(not r.replayed for r in results) == 1


async def test_refused_verification_answers_reason_and_settles_nothing(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    facilitator.verify_script = lambda p, r: VerifyResponse(
        is_valid=False, invalid_reason="invalid_exact_evm_insufficient_balance"
    )
    with pytest.raises(PaymentRequiredError) as caught:
        await gate.pay(sign(), request_1k)
    assert caught.value.details["reason"] == "invalid_exact_evm_insufficient_balance"
    assert facilitator.settle_calls == 0
    assert await count(engine, jobs) == 0
    async with engine.connect() as conn:
        status = (await conn.execute(select(payments.c.status))).scalar_one()
    assert status == "failed"


async def test_failed_payment_can_be_retried_with_the_same_signature(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    header = sign()
    facilitator.verify_script = lambda p, r: VerifyResponse(
        is_valid=False, invalid_reason="invalid_exact_evm_insufficient_balance"
    )
    with pytest.raises(PaymentRequiredError):
        await gate.pay(header, request_1k)
    facilitator.verify_script = lambda p, r: VerifyResponse(is_valid=True)
    paid = await gate.pay(header, request_1k)
    assert facilitator.settle_calls == 1
    assert await count(engine, payments) == 1 and await count(engine, jobs) == 1
    assert (await records.get(engine, paid.payment_id)).status is PaymentStatus.SETTLED


@pytest.mark.parametrize(
    ("amount", "pay_to", "reason"),
    [
        (100000, None, "invalid_exact_evm_payload_authorization_value_mismatch"),
        (
            134000,
            "0x2222222222222222222222222222222222222222",
            "invalid_exact_evm_payload_recipient_mismatch",
        ),
    ],
)
async def test_wrong_amount_or_recipient_is_refused_before_the_ledger(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
    amount: int,
    pay_to: str | None,
    reason: str,
) -> None:
    with pytest.raises(PaymentRequiredError) as caught:
        await gate.pay(sign(amount, pay_to=pay_to), request_1k)
    assert caught.value.details["reason"] == reason
    assert facilitator.verify_calls == 0
    assert await count(engine, payments) == 0


@pytest.mark.parametrize(
    "header",
    [
        "not base64 at all!!",
        base64.b64encode(b"[1,2]").decode(),
        base64.b64encode(b'{"x402Version":2}').decode(),
        base64.b64encode(
            b'{"x402Version":1,"scheme":"exact","network":"base","payload":{}}'
        ).decode(),
    ],
)
async def test_malformed_headers_are_rejected_without_side_effects(
    gate: PaymentGate, request_1k: PaidRequest, engine: AsyncEngine, header: str
) -> None:
    with pytest.raises(MalformedPaymentError):
        await gate.pay(header, request_1k)
    assert await count(engine, payments) == 0


async def test_settlement_timeout_is_pending_never_a_new_402(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    facilitator.settle_delay_s = 5  # beyond the gate's 0.5 s facilitator timeout
    header = sign()
    with pytest.raises(PaymentPendingError) as caught:
        await gate.pay(header, request_1k)
    record = await records.get(engine, caught.value.payment_id)
    assert record.status is PaymentStatus.PENDING
    assert record.error_reason == "settlement_unknown"
    with pytest.raises(PaymentPendingError):  # the same header again: still pending, no 402
        await gate.pay(header, request_1k)
    assert await count(engine, jobs) == 0


async def test_settlement_pending_answer_keeps_the_transaction_hash(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    facilitator.settle_script = lambda p, r: SettleResponse(
        success=False, error_reason="settlement_pending", transaction="0xabc", network=r.network
    )
    with pytest.raises(PaymentPendingError) as caught:
        await gate.pay(sign(), request_1k)
    record = await records.get(engine, caught.value.payment_id)
    assert (record.status, record.tx_hash) == (PaymentStatus.PENDING, "0xabc")


async def test_definitive_settle_failure_is_refused_and_recorded(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    facilitator.settle_script = lambda p, r: SettleResponse(
        success=False, error_reason="transaction_failed", transaction="0xdead", network=r.network
    )
    with pytest.raises(PaymentRequiredError) as caught:
        await gate.pay(sign(), request_1k)
    assert caught.value.details["reason"] == "transaction_failed"
    assert caught.value.details["settle"].transaction == "0xdead"
    assert await count(engine, jobs) == 0


async def test_facilitator_outage_during_verify_is_503_and_retryable(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    engine: AsyncEngine,
) -> None:
    facilitator.verify_error = FacilitatorError("down")
    header = sign()
    with pytest.raises(PaymentPendingError):
        await gate.pay(header, request_1k)
    assert facilitator.settle_calls == 0
    facilitator.verify_error = None
    paid = await gate.pay(header, request_1k)
    assert (await records.get(engine, paid.payment_id)).status is PaymentStatus.SETTLED


async def test_idempotency_key_reused_for_another_payment_is_a_conflict(
    gate: PaymentGate, sign: Callable[..., str], request_1k: PaidRequest
) -> None:
    await gate.pay(sign(), request_1k, idempotency_key="order-123")
    with pytest.raises(PaymentConflictError):
        await gate.pay(sign(), request_1k, idempotency_key="order-123")


async def test_replay_waits_for_the_in_flight_claim(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
) -> None:
    facilitator.settle_delay_s = 0.3
    header = sign()
    first = asyncio.create_task(gate.pay(header, request_1k))
    await asyncio.sleep(0.05)
    second = await gate.pay(header, request_1k)
    assert second.job_id == (await first).job_id


async def test_replay_of_slow_payment_gets_pending_after_wait(
    engine: AsyncEngine,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
    gate: PaymentGate,
) -> None:
    impatient = PaymentGate(
        engine, facilitator, gate.rail, SystemClock(), facilitator_timeout_s=5, replay_wait_s=0.1
    )
    facilitator.settle_delay_s = 1.0
    header = sign()
    first = asyncio.create_task(impatient.pay(header, request_1k))
    await asyncio.sleep(0.05)
    with pytest.raises(PaymentPendingError):
        await impatient.pay(header, request_1k)
    await first


async def test_rpc_outage_reported_as_bad_signature_is_503_not_402(
    gate: PaymentGate,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    request_1k: PaidRequest,
) -> None:
    facilitator.verify_script = lambda p, r: VerifyResponse(
        is_valid=False, invalid_reason="invalid_exact_evm_failed_to_verify_signature"
    )
    header = sign()
    with pytest.raises(PaymentPendingError):
        await gate.pay(header, request_1k)
    facilitator.verify_script = lambda p, r: VerifyResponse(is_valid=True)
    assert not (await gate.pay(header, request_1k)).replayed
