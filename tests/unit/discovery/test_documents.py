"""/llms.txt, /.well-known/x402, the favicon, /docs, 404 and 405 answers, and CORS."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from studio402.api.cors import ALLOWED_HEADERS, EXPOSED_HEADERS
from studio402.api.guidance import GUIDANCE_LIMIT
from studio402.services import Services

from .conftest import BASE

ROUTE = "/api/generate/nano-banana-pro/generate"


async def test_llms_txt_is_plain_text_with_every_route_and_field(
    client: httpx.AsyncClient,
    services: Services,
) -> None:
    response = await client.get("/llms.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert len(text) > GUIDANCE_LIMIT
    for op in services.catalog.operations():
        assert f"### POST {op.path}" in text
        for name in op.fields:
            assert f"- {name} (" in text
    assert "Authorization: Payment" in text and "SIGN-IN-WITH-X" in text


async def test_well_known_x402_lists_every_paid_resource(
    client: httpx.AsyncClient,
    services: Services,
) -> None:
    response = await client.get("/.well-known/x402")
    assert response.status_code == 200
    document = response.json()
    assert document["version"] == 1
    urls = [BASE + op.path for op in services.catalog.operations()]
    assert document["resources"] == urls == document["mppResources"]
    assert document["instructions"].startswith("studio402:")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_favicon_is_an_image(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    if method == "GET":
        assert Image.open(io.BytesIO(response.content)).size == (32, 32)


async def test_swagger_ui_reads_our_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200 and "/openapi.json" in response.text


async def test_unknown_route_is_404_json_pointing_to_discovery(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "/openapi.json" in response.json()["detail"]
    assert response.json()["discovery"] == ["/openapi.json", "/llms.txt"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD"])
async def test_wrong_method_on_a_paid_route_is_405(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, ROUTE)
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


async def test_cors_preflight_allows_the_payment_and_sign_in_headers(
    client: httpx.AsyncClient,
) -> None:
    requested = ", ".join([*ALLOWED_HEADERS, "X-Wallet-Address"])
    response = await client.options(
        ROUTE,
        headers={
            "Origin": "https://agent.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": requested,
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = response.headers["access-control-allow-headers"].lower()
    for name in [*ALLOWED_HEADERS, "X-Wallet-Address"]:
        assert name.lower() in allowed


async def test_cors_exposes_the_payment_answers(client: httpx.AsyncClient) -> None:
    response = await client.post(
        ROUTE, json={"prompt": "x"}, headers={"Origin": "https://agent.example"}
    )
    assert response.status_code == 402
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {h.lower() for h in EXPOSED_HEADERS} <= exposed
    assert {
        "payment-required",
        "www-authenticate",
        "payment-receipt",
        "payment-response",
        "retry-after",
        "x-payment-reference",
        "x-session-token",
        "x-session-expires-at",
    } <= exposed
