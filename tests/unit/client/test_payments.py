"""Paying through the SDK against the real app (scripted facilitator): caps before signing,
one signature per request, the same header on every retry, typed refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from studio402.client import (
    ApiError,
    AsyncStudio402Client,
    NoPayableOfferError,
    PaymentRefusedError,
    PaymentUnconfirmedError,
    SpendingCapError,
)
from studio402.services import Services
from studio402.testing.facilitators import ScriptedFacilitator

from .conftest import CountingSigner, FaultyTransport

MODEL = "nano-banana-pro"
Factory = Callable[..., AsyncStudio402Client]


async def test_quote_reads_the_exact_price_without_paying(
    make_client: Factory, facilitator: ScriptedFacilitator, signer: CountingSigner
) -> None:
    client = make_client()
    quote = await client.quote(MODEL, prompt="a fox", imageSize="4K")
    assert quote.exact and quote.amount_atomic == 240000 and quote.usd == "0.24"
    assert quote.offer is not None and quote.network == "eip155:31337"
    assert signer.calls == 0 and facilitator.settle_calls == 0


async def test_pay_settles_once_and_returns_the_job(
    make_client: Factory, facilitator: ScriptedFacilitator, signer: CountingSigner
) -> None:
    client = make_client()
    submission = await client.generate(MODEL, prompt="a fox", aspectRatio="16:9")
    assert submission.job_id and submission.type == "nano-banana-pro-generate"
    assert submission.receipt is not None and submission.receipt.success
    assert submission.amount_atomic == 134000
    assert signer.calls == 1 and facilitator.settle_calls == 1
    assert client.budget.spent_atomic == 134000


async def test_per_call_cap_refuses_before_signing(
    make_client: Factory, transport: FaultyTransport, signer: CountingSigner
) -> None:
    client = make_client(max_per_call_atomic=200_000)
    with pytest.raises(SpendingCapError) as caught:
        await client.generate(MODEL, prompt="a fox", imageSize="4K")
    assert caught.value.amount_atomic == 240000 and caught.value.cap_atomic == 200_000
    assert "nothing was signed" in caught.value.message
    assert signer.calls == 0 and transport.paid_headers() == []


async def test_max_price_of_one_call_refuses_before_signing(
    make_client: Factory, transport: FaultyTransport, signer: CountingSigner
) -> None:
    client = make_client()
    with pytest.raises(SpendingCapError):
        await client.generate(MODEL, prompt="a fox", max_price_atomic=100_000)
    assert signer.calls == 0 and transport.paid_headers() == []


async def test_session_cap_counts_concurrent_payments(
    make_client: Factory, signer: CountingSigner, facilitator: ScriptedFacilitator
) -> None:
    client = make_client(max_per_session_atomic=300_000)
    results = await asyncio.gather(
        *(client.generate(MODEL, prompt=f"fox {i}") for i in range(3)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, SpendingCapError)]
    assert len(refused) == 1 and signer.calls == 2 and facilitator.settle_calls == 2
    assert client.budget.spent_atomic == 268000 and client.budget.remaining_atomic == 32000


async def test_network_error_after_payment_resends_the_same_header(
    make_client: Factory,
    transport: FaultyTransport,
    signer: CountingSigner,
    facilitator: ScriptedFacilitator,
) -> None:
    client = make_client()
    transport.drops = 2  # the server takes the payment twice over, both answers are lost
    submission = await client.generate(MODEL, prompt="a fox")
    headers = transport.paid_headers()
    assert len(headers) == 3 and len(set(headers)) == 1
    assert signer.calls == 1 and facilitator.settle_calls == 1
    assert submission.attempts == 3
    page = await client.jobs()
    assert [job.id for job in page.jobs] == [submission.job_id]


async def test_payment_pending_is_retried_with_the_same_header(
    make_client: Factory,
    services: Services,
    transport: FaultyTransport,
    signer: CountingSigner,
    facilitator: ScriptedFacilitator,
) -> None:
    facilitator.settle_delay_s = 1.0  # beyond the gate's 0.5 s: outcome unknown, 503
    client = make_client(payment_retry_timeout_s=1.0)
    with pytest.raises(PaymentUnconfirmedError) as caught:
        await client.generate(MODEL, prompt="a fox")
    pending = caught.value
    assert pending.reference and signer.calls == 1
    assert set(transport.paid_headers()) == {pending.payment_header}
    assert client.budget.spent_atomic == 134000  # unknown outcome counts as spent
    facilitator.settle_delay_s = 0.0
    await services.reconciler.run_once()  # the server finishes the payment it holds
    submission = await client.resume(pending)
    assert signer.calls == 1 and set(transport.paid_headers()) == {pending.payment_header}
    assert submission.job_id and len(facilitator.settled_hashes) == 1
    assert client.budget.spent_atomic == 134000


async def test_refused_payment_is_typed_and_releases_the_reservation(
    make_client: Factory, facilitator: ScriptedFacilitator
) -> None:
    from x402.schemas import VerifyResponse

    facilitator.verify_script = lambda payload, req: VerifyResponse(
        is_valid=False, invalid_reason="invalid_exact_evm_insufficient_balance"
    )
    client = make_client(max_per_session_atomic=134000)
    with pytest.raises(PaymentRefusedError) as caught:
        await client.generate(MODEL, prompt="a fox")
    assert caught.value.reason == "invalid_exact_evm_insufficient_balance"
    assert client.budget.spent_atomic == 0 and client.budget.remaining_atomic == 134000


async def test_invalid_body_is_never_paid(
    make_client: Factory, signer: CountingSigner, transport: FaultyTransport
) -> None:
    client = make_client()
    quote = await client.quote(MODEL, prompt="a fox", aspectRatio="7:3")
    assert not quote.exact and quote.issues[0]["field"] == "aspectRatio"
    with pytest.raises(ApiError) as caught:
        await client.pay(quote)
    assert caught.value.code == "invalid_request" and signer.calls == 0
    assert transport.paid_headers() == []


async def test_unknown_model_carries_the_servers_code(make_client: Factory) -> None:
    with pytest.raises(ApiError) as caught:
        await make_client().generate("no-such-model", prompt="a fox")
    assert caught.value.http_status == 404 and caught.value.code == "unknown_model"
    assert "nano-banana-pro" in caught.value.message


async def test_unknown_token_is_not_payable(make_client: Factory, signer: CountingSigner) -> None:
    client = make_client(allowed_assets=[])
    quote = await client.quote(MODEL, prompt="a fox")
    assert quote.offer is None
    with pytest.raises(NoPayableOfferError):
        await client.pay(quote)
    assert signer.calls == 0
