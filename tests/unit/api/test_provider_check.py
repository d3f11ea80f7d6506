"""Requests the configured upstream cannot run are refused before any money moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from studio402.providers.base import UnsupportedRequestError
from studio402.providers.factory import UnconfiguredProvider
from studio402.providers.registry import ProviderRegistry
from studio402.services import Services
from studio402.testing.facilitators import ScriptedFacilitator

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "p", "imageSize": "4K"}


class PickyProvider:
    """Runs nothing at 4K."""

    name = "picky"

    def check(self, operation: str, upstream_model: str, values: dict[str, Any]) -> None:
        if values.get("imageSize") == "4K":
            raise UnsupportedRequestError("this upstream renders at most 2K")


@pytest.mark.parametrize("paid", [False, True])
async def test_unsupported_options_are_400_paid_or_not(
    client: httpx.AsyncClient,
    services: Services,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    paid: bool,
) -> None:
    services.providers = ProviderRegistry([PickyProvider()], route_all_to="picky")  # type: ignore[list-item]
    headers = {"PAYMENT-SIGNATURE": sign(240000)} if paid else {}
    response = await client.post(ROUTE, json=BODY, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_options"
    assert facilitator.verify_calls == facilitator.settle_calls == 0
    assert (await client.post(ROUTE, json={"prompt": "p"})).status_code == 402


async def test_model_without_an_upstream_is_503_and_not_quoted(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.providers = ProviderRegistry([UnconfiguredProvider()], route_all_to="unconfigured")
    response = await client.post(ROUTE, json=BODY)
    assert response.status_code == 503
    assert response.json()["code"] == "model_unavailable"
    assert "PAYMENT-REQUIRED" not in response.headers
