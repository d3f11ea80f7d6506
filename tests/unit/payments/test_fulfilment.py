"""A settled payment buys a job or an upload slot, atomically, once; the reconciler finishes
either kind; an authorization that bought one kind cannot be replayed for the other."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.clock import SystemClock
from studio402.db.tables import jobs, payments, uploads
from studio402.errors import PaymentConflictError, PaymentPendingError
from studio402.payments import records
from studio402.payments.fulfilment import FulfilmentKind
from studio402.payments.gate import PaidRequest, PaymentGate
from studio402.payments.reconciler import Reconciler
from studio402.payments.records import PaymentStatus
from studio402.testing.facilitators import ScriptedFacilitator

from .conftest import PAYER

UPLOAD = PaidRequest(
    route="/api/upload",
    model="upload",
    operation="upload",
    input={"filename": "a.png", "contentType": "image/png", "size": None},
    amount_atomic=10000,
    kind=FulfilmentKind.UPLOAD,
)


async def count(engine: AsyncEngine, table: object) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int((await conn.execute(query)).scalar_one())


async def test_an_upload_payment_creates_one_slot_and_no_job(
    gate: PaymentGate,
    sign: Callable[..., str],
    engine: AsyncEngine,
    facilitator: ScriptedFacilitator,
) -> None:
    header = sign(10000)
    paid = await gate.pay(header, UPLOAD)
    again = await gate.pay(header, UPLOAD)
    assert paid.kind is FulfilmentKind.UPLOAD and again.replayed
    assert again.job_id == paid.job_id and paid.job_id.startswith("upl_")
    assert facilitator.settle_calls == 1
    assert await count(engine, jobs) == 0 and await count(engine, uploads) == 1
    async with engine.connect() as conn:
        slot = (await conn.execute(select(uploads))).one()._mapping
        kind = (await conn.execute(select(payments.c.kind))).scalar_one()
    assert (slot["payment_id"], slot["payer"], slot["status"]) == (
        paid.payment_id,
        PAYER.lower(),
        "pending",
    )
    assert (slot["filename"], slot["declared_type"], kind) == ("a.png", "image/png", "upload")


async def test_an_authorization_cannot_buy_the_other_kind_on_replay(
    gate: PaymentGate, sign: Callable[..., str], request_1k: PaidRequest
) -> None:
    header = sign(10000)
    await gate.pay(header, UPLOAD)
    job_request = PaidRequest(
        request_1k.route, request_1k.model, request_1k.operation, request_1k.input, 10000
    )
    with pytest.raises(
        PaymentConflictError, match="already paid for something else \\(kind 'upload'"
    ):
        await gate.pay(header, job_request)


async def test_the_reconciler_finishes_an_upload_payment(
    gate: PaymentGate,
    sign: Callable[..., str],
    engine: AsyncEngine,
    facilitator: ScriptedFacilitator,
) -> None:
    facilitator.settle_error = TimeoutError()
    header = sign(10000)
    with pytest.raises(PaymentPendingError) as caught:
        await gate.pay(header, UPLOAD)
    record = await records.get(engine, caught.value.payment_id)
    assert record.status is PaymentStatus.PENDING and record.kind == "upload"
    assert await count(engine, uploads) == 0

    facilitator.settle_error = None
    reconciler = Reconciler(engine, facilitator, None, SystemClock(), stale_after_s=0)
    assert await reconciler.run_once() == 1
    assert await count(engine, uploads) == 1 and await count(engine, jobs) == 0
    settled = await records.get(engine, record.id)
    slot_id = await records.find_fulfilment_id(engine, settled)
    paid = await gate.pay(header, UPLOAD)
    assert paid.replayed and paid.job_id == slot_id


async def test_settle_and_fulfil_is_idempotent_for_both_kinds(
    gate: PaymentGate, sign: Callable[..., str], engine: AsyncEngine, request_1k: PaidRequest
) -> None:
    job = await gate.pay(sign(), request_1k)
    slot = await gate.pay(sign(10000), UPLOAD)
    for paid in (job, slot):
        record = await records.get(engine, paid.payment_id)
        again = await records.settle_and_fulfil(
            engine, record, "0x" + "00" * 32, "{}", SystemClock().now()
        )
        assert again == paid.job_id
    assert await count(engine, jobs) == 1 and await count(engine, uploads) == 1
    assert records.settle_with_job is records.settle_and_fulfil
