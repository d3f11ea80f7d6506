"""MPP and x402 on one route, on a real anvil chain: pympp's client and the official x402 client
both pay, both payers poll with SIWX; replays settle once; refused credentials move no money."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from mpp import Challenge
from sqlalchemy import func, select
from x402.http.clients.httpx import x402AsyncTransport

from studio402.app import create_app
from studio402.client.payer import official_x402_client
from studio402.client.siwx import sign_in_with_x
from studio402.clock import FrozenClock
from studio402.db.tables import jobs, payments
from studio402.testing.mpp import mpp_transport, sign_credential

from .conftest import PaidApp

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "a kite over dunes", "aspectRatio": "3:2", "imageSize": "1K"}
PRICE = 134000
BASE = "http://127.0.0.1:8402"


def payer_transport(app: PaidApp, protocol: str) -> httpx.AsyncBaseTransport:
    info, key = app.devchain.info, app.devchain.keys.payer
    inner = httpx.ASGITransport(app=create_app(services=app.services))
    if protocol == "mpp":
        return mpp_transport(key, token=info.token_address, chain_id=info.chain_id, inner=inner)
    client = official_x402_client(key, info.network, info.token_address, 1_000_000)
    return x402AsyncTransport(client, transport=inner)


async def poll_as(app: PaidApp, job_id: str, key: str) -> httpx.Response:
    path = f"/api/jobs/{job_id}"
    challenge = await app.http.get(path)
    assert challenge.status_code == 402
    extension = challenge.json()["extensions"]["sign-in-with-x"]
    return await app.http.get(path, headers={"SIGN-IN-WITH-X": sign_in_with_x(extension, key)})


async def count(app: PaidApp, table: Any) -> int:
    async with app.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def quote_challenge(app: PaidApp) -> Challenge:
    response = await app.http.post(ROUTE, json=BODY)
    assert response.status_code == 402
    return Challenge.from_www_authenticate(response.headers["WWW-Authenticate"])


async def test_pympp_and_the_official_x402_client_pay_the_same_route_and_both_poll(
    paid_app: PaidApp,
) -> None:
    info = paid_app.devchain.info
    payer_before = paid_app.balance(info.payer_address)
    pay_to_before = paid_app.balance(info.pay_to_address)
    jobs_by_protocol = {}
    for protocol in ("mpp", "x402"):
        async with httpx.AsyncClient(
            transport=payer_transport(paid_app, protocol), base_url=BASE, timeout=30
        ) as http:
            response = await http.post(ROUTE, json=BODY)
        assert response.status_code == 200, (protocol, response.text)
        assert "Payment-Receipt" in response.headers
        assert ("PAYMENT-RESPONSE" in response.headers) == (protocol == "x402")
        jobs_by_protocol[protocol] = response.json()["jobId"]
    assert paid_app.balance(info.payer_address) == payer_before - 2 * PRICE
    assert paid_app.balance(info.pay_to_address) == pay_to_before + 2 * PRICE
    for protocol, job_id in jobs_by_protocol.items():
        polled = await poll_as(paid_app, job_id, paid_app.devchain.keys.payer)
        assert polled.status_code == 200, polled.text
        assert polled.json()["payment"]["protocol"] == protocol
        assert polled.json()["payment"]["transaction"].startswith("0x")
    stranger = await poll_as(paid_app, jobs_by_protocol["mpp"], "0x" + "42" * 32)
    assert stranger.status_code == 403


async def test_replayed_mpp_credential_gives_the_same_job_and_one_charge(
    paid_app: PaidApp,
) -> None:
    info = paid_app.devchain.info
    value = sign_credential(await quote_challenge(paid_app), paid_app.devchain.keys.payer)
    pay_to_before = paid_app.balance(info.pay_to_address)
    replies = await asyncio.gather(
        *(paid_app.http.post(ROUTE, json=BODY, headers={"Authorization": value}) for _ in range(10))
    )
    again = await paid_app.http.post(ROUTE, json=BODY, headers={"Authorization": value})
    assert {r.status_code for r in [*replies, again]} == {200}
    assert len({r.json()["jobId"] for r in [*replies, again]}) == 1
    assert paid_app.balance(info.pay_to_address) == pay_to_before + PRICE
    assert await count(paid_app, jobs) == await count(paid_app, payments) == 1


async def test_mppx_0_11_challenge_hash_settles_on_chain(paid_app: PaidApp) -> None:
    info = paid_app.devchain.info
    value = sign_credential(
        await quote_challenge(paid_app), paid_app.devchain.keys.payer, legacy_hash=True
    )
    pay_to_before = paid_app.balance(info.pay_to_address)
    response = await paid_app.http.post(ROUTE, json=BODY, headers={"Authorization": value})
    assert response.status_code == 200, response.text
    assert paid_app.balance(info.pay_to_address) == pay_to_before + PRICE


@pytest.mark.parametrize("case", ["tampered_id", "expired", "wrong_digest"])
async def test_refused_credentials_move_no_money(paid_app: PaidApp, case: str) -> None:
    info = paid_app.devchain.info
    mpp = paid_app.services.mpp
    if case == "expired":
        live = mpp.clock
        mpp.clock = FrozenClock(datetime.now(UTC) - timedelta(seconds=mpp.ttl_s + 60))
        challenge = await quote_challenge(paid_app)
        mpp.clock = live
    else:
        challenge = await quote_challenge(paid_app)
    if case == "tampered_id":
        challenge = Challenge(
            **{**{f: getattr(challenge, f) for f in challenge.__slots__}, "id": "C" * 43}
        )
    value = sign_credential(
        challenge,
        paid_app.devchain.keys.payer,
        valid_before=int(datetime.now(UTC).timestamp()) + 300,
    )
    body = {**BODY, "prompt": "another kite"} if case == "wrong_digest" else BODY
    pay_to_before = paid_app.balance(info.pay_to_address)
    nonce_before = paid_app.facilitator_nonce()
    response = await paid_app.http.post(ROUTE, json=body, headers={"Authorization": value})
    assert response.status_code == 402, response.text
    assert response.json()["error"] == (
        "payment_expired" if case == "expired" else "invalid_challenge"
    )
    assert paid_app.balance(info.pay_to_address) == pay_to_before
    assert paid_app.facilitator_nonce() == nonce_before
    assert await count(paid_app, payments) == 0
