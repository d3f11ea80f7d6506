"""The HTTP facilitator client against a fake facilitator server (real HTTP, real chain)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from x402.http.utils import encode_payment_signature_header
from x402.schemas import PaymentPayload

from studio402.errors import FacilitatorError, PaymentPendingError
from studio402.payments import records
from studio402.payments.facilitator.http import HttpFacilitator
from studio402.payments.facilitator.local import LocalFacilitator
from studio402.payments.gate import PaidRequest
from studio402.payments.records import PaymentStatus
from studio402.payments.x402 import Rail, decode_payment
from studio402.services import build_services
from studio402.testing.chain import RunningDevChain
from studio402.testing.fake_facilitator import Misbehaviour, build_fake_facilitator
from studio402.testing.payments import sign_payment
from studio402.testing.server import serve_in_thread

from .conftest import chain_settings

REQUEST = PaidRequest(
    "/api/generate/nano-banana-pro/generate",
    "nano-banana-pro",
    "generate",
    {"prompt": "p", "aspectRatio": "1:1", "imageSize": "1K"},
    134000,
)


@pytest.fixture
def misbehaviour() -> Misbehaviour:
    return Misbehaviour()


@pytest.fixture
def facilitator_url(devchain: RunningDevChain, misbehaviour: Misbehaviour) -> Iterator[str]:
    info = devchain.info
    inner = LocalFacilitator(
        rpc_url=info.rpc_url, chain_id=info.chain_id, private_key=devchain.keys.facilitator
    )
    with serve_in_thread(build_fake_facilitator(inner, misbehaviour)) as url:
        yield url


def rail(devchain: RunningDevChain) -> Rail:
    info = devchain.info
    return Rail(info.network, info.token_address, info.pay_to_address, "USD Coin", "2", 300)


def signed(devchain: RunningDevChain) -> PaymentPayload:
    return decode_payment(sign_payment(devchain.keys.payer, rail(devchain).requirements(134000)))


async def test_verify_settle_and_supported_over_http(
    devchain: RunningDevChain, facilitator_url: str, misbehaviour: Misbehaviour
) -> None:
    async with httpx.AsyncClient() as http:

        async def bearer(method: str, path: str) -> dict[str, str]:
            return {"Authorization": f"Bearer token-for-{method}-{path}"}

        client = HttpFacilitator(facilitator_url, http, headers=bearer)
        supported = await client.supported()
        assert supported.kinds[0].network == devchain.info.network
        payload = signed(devchain)
        requirements = rail(devchain).requirements(134000)
        assert (await client.verify(payload, requirements)).is_valid
        settled = await client.settle(payload, requirements)
        assert settled.success and settled.transaction.startswith("0x")
        replay = await client.verify(payload, requirements)
        assert replay.invalid_reason == "invalid_exact_evm_nonce_already_used"
    assert misbehaviour.authorization_seen[0] == "Bearer token-for-POST-/verify"


async def test_settlement_pending_with_http_500_is_parsed_not_dropped(
    devchain: RunningDevChain, facilitator_url: str, misbehaviour: Misbehaviour
) -> None:
    misbehaviour.settle_mode = "pending_500"
    async with httpx.AsyncClient() as http:
        result = await HttpFacilitator(facilitator_url, http).settle(
            signed(devchain), rail(devchain).requirements(134000)
        )
    assert (result.success, result.error_reason) == (False, "settlement_pending")
    assert result.transaction.startswith("0x")


@pytest.mark.parametrize("mode", ["bad_gateway", "slow"])
async def test_unreadable_or_slow_facilitator_raises_facilitator_error(
    devchain: RunningDevChain, facilitator_url: str, misbehaviour: Misbehaviour, mode: str
) -> None:
    misbehaviour.settle_mode = mode
    misbehaviour.delay_s = 2
    async with httpx.AsyncClient() as http:
        client = HttpFacilitator(facilitator_url, http, timeout_s=0.5)
        with pytest.raises(FacilitatorError):
            await client.settle(signed(devchain), rail(devchain).requirements(134000))


async def test_server_configured_with_a_remote_facilitator_reconciles_pending(
    devchain: RunningDevChain, facilitator_url: str, misbehaviour: Misbehaviour, tmp_path: Path
) -> None:
    settings = chain_settings(devchain, tmp_path)
    settings.payments.facilitator = facilitator_url
    services = await build_services(settings)
    try:
        misbehaviour.settle_mode = "pending_500"
        payload = signed(devchain)
        header = encode_payment_signature_header(payload)
        with pytest.raises(PaymentPendingError) as caught:
            await services.gate.pay(header, REQUEST)
        record = await records.get(services.engine, caught.value.payment_id)
        assert record.status is PaymentStatus.PENDING and record.tx_hash
        services.reconciler.stale_after_s = 0
        assert await services.reconciler.run_once() == 1
        paid = await services.gate.pay(header, REQUEST)
        assert paid.replayed and paid.settle.transaction == record.tx_hash
    finally:
        await services.aclose()
