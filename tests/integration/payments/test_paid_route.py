"""The paywall on a real anvil chain: official x402 client, exact balances, every refusal."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from sqlalchemy import func, select
from x402.http.clients.httpx import x402AsyncTransport, x402HttpxClient

from studio402.app import create_app
from studio402.client.payer import official_x402_client
from studio402.db.tables import jobs
from studio402.testing.chain import (
    RunningDevChain,
    sign_transfer_authorization,
    transfer_authorization_typed_data,
)
from studio402.testing.server import serve_in_thread

from .conftest import PaidApp, chain_settings

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "a red fox in snow", "aspectRatio": "3:2", "imageSize": "1K"}
PRICE = 134000


def payer_client(app: PaidApp, key: str | None = None) -> Any:
    info = app.devchain.info
    return official_x402_client(
        key or app.devchain.keys.payer, info.network, info.token_address, 1_000_000
    )


async def job_count(app: PaidApp) -> int:
    async with app.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(jobs))).scalar_one())


async def test_official_client_pays_and_balances_move_by_exactly_the_price(
    paid_app: PaidApp,
) -> None:
    info = paid_app.devchain.info
    before = (paid_app.balance(info.payer_address), paid_app.balance(info.pay_to_address))
    transport = x402AsyncTransport(
        payer_client(paid_app), transport=httpx.ASGITransport(app=_asgi(paid_app))
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8402") as http:
        response = await http.post(ROUTE, json=BODY)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    receipt = json.loads(base64.b64decode(response.headers["PAYMENT-RESPONSE"]))
    assert receipt["success"] and receipt["transaction"].startswith("0x")
    assert paid_app.balance(info.payer_address) == before[0] - PRICE
    assert paid_app.balance(info.pay_to_address) == before[1] + PRICE
    assert await job_count(paid_app) == 1


async def test_concurrent_replays_of_one_signature_make_one_settlement(paid_app: PaidApp) -> None:
    info = paid_app.devchain.info
    header = await _signed_header(paid_app)
    pay_to_before = paid_app.balance(info.pay_to_address)
    responses = await asyncio.gather(
        *(
            paid_app.http.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": header})
            for _ in range(20)
        )
    )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["jobId"] for r in responses}) == 1
    again = await paid_app.http.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": header})
    assert again.json()["jobId"] == responses[0].json()["jobId"]
    assert paid_app.balance(info.pay_to_address) == pay_to_before + PRICE
    assert await job_count(paid_app) == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong_amount", "invalid_exact_evm_payload_authorization_value_mismatch"),
        ("wrong_pay_to", "invalid_exact_evm_payload_recipient_mismatch"),
        ("wrong_asset", "asset_mismatch"),
        ("wrong_network", "network_mismatch"),
        ("expired", "invalid_exact_evm_payload_authorization_valid_before"),
        ("bad_signature", "invalid_exact_evm_payload_signature"),
        ("unfunded", "invalid_exact_evm_insufficient_balance"),
    ],
)
async def test_refusals_carry_the_reason_and_settle_nothing(
    paid_app: PaidApp, case: str, reason: str
) -> None:
    info = paid_app.devchain.info
    header = _crafted_header(paid_app, case)
    pay_to_before = paid_app.balance(info.pay_to_address)
    nonce_before = paid_app.facilitator_nonce()
    response = await paid_app.http.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": header})
    assert response.status_code == 402, response.text
    challenge = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    assert challenge["error"] == reason
    assert paid_app.balance(info.pay_to_address) == pay_to_before
    assert paid_app.facilitator_nonce() == nonce_before
    assert await job_count(paid_app) == 0


async def test_real_http_server_with_official_httpx_client(
    devchain: RunningDevChain, tmp_path: Path
) -> None:
    app = create_app(chain_settings(devchain, tmp_path))
    info = devchain.info
    client = official_x402_client(devchain.keys.payer, info.network, info.token_address, 1_000_000)
    with serve_in_thread(app) as base_url:
        async with x402HttpxClient(client, base_url=base_url, timeout=30) as http:
            response = await http.post(ROUTE, json=BODY)
    assert response.status_code == 200, response.text
    assert response.json()["pollUrl"].endswith(f"/api/jobs/{response.json()['jobId']}")


def _asgi(app: PaidApp) -> Any:
    return create_app(services=app.services)


async def _signed_header(app: PaidApp, amount: int = PRICE) -> str:
    quote = await app.http.post(ROUTE, json=BODY)
    assert quote.status_code == 402
    from x402.http.utils import decode_payment_required_header, encode_payment_signature_header

    required = decode_payment_required_header(quote.headers["PAYMENT-REQUIRED"])
    payload = await payer_client(app).create_payment_payload(required)
    return encode_payment_signature_header(payload)


def _crafted_header(app: PaidApp, case: str) -> str:
    info = app.devchain.info
    key = app.devchain.keys.payer
    if case == "unfunded":
        key = "0x" + bytes(Account.create().key).hex()
    payer = Account.from_key(key).address
    accepted: dict[str, Any] = {
        "scheme": "exact",
        "network": info.network,
        "asset": info.token_address,
        "amount": str(PRICE),
        "payTo": info.pay_to_address,
        "maxTimeoutSeconds": 300,
        "extra": {"name": "USD Coin", "version": "2"},
    }
    value, to, valid_before = PRICE, info.pay_to_address, int(time.time()) + 300
    if case == "wrong_amount":
        value = PRICE - 1
        accepted["amount"] = str(value)
    if case == "wrong_pay_to":
        to = Account.create().address
        accepted["payTo"] = to
    if case == "wrong_asset":
        accepted["asset"] = Account.create().address
    if case == "wrong_network":
        accepted["network"] = "eip155:8453"
    if case == "expired":
        valid_before = int(time.time()) - 10
    typed = transfer_authorization_typed_data(
        info, payer=payer, to=to, value=value, valid_before=valid_before
    )
    signature = sign_transfer_authorization(key, typed)
    if case == "bad_signature":
        signature = sign_transfer_authorization("0x" + "77" * 32, typed)
    message = typed["message"]
    payload = {
        "x402Version": 2,
        "accepted": accepted,
        "resource": {"url": "http://127.0.0.1:8402" + ROUTE},
        "payload": {
            "signature": "0x" + signature.hex(),
            "authorization": {
                "from": payer,
                "to": to,
                "value": str(value),
                "validAfter": "0",
                "validBefore": str(message["validBefore"]),
                "nonce": "0x" + message["nonce"].hex(),
            },
        },
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()
