"""The generate route: every 402, 400, 404, 413 and 503 branch, and the paid answer."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from studio402.testing.facilitators import ScriptedFacilitator

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "a lighthouse at dusk", "aspectRatio": "16:9", "imageSize": "2K"}


def challenge(response: httpx.Response) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    return decoded


@pytest.mark.parametrize(("size", "amount"), [("1K", "134000"), ("2K", "134000"), ("4K", "240000")])
async def test_unpaid_valid_body_is_quoted_exactly(
    client: httpx.AsyncClient, size: str, amount: str
) -> None:
    response = await client.post(ROUTE, json={**BODY, "imageSize": size})
    assert response.status_code == 402
    assert response.headers["Cache-Control"] == "no-store"
    required = challenge(response)
    assert required["x402Version"] == 2
    assert required["resource"]["url"] == "http://127.0.0.1:8402" + ROUTE
    [accept] = required["accepts"]
    assert accept == {
        "scheme": "exact",
        "network": "eip155:31337",
        "asset": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "amount": amount,
        "payTo": "0x1111111111111111111111111111111111111111",
        "maxTimeoutSeconds": 300,
        "extra": {"name": "USD Coin", "version": "2"},
    }
    assert response.json()["price"]["amount"] == amount


@pytest.mark.parametrize(
    "content", [b"", b"not json", b'{"prompt": ""}', b'{"prompt": "x", "imageSize": "8K"}']
)
async def test_unpaid_absent_or_invalid_body_quotes_the_maximum(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        ROUTE, content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 402
    assert challenge(response)["accepts"][0]["amount"] == "240000"
    assert response.json()["issues"]


async def test_paid_invalid_body_is_400_and_moves_no_money(
    client: httpx.AsyncClient, facilitator: ScriptedFacilitator, sign: Callable[..., str]
) -> None:
    response = await client.post(
        ROUTE,
        json={"prompt": "x", "aspectRatio": "7:3", "colour": "red"},
        headers={"PAYMENT-SIGNATURE": sign(134000)},
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_request"
    assert {issue["field"] for issue in problem["issues"]} == {"aspectRatio", "colour"}
    assert facilitator.verify_calls == facilitator.settle_calls == 0


async def test_paid_valid_request_returns_the_job(
    client: httpx.AsyncClient, facilitator: ScriptedFacilitator, sign: Callable[..., str]
) -> None:
    response = await client.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": sign(134000)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "nano-banana-pro-generate"
    assert body["status"] == "pending" and body["success"] is True
    assert body["pollUrl"] == f"http://127.0.0.1:8402/api/jobs/{body['jobId']}"
    receipt = json.loads(base64.b64decode(response.headers["PAYMENT-RESPONSE"]))
    assert receipt["success"] is True
    assert receipt["transaction"] == facilitator.settled_hashes[0]


async def test_replayed_header_over_http_names_the_same_job(
    client: httpx.AsyncClient, facilitator: ScriptedFacilitator, sign: Callable[..., str]
) -> None:
    header = {"PAYMENT-SIGNATURE": sign(134000)}
    first = await client.post(ROUTE, json=BODY, headers=header)
    second = await client.post(ROUTE, json=BODY, headers=header)
    assert first.json()["jobId"] == second.json()["jobId"]
    assert facilitator.settle_calls == 1


async def test_underpayment_gets_a_fresh_402_with_the_reason(
    client: httpx.AsyncClient, facilitator: ScriptedFacilitator, sign: Callable[..., str]
) -> None:
    response = await client.post(
        ROUTE, json={**BODY, "imageSize": "4K"}, headers={"PAYMENT-SIGNATURE": sign(134000)}
    )
    assert response.status_code == 402
    required = challenge(response)
    assert required["error"] == "invalid_exact_evm_payload_authorization_value_mismatch"
    assert required["accepts"][0]["amount"] == "240000"
    assert facilitator.verify_calls == 0


async def test_malformed_payment_header_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": "%%%"})
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payment"


async def test_unknown_settlement_is_503_with_retry_after_not_402(
    client: httpx.AsyncClient, facilitator: ScriptedFacilitator, sign: Callable[..., str]
) -> None:
    facilitator.settle_delay_s = 5
    response = await client.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": sign(134000)})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["paymentId"] == response.headers["X-Payment-Reference"]
    assert "PAYMENT-REQUIRED" not in response.headers


async def test_unknown_model_is_404_naming_the_models(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/generate/dall-e-9/generate", json=BODY)
    assert response.status_code == 404
    assert "nano-banana-pro" in response.json()["detail"]


async def test_huge_prompt_is_named_in_the_issues(
    client: httpx.AsyncClient, sign: Callable[..., str]
) -> None:
    response = await client.post(
        ROUTE, json={"prompt": "x" * 9000}, headers={"PAYMENT-SIGNATURE": sign(134000)}
    )
    assert response.status_code == 400
    assert response.json()["issues"][0]["field"] == "prompt"


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        ROUTE, content=b"{" + b" " * 1_100_000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get(ROUTE)
    assert response.status_code == 405
