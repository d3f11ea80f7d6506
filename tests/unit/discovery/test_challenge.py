"""The paid 402: x402 extensions (bazaar, payment-identifier, mppx binding) beside MPP."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import jsonschema
import pytest
from mpp import BodyDigest, Challenge

from studio402.catalog import validate_body
from studio402.services import Services

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "a lighthouse", "aspectRatio": "16:9", "imageSize": "4K"}


def required(response: httpx.Response) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    return decoded


@pytest.fixture
async def quote(client: httpx.AsyncClient) -> httpx.Response:
    response = await client.post(ROUTE, json=BODY)
    assert response.status_code == 402
    return response


async def test_bazaar_carries_the_input_schema_and_a_valid_example(
    quote: httpx.Response,
    services: Services,
) -> None:
    bazaar = required(quote)["extensions"]["bazaar"]
    info, schema = bazaar["info"], bazaar["schema"]
    jsonschema.validate(info, schema)
    assert info["input"]["method"] == "POST" and info["input"]["bodyType"] == "json"
    body_schema = schema["properties"]["input"]["properties"]["body"]
    assert body_schema["properties"]["imageSize"]["enum"] == ["1K", "2K", "4K"]
    operation = services.catalog.operation("nano-banana-pro", "generate")
    assert validate_body(operation, json.dumps(info["input"]["body"]).encode())
    assert info["output"]["example"]["status"] == "pending"
    assert schema["properties"]["output"]["properties"]["example"]["type"] == "object"


async def test_payment_identifier_is_declared_optional(quote: httpx.Response) -> None:
    extension = required(quote)["extensions"]["payment-identifier"]
    assert extension["info"] == {"required": False}


async def test_route_binding_names_the_route_and_this_body(quote: httpx.Response) -> None:
    binding = required(quote)["extensions"]["mppx"]["info"]
    assert binding["method"] == "POST"
    assert binding["digest"] == BodyDigest.compute(quote.request.content)
    challenge = Challenge.from_www_authenticate(quote.headers["WWW-Authenticate"])
    assert binding["digest"] == challenge.digest


async def test_every_paid_route_quotes_with_headers_small_enough_for_clients(
    client: httpx.AsyncClient,
    services: Services,
) -> None:
    for operation in services.catalog.operations():
        response = await client.post(operation.path, json={})
        assert response.status_code == 402, operation.path
        accepts = required(response)["accepts"][0]
        challenge = Challenge.from_www_authenticate(response.headers["WWW-Authenticate"])
        assert accepts["amount"] == challenge.request["amount"] == str(operation.max_price)
        size = len(response.headers["PAYMENT-REQUIRED"]) + len(response.headers["WWW-Authenticate"])
        assert size < 8192, (operation.path, size)
        assert "bazaar" in required(response)["extensions"]


async def test_the_paid_upload_route_has_a_bazaar_too(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/upload", json={"filename": "a.png", "contentType": "image/png"}
    )
    assert response.status_code == 402
    bazaar = required(response)["extensions"]["bazaar"]
    jsonschema.validate(bazaar["info"], bazaar["schema"])
    assert (
        "contentType" in bazaar["schema"]["properties"]["input"]["properties"]["body"]["properties"]
    )
    assert (
        Challenge.from_www_authenticate(response.headers["WWW-Authenticate"]).request["amount"]
        == "10000"
    )
