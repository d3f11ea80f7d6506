"""MPP over HTTP: the dual 402, pympp's client paying, replays, refusals, SIWX polling."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from mpp import Challenge
from sqlalchemy import select

from studio402.app import create_app
from studio402.chain.wiring import ChainRuntime
from studio402.client.siwx import sign_in_with_x
from studio402.clock import FrozenClock
from studio402.db.tables import jobs, payments
from studio402.payments.x402 import Rail
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.testing.facilitators import ScriptedFacilitator
from studio402.testing.mpp import mpp_transport, sign_credential

from .conftest import PAYER, PAYER_KEY, TOKEN

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "a paper boat", "aspectRatio": "4:3", "imageSize": "4K"}
BASE = "http://127.0.0.1:8402"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
async def services(
    settings: Settings, facilitator: ScriptedFacilitator, rail: Rail, clock: FrozenClock
) -> AsyncIterator[Services]:
    chain = ChainRuntime(rail.network, rail.asset, rail.pay_to, facilitator, None)
    built = await build_services(settings, chain=chain, clock=clock)
    built.gate.facilitator_timeout_s = 0.5
    yield built
    await built.aclose()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services=services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http,
    ):
        yield http


async def quote(client: httpx.AsyncClient, body: dict[str, Any] = BODY) -> httpx.Response:
    response = await client.post(ROUTE, json=body)
    assert response.status_code == 402
    return response


def mpp_challenge(response: httpx.Response) -> Challenge:
    return Challenge.from_www_authenticate(response.headers["WWW-Authenticate"])


def x402_challenge(response: httpx.Response) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    return decoded


async def credential(client: httpx.AsyncClient, **kwargs: Any) -> str:
    return sign_credential(mpp_challenge(await quote(client)), PAYER_KEY, **kwargs)


async def pay(client: httpx.AsyncClient, value: str, body: dict[str, Any] = BODY) -> httpx.Response:
    return await client.post(ROUTE, json=body, headers={"Authorization": value})


async def test_one_402_offers_x402_and_mpp_for_the_same_amount(client: httpx.AsyncClient) -> None:
    response = await quote(client)
    assert response.headers["Cache-Control"] == "no-store"
    accepts = x402_challenge(response)["accepts"][0]
    challenge = mpp_challenge(response)
    assert (challenge.method, challenge.intent) == ("evm", "charge")
    assert challenge.request["amount"] == accepts["amount"] == "240000"
    assert challenge.request["currency"].lower() == accepts["asset"].lower() == TOKEN.lower()
    assert challenge.request["recipient"].lower() == accepts["payTo"].lower()
    assert challenge.request["methodDetails"]["chainId"] == 31337
    assert response.json()["challengeId"] == challenge.id


async def test_pympp_client_pays_and_the_payer_polls_with_siwx(
    client: httpx.AsyncClient,
    services: Services,
    facilitator: ScriptedFacilitator,
) -> None:
    app = create_app(services=services)
    transport = mpp_transport(
        PAYER_KEY, token=TOKEN, chain_id=31337, inner=httpx.ASGITransport(app=app)
    )
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as payer:
        response = await payer.post(ROUTE, json=BODY)
    assert response.status_code == 200, response.text
    assert "PAYMENT-RESPONSE" not in response.headers
    receipt = json.loads(base64.urlsafe_b64decode(response.headers["Payment-Receipt"] + "=="))
    assert receipt["status"] == "success"
    assert receipt["reference"] == facilitator.settled_hashes[0]
    job_id = response.json()["jobId"]
    async with services.engine.connect() as conn:
        row = (await conn.execute(select(payments))).one()._mapping
        job = (await conn.execute(select(jobs))).one()._mapping
    assert (row["protocol"], row["payer"], row["amount_atomic"]) == ("mpp", PAYER.lower(), 240000)
    assert job["payer"] == PAYER.lower()

    path = f"/api/jobs/{job_id}"
    challenge = x402_challenge(await client.get(path))["extensions"]["sign-in-with-x"]
    polled = await client.get(
        path, headers={"SIGN-IN-WITH-X": sign_in_with_x(challenge, PAYER_KEY)}
    )
    assert polled.status_code == 200, polled.text
    assert polled.json()["payment"]["protocol"] == "mpp"


async def test_replayed_credential_returns_the_same_job_and_settles_once(
    client: httpx.AsyncClient,
    facilitator: ScriptedFacilitator,
) -> None:
    value = await credential(client)
    first = await pay(client, value)
    replies = await asyncio.gather(*(pay(client, value) for _ in range(5)))
    assert first.status_code == 200, first.text
    assert {r.status_code for r in replies} == {200}
    assert {r.json()["jobId"] for r in replies} == {first.json()["jobId"]}
    assert facilitator.settle_calls == 1


async def test_same_payer_can_pay_twice_with_two_challenges(client: httpx.AsyncClient) -> None:
    first = await pay(client, await credential(client))
    second = await pay(client, await credential(client))
    assert first.json()["jobId"] != second.json()["jobId"]


@pytest.mark.parametrize("case", ["tampered_id", "expired", "wrong_digest"])
async def test_refused_credentials_get_a_fresh_dual_402_and_move_no_money(
    client: httpx.AsyncClient,
    clock: FrozenClock,
    facilitator: ScriptedFacilitator,
    case: str,
) -> None:
    challenge = mpp_challenge(await quote(client))
    body = BODY
    if case == "tampered_id":
        challenge = Challenge(
            **{**{f: getattr(challenge, f) for f in challenge.__slots__}, "id": "B" * 43}
        )
    value = sign_credential(challenge, PAYER_KEY)
    if case == "expired":
        clock.advance(301)
    if case == "wrong_digest":
        body = {**BODY, "prompt": "a different boat"}
    response = await pay(client, value, body)
    assert response.status_code == 402
    reason = {
        "tampered_id": "invalid_challenge",
        "expired": "payment_expired",
        "wrong_digest": "invalid_challenge",
    }[case]
    assert response.json()["error"] == reason
    assert response.json()["type"].endswith(reason.replace("_", "-"))
    assert mpp_challenge(response).id != challenge.id
    assert x402_challenge(response)["error"] == reason
    assert facilitator.verify_calls == facilitator.settle_calls == 0


async def test_invalid_body_with_a_credential_is_400_before_any_money_moves(
    client: httpx.AsyncClient,
    facilitator: ScriptedFacilitator,
) -> None:
    response = await pay(client, await credential(client), {"prompt": "x", "imageSize": "9K"})
    assert response.status_code == 400
    assert facilitator.verify_calls == 0


async def test_mpp_credential_wins_over_a_payment_signature(
    client: httpx.AsyncClient,
    services: Services,
) -> None:
    value = await credential(client)
    response = await client.post(
        ROUTE, json=BODY, headers={"Authorization": value, "PAYMENT-SIGNATURE": "junk"}
    )
    assert response.status_code == 200, response.text
    async with services.engine.connect() as conn:
        assert (await conn.execute(select(payments.c.protocol))).scalar_one() == "mpp"


async def test_unknown_settlement_is_503_not_a_new_challenge(
    client: httpx.AsyncClient,
    facilitator: ScriptedFacilitator,
) -> None:
    facilitator.settle_delay_s = 5
    response = await pay(client, await credential(client))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "WWW-Authenticate" not in response.headers


async def test_x402_payers_get_both_receipts(
    client: httpx.AsyncClient,
    sign: Any,
    facilitator: ScriptedFacilitator,
) -> None:
    response = await client.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": sign(240000)})
    assert response.status_code == 200, response.text
    settle = json.loads(base64.b64decode(response.headers["PAYMENT-RESPONSE"]))
    receipt = json.loads(base64.urlsafe_b64decode(response.headers["Payment-Receipt"] + "=="))
    assert settle["transaction"] == receipt["reference"] == facilitator.settled_hashes[0]
