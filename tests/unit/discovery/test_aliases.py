"""StableStudio's old paths: /api/x402/{model}/{op} and /api/x402/jobs/{id}, hidden from OpenAPI."""

from __future__ import annotations

import base64
import json

import httpx

from studio402.client.siwx import sign_in_with_x
from studio402.services import Services
from studio402.testing.payments import sign_payment

from .conftest import BASE

ROUTE = "/api/generate/grok/generate"
ALIAS = "/api/x402/grok/generate"
BODY = {"prompt": "a fox"}
KEY = "0x" + "ab" * 32


async def test_alias_quotes_like_the_route(client: httpx.AsyncClient) -> None:
    canonical = await client.post(ROUTE, json=BODY)
    alias = await client.post(ALIAS, json=BODY)
    assert alias.status_code == canonical.status_code == 402
    decoded = json.loads(base64.b64decode(alias.headers["PAYMENT-REQUIRED"]))
    assert decoded["resource"]["url"] == BASE + ROUTE
    assert (
        decoded["accepts"]
        == json.loads(base64.b64decode(canonical.headers["PAYMENT-REQUIRED"]))["accepts"]
    )
    assert "WWW-Authenticate" in alias.headers


async def test_pay_on_the_alias_and_poll_on_the_job_alias(
    client: httpx.AsyncClient,
    services: Services,
) -> None:
    header = sign_payment(KEY, services.gate.requirements(70000))
    paid = await client.post(ALIAS, json=BODY, headers={"PAYMENT-SIGNATURE": header})
    assert paid.status_code == 200, paid.text
    job_id = paid.json()["jobId"]
    path = f"/api/x402/jobs/{job_id}"
    challenge = await client.get(path)
    assert challenge.status_code == 402
    extension = challenge.json()["extensions"]["sign-in-with-x"]
    polled = await client.get(path, headers={"SIGN-IN-WITH-X": sign_in_with_x(extension, KEY)})
    assert polled.status_code == 200, polled.text
    assert polled.json()["id"] == job_id


async def test_unknown_model_on_the_alias_names_the_models(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/x402/dall-e-9/generate", json=BODY)
    assert response.status_code == 404
    assert "grok" in response.json()["detail"]


async def test_aliases_are_not_in_the_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/api/x402/")]
