"""Every catalog route over HTTP: documented quotes, a 400 naming each invalid field, the
maximum for an absent body, 410 for retired models, and ``GET /api/models``.

One app serves the whole module (building services runs the migrations, ~0.5 s), so the few
hundred requests here stay fast.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from studio402.app import create_app
from studio402.catalog import FieldSpec, Operation
from studio402.chain.wiring import ChainRuntime
from studio402.payments.x402 import Rail
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.testing.facilitators import ScriptedFacilitator
from tests.unit.catalog.documented import BASES, IMAGE, PRICES, RANGES, RETIRED, bodies
from tests.unit.payments.conftest import PAY_TO, TOKEN, make_signer

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Harness:
    client: httpx.AsyncClient
    services: Services
    facilitator: ScriptedFacilitator
    sign: Callable[..., str]

    def operation(self, route: str) -> Operation:
        model, _, name = route.partition("/")
        return self.services.catalog.models[model].operations[name]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    tmp: Path = tmp_path_factory.mktemp("catalog-routes")
    settings = Settings(data_dir=tmp, chain={"embedded": False})
    rail = Rail("eip155:31337", TOKEN, PAY_TO, "USD Coin", "2", 300)
    facilitator = ScriptedFacilitator()
    services = await build_services(
        settings, chain=ChainRuntime(rail.network, rail.asset, rail.pay_to, facilitator, None)
    )
    app = create_app(services=services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8402"
        ) as client,
    ):
        yield Harness(client, services, facilitator, make_signer(rail))
    await services.aclose()


EXPECTED_COMBINATIONS = {
    "seedance/t2v": 12 * 3 * 2,
    "gpt-image-2/generate": 3 * 4,
    "nano-banana-pro/generate": 3 * 10,
    "wan-2.6/t2v": 3 * 4,
}


def quoted(response: httpx.Response) -> int:
    assert response.status_code == 402, response.text
    challenge = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    return int(challenge["accepts"][0]["amount"])


@pytest.mark.parametrize("route", sorted(PRICES))
async def test_every_priced_body_is_quoted_the_documented_price(
    harness: Harness, route: str
) -> None:
    op = harness.operation(route)
    enums = {name: spec.enum for name, spec in op.fields.items()}
    optional = frozenset(n for n, s in op.fields.items() if not s.required and s.default is None)
    count = 0
    for body in bodies(route, enums, optional):
        count += 1
        response = await harness.client.post(op.path, json=body)
        assert quoted(response) == PRICES[route](body), body
        assert response.json()["price"]["amount"] == str(PRICES[route](body))
    assert count == EXPECTED_COMBINATIONS.get(route, count)


@pytest.mark.parametrize("route", sorted(RANGES))
async def test_absent_body_quotes_the_maximum(harness: Harness, route: str) -> None:
    op = harness.operation(route)
    for content in (b"", b"{}", b"not json"):
        response = await harness.client.post(
            op.path, content=content, headers={"Content-Type": "application/json"}
        )
        assert quoted(response) == RANGES[route][1]
        assert response.json()["issues"]


def invalid_values(spec: FieldSpec, op: Operation) -> list[Any]:
    if spec.enum is not None:
        return ["not-a-listed-value", 7]
    values: dict[str, list[Any]] = {
        "string": [12345]
        + ([""] if spec.min_length else [])
        + (["x" * (int(spec.max_length) + 1)] if spec.max_length else []),
        "integer": ["7", 1.5] + ([int(spec.maximum) + 1] if spec.maximum is not None else []),
        "number": ["7"],
        "boolean": ["yes", 1],
        "url": ["ftp://example.com/a.mp3", 5],
        "image": ["file:///etc/passwd", "/relative.png", ["https://a.io/x.png"]],
        "image_list": [
            "https://a.io/x.png",
            ["gopher://a.io/x"],
            [IMAGE] * ((spec.max_items or 0) + 1),
        ]
        + ([[]] if spec.min_items else []),
    }
    return values[spec.type]


@pytest.mark.parametrize("route", sorted(BASES))
async def test_each_invalid_field_is_a_400_naming_it_before_any_money_moves(
    harness: Harness, route: str
) -> None:
    op = harness.operation(route)
    header = {"PAYMENT-SIGNATURE": harness.sign(op.max_price)}
    before = (harness.facilitator.verify_calls, harness.facilitator.settle_calls)
    cases: list[tuple[str, dict[str, Any]]] = [("colour", {**BASES[route], "colour": "red"})]
    for name, spec in op.fields.items():
        cases += [(name, {**BASES[route], name: value}) for value in invalid_values(spec, op)]
        if spec.required:
            cases.append((name, {k: v for k, v in BASES[route].items() if k != name}))
    for field, body in cases:
        paid = await harness.client.post(op.path, json=body, headers=header)
        assert paid.status_code == 400, (field, body, paid.text)
        named = {issue["field"].split(".")[0] for issue in paid.json()["issues"]}
        assert named == {field}, (field, body, paid.json()["issues"])
        unpaid = await harness.client.post(op.path, json=body)
        assert quoted(unpaid) == op.max_price
        assert field in {i["field"].split(".")[0] for i in unpaid.json()["issues"]}
    assert (harness.facilitator.verify_calls, harness.facilitator.settle_calls) == before


@pytest.mark.parametrize("route", sorted(RETIRED))
async def test_retired_models_answer_410_and_never_charge(harness: Harness, route: str) -> None:
    model = route.partition("/")[0]
    path = f"/api/generate/{route}"
    before = harness.facilitator.settle_calls
    attempts = [
        harness.client.post(path, json={"prompt": "a cat", "seconds": "4"}),
        harness.client.post(path, content=b""),
        harness.client.post(path, json={"prompt": 1}),
        harness.client.post(
            path, json={"prompt": "a cat"}, headers={"PAYMENT-SIGNATURE": harness.sign(400000)}
        ),
        harness.client.get(path),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 410
        problem = response.json()
        assert problem["code"] == "model_retired" and problem["retired"] is True
        assert problem["replacement"] == RETIRED[route] and problem["model"] == model
        assert f"use {RETIRED[route]}" in problem["detail"]
        assert "PAYMENT-REQUIRED" not in response.headers
    assert harness.facilitator.settle_calls == before


async def test_unknown_operation_of_a_retired_model_is_410_too(harness: Harness) -> None:
    response = await harness.client.post("/api/generate/sora-2/edit", json={"prompt": "x"})
    assert response.status_code == 410 and response.json()["code"] == "model_retired"


async def test_api_models_lists_every_route_with_prices_and_parameters(harness: Harness) -> None:
    response = await harness.client.get("/api/models")
    assert response.status_code == 200
    document = response.json()
    models = {m["id"]: m for m in document["models"]}
    listed = {f"{m['id']}/{op['name']}": op for m in document["models"] for op in m["operations"]}
    assert set(listed) == set(PRICES) | set(RETIRED)
    for route, (low, high) in RANGES.items():
        price = listed[route]["price"]
        assert (int(price["minAtomic"]), int(price["maxAtomic"])) == (low, high)
    pro = listed["nano-banana-pro/generate"]
    assert pro["type"] == "nano-banana-pro-generate" and pro["price"]["maxUsd"] == "0.24"
    size = next(p for p in pro["parameters"] if p["name"] == "imageSize")
    assert size == {
        "name": "imageSize",
        "type": "string",
        "required": False,
        "default": "1K",
        "enum": ["1K", "2K", "4K"],
        "description": size["description"],
    }
    assert pro["price"]["formula"]["tables"][0]["values"]["4K"] == "240000"
    assert listed["nano-banana-pro/edit"]["references"]["max"] == 14
    assert models["sora-2"]["retired"] is True and models["sora-2"]["replacement"] == "veo-3.1-fast"
    assert models["veo-3.1"]["retired"] is False
    assert document["uploads"]["paid"]["priceAtomic"] == "10000"
    assert document["currency"]["decimals"] == 6
