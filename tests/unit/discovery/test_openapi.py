"""/openapi.json: valid OpenAPI 3.1, generated from the catalog, read the way agents read it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from studio402.api.guidance import GUIDANCE_LIMIT, price_text
from studio402.api.schemas import usd
from studio402.catalog import Operation, validate_body
from studio402.services import Services

from .conftest import BASE, TOKEN


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def paid_operations(services: Services) -> list[Operation]:
    return services.catalog.operations()


async def test_document_validates_against_the_openapi_3_1_schema(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(document).validate()


async def test_served_at_both_paths(client: httpx.AsyncClient, document: dict[str, Any]) -> None:
    assert (await client.get("/api/openapi.json")).json() == document


async def test_servers_and_info(document: dict[str, Any]) -> None:
    assert document["servers"][0]["url"] == BASE
    info = document["info"]
    assert info["title"] == "studio402" and info["version"]
    assert 500 < len(info["x-guidance"]) < GUIDANCE_LIMIT


async def test_guidance_names_every_route_with_its_price_and_time(
    document: dict[str, Any],
    services: Services,
) -> None:
    guidance = document["info"]["x-guidance"]
    for op in paid_operations(services):
        assert f"{op.path} {price_text(op)} ~{op.typical_seconds}s" in guidance
    for topic in (
        "PAYMENT-REQUIRED",
        "WWW-Authenticate: Payment",
        "SIGN-IN-WITH-X",
        "/llms.txt",
        "Defaults:",
    ):
        assert topic in guidance


async def test_every_paid_operation_is_described_from_the_catalog(
    document: dict[str, Any],
    services: Services,
) -> None:
    for op in paid_operations(services):
        operation = document["paths"][op.path]["post"]
        low, high = usd(op.min_price), usd(op.max_price)
        price = operation["x-payment-info"]["price"]
        if op.min_price == op.max_price:
            assert price == {"mode": "fixed", "currency": "USD", "amount": low}
        else:
            assert price == {"mode": "dynamic", "currency": "USD", "min": low, "max": high}
        protocols = operation["x-payment-info"]["protocols"]
        assert [next(iter(p)) for p in protocols] == ["x402", "mpp"]
        assert protocols[1]["mpp"] == {"method": "evm", "intent": "charge", "currency": TOKEN}
        assert set(operation["responses"]) >= {"200", "402", "default"}
        assert "422" not in operation["responses"]
        assert operation["responses"]["402"]["headers"]["WWW-Authenticate"]["required"]
        content = operation["requestBody"]["content"]["application/json"]
        schema = content["schema"]
        assert schema["additionalProperties"] is False
        for spec in op.fields.values():
            field = schema["properties"][spec.name]
            if spec.enum:
                enums = field.get("enum") or next(v["enum"] for v in field["anyOf"] if "enum" in v)
                assert enums == list(spec.enum)
            if spec.description:
                assert field["description"] == spec.description
        assert validate_body(op, _json(content["example"]))  # the example is a valid body


async def test_retired_models_and_aliases_are_not_advertised(
    document: dict[str, Any],
    services: Services,
) -> None:
    paths = document["paths"]
    assert not [p for p in paths if p.startswith("/api/x402/")]
    for _model, op in services.catalog.retired_operations():
        assert op.path not in paths
    assert "/health" not in paths and "/openapi.json" not in paths
    assert "HTTPValidationError" not in document.get("components", {}).get("schemas", {})


async def test_job_routes_need_siwx_and_describe_their_answers(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["siwx"] == {
        **schemes["siwx"],
        "type": "apiKey",
        "in": "header",
        "name": "SIGN-IN-WITH-X",
    }
    poll = document["paths"]["/api/jobs/{jobId}"]["get"]
    assert {"siwx": []} in poll["security"]
    job = poll["responses"]["200"]["content"]["application/json"]["schema"]
    assert job["properties"]["status"]["enum"] == ["pending", "loading", "complete", "failed"]
    assert (
        poll["responses"]["402"]["content"]["application/json"]["schema"]["properties"]["accepts"][
            "maxItems"
        ]
        == 0
    )
    for path in ("/api/jobs", "/api/jobs/{jobId}/events"):
        assert {"siwx": []} in document["paths"][path]["get"]["security"]


async def test_agentcash_would_list_every_route_with_an_auth_mode_and_price(
    document: dict[str, Any],
    services: Services,
) -> None:
    """The rules of @agentcash/discovery's OpenAPI parser (inferAuthMode, resolvePricingHint)."""
    routes = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            security = operation.get("security")
            names = {name for requirement in security or [] for name in requirement}
            schemes = document["components"]["securitySchemes"]
            mode = (
                "paid"
                if "x-payment-info" in operation
                else "siwx"
                if "siwx" in names
                else "apiKey"
                if any(schemes[n]["type"] == "apiKey" for n in names)
                else "open"
                if security == []
                else None
            )
            routes[f"{method.upper()} {path}"] = (mode, operation.get("x-payment-info"))
    assert all(mode for mode, _ in routes.values()), routes
    assert "GET /api/models" not in routes  # free and open: /llms.txt points to it instead
    paid = {key for key, (mode, _) in routes.items() if mode == "paid"}
    assert paid == {f"POST {op.path}" for op in paid_operations(services)} | {"POST /api/upload"}
    upload = routes["POST /api/upload"][1]["price"]
    assert upload == {"mode": "fixed", "currency": "USD", "amount": usd(10_000)}
    assert routes["POST /api/upload/confirm"][0] == "siwx"
    assert routes["POST /api/uploads"][0] == "siwx"


def _json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()
