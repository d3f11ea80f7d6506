"""Edit with reference images through the paid route: fetched, checked and stored before any
money moves; the job input carries stored keys, never bytes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from studio402.db.tables import payments
from studio402.media.references import input_key
from studio402.services import Services
from studio402.settings import Settings
from studio402.testing.facilitators import ScriptedFacilitator
from tests.unit.media.samples import LocalServer, image_bytes, local_server, png_bomb

ROUTE = "/api/generate/nano-banana-pro/edit"
PNG = image_bytes("PNG", (64, 64), "red")
JPEG = image_bytes("JPEG", (80, 60), "white")
WEBP = image_bytes("WEBP", (32, 48), "blue")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Local tests fetch from 127.0.0.1: allowed explicitly, as an operator would."""
    return Settings(
        data_dir=tmp_path, chain={"embedded": False}, media={"allow_networks": ["127.0.0.1/32"]}
    )


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        running.serve_bytes("/a.png", PNG, "image/png")
        running.serve_bytes("/fake.png", b"<html>hello</html>", "image/png")
        yield running


def data_uri(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


async def own_url(services: Services, data: bytes) -> str:
    key = input_key(data, "webp")
    await services.store.put(key, data, "image/webp")
    expires = int(services.clock.now().timestamp()) + 600
    return services.settings.resolved_public_url + services.signer.sign(key, expires)


async def payment_count(services: Services) -> int:
    async with services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(payments))).scalar_one())


async def test_paid_edit_with_three_references_stores_them_before_settling(
    client: httpx.AsyncClient,
    services: Services,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    server: LocalServer,
) -> None:
    images = [server.url("/a.png"), data_uri(JPEG), await own_url(services, WEBP)]
    body = {"prompt": "put the three together", "images": images, "imageSize": "2K"}

    quote = await client.post(ROUTE, json=body)
    assert quote.status_code == 402 and quote.json()["price"]["amount"] == "134000"
    assert server.hits == []  # an unpaid request fetches nothing

    response = await client.post(ROUTE, json=body, headers={"PAYMENT-SIGNATURE": sign(134000)})
    assert response.status_code == 200, response.text
    assert response.json()["type"] == "nano-banana-pro-edit"
    assert server.hits == ["/a.png"] and facilitator.settle_calls == 1

    job = await services.queue.get(response.json()["jobId"])
    assert job is not None
    refs = job.input["_references"]
    assert [(r["index"], r["contentType"], r["width"], r["height"]) for r in refs] == [
        (0, "image/png", 64, 64),
        (1, "image/jpeg", 80, 60),
        (2, "image/webp", 32, 48),
    ]
    assert [r["key"] for r in refs] == [
        input_key(PNG, "png"),
        input_key(JPEG, "jpg"),
        input_key(WEBP, "webp"),
    ]
    assert job.input["images"] == [images[0], refs[1]["key"], images[2]]
    assert "base64" not in json.dumps(job.input)
    for ref, data in zip(refs, (PNG, JPEG, WEBP), strict=True):
        assert await services.store.get(ref["key"]) == data

    assert await services.worker().run_until_idle() == 1
    finished = await services.queue.get(job.id)
    assert finished is not None and finished.status.value == "complete"


async def test_bad_references_are_a_400_naming_each_before_any_payment(
    client: httpx.AsyncClient,
    services: Services,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
    server: LocalServer,
) -> None:
    bomb = "data:image/png;base64," + base64.b64encode(png_bomb()).decode()
    body = {
        "prompt": "p",
        "images": [
            server.url("/a.png"),
            "http://10.0.0.1/x.png",
            bomb,
            server.url("/fake.png"),
            "http://169.254.169.254/latest/meta-data/",
            server.url("/missing.png"),
        ],
    }
    response = await client.post(ROUTE, json=body, headers={"PAYMENT-SIGNATURE": sign(134000)})
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_reference"
    assert [i["field"] for i in problem["issues"]] == [f"images.{i}" for i in range(1, 6)]
    assert problem["issues"][0]["type"] == "blocked_address"
    assert "pixels" in problem["issues"][1]["message"]
    assert "not a PNG" in problem["issues"][2]["message"]
    assert "HTTP 404" in problem["issues"][4]["message"]
    assert facilitator.verify_calls == facilitator.settle_calls == 0
    assert await payment_count(services) == 0


async def test_a_bad_payment_is_refused_before_anything_is_fetched(
    client: httpx.AsyncClient, sign: Callable[..., str], server: LocalServer
) -> None:
    body = {"prompt": "p", "images": [server.url("/a.png")], "imageSize": "4K"}
    malformed = await client.post(ROUTE, json=body, headers={"PAYMENT-SIGNATURE": "%%%"})
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_payment"
    short = await client.post(ROUTE, json=body, headers={"PAYMENT-SIGNATURE": sign(134000)})
    assert short.status_code == 402
    assert server.hits == []


async def test_large_data_uris_fit_the_media_body_limit_not_the_plain_one(
    client: httpx.AsyncClient, sign: Callable[..., str]
) -> None:
    big = _png_with_padding(image_bytes("PNG", (8, 8)), 1_500_000)
    body = {"prompt": "p", "images": [data_uri(big)]}
    response = await client.post(ROUTE, json=body, headers={"PAYMENT-SIGNATURE": sign(134000)})
    assert response.status_code == 200, response.text
    plain = await client.post(
        "/api/generate/nano-banana-pro/generate", json={"prompt": "x" * 1_500_000}
    )
    assert plain.status_code == 413


def _png_with_padding(png: bytes, size: int) -> bytes:
    """A PNG grown by a private ancillary chunk (still a valid PNG)."""
    import struct
    import zlib

    payload = b"\0" * size
    chunk = (
        struct.pack(">I", size)
        + b"prVt"
        + payload
        + struct.pack(">I", zlib.crc32(b"prVt" + payload))
    )
    return png[:33] + chunk + png[33:]
