"""Operator overrides reach the HTTP surface: quotes, hidden routes and ``GET /api/models``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from studio402.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        chain={"embedded": False},
        catalog={"markup_bps": 1000, "models": {"grok": {"enabled": False}}},
    )


async def test_overrides_change_quotes_routes_and_the_model_list(
    client: httpx.AsyncClient,
) -> None:
    quote = await client.post("/api/generate/nano-banana-pro/generate", json={"prompt": "p"})
    challenge = json.loads(base64.b64decode(quote.headers["PAYMENT-REQUIRED"]))
    assert challenge["accepts"][0]["amount"] == "147400"
    hidden = await client.post("/api/generate/grok/generate", json={"prompt": "p"})
    assert hidden.status_code == 404
    assert "grok" not in hidden.json()["detail"].split(": ")[1].split(", ")
    document = (await client.get("/api/models")).json()
    ids = {model["id"] for model in document["models"]}
    assert "grok" not in ids and "nano-banana-pro" in ids
    pro = next(m for m in document["models"] if m["id"] == "nano-banana-pro")
    price = pro["operations"][0]["price"]
    assert (price["minAtomic"], price["maxAtomic"], price["formula"]["markupBps"]) == (
        "147400",
        "264000",
        1000,
    )
