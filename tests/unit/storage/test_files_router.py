"""GET /files/{key}: signed, expiring downloads of stored objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from studio402.clock import FrozenClock
from studio402.storage.files_router import build_files_router
from studio402.storage.keys import result_key
from studio402.storage.store import ObjectStore
from studio402.storage.urls import UrlSigner

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
async def client(store: ObjectStore, signer: UrlSigner) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(build_files_router(lambda: store, lambda: signer, clock=FrozenClock(NOW)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def _now() -> int:
    return int(NOW.timestamp())


async def test_valid_url_streams_the_object(
    client: httpx.AsyncClient, store: ObjectStore, signer: UrlSigner
) -> None:
    key = result_key(PNG, "png")
    await store.put(key, PNG, "image/png")
    response = await client.get(signer.sign(key, _now() + 600))
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "private, max-age=600"
    assert response.headers["content-length"] == str(len(PNG))
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("extension", "content_type"),
    [("mp4", "video/mp4"), ("svg", "image/svg+xml"), ("jpg", "image/jpeg"), ("webp", "image/webp")],
)
async def test_content_type_follows_the_extension(
    client: httpx.AsyncClient,
    store: ObjectStore,
    signer: UrlSigner,
    extension: str,
    content_type: str,
) -> None:
    key = result_key(b"media", extension)
    await store.put(key, b"media", content_type)
    response = await client.get(signer.sign(key, _now() + 60))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert "sandbox" in response.headers["content-security-policy"]


async def test_expired_url_is_403(
    client: httpx.AsyncClient, store: ObjectStore, signer: UrlSigner
) -> None:
    await store.put("results/a.png", PNG, "image/png")
    response = await client.get(signer.sign("results/a.png", _now()))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "url_expired"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "query",
    [
        "exp={exp}&sig=AAAA",
        "exp={exp_plus}&sig={sig}",
        "sig={sig}",
        "exp={exp}",
        "",
        "exp=-5&sig={sig}",
        "exp=1e9&sig={sig}",
        "exp=%C2%B2&sig={sig}",
        "exp=" + "9" * 40 + "&sig={sig}",
    ],
    ids=[
        "bad-sig",
        "moved-exp",
        "no-exp",
        "no-sig",
        "nothing",
        "negative",
        "float",
        "sup2",
        "huge",
    ],
)
async def test_bad_signature_is_403(
    client: httpx.AsyncClient, store: ObjectStore, signer: UrlSigner, query: str
) -> None:
    await store.put("results/a.png", PNG, "image/png")
    exp = _now() + 60
    sig = signer.signature("results/a.png", exp)
    response = await client.get(
        "/files/results/a.png?" + query.format(exp=exp, exp_plus=exp + 1, sig=sig)
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "invalid_signature", "message": response.json()["error"]["message"]}
    }


async def test_signature_for_another_key_is_403(
    client: httpx.AsyncClient, store: ObjectStore, signer: UrlSigner
) -> None:
    await store.put("results/a.png", PNG, "image/png")
    await store.put("results/b.png", PNG, "image/png")
    url = signer.sign("results/a.png", _now() + 60).replace("/a.png", "/b.png")
    response = await client.get(url)
    assert response.status_code == 403


async def test_other_secret_is_403(client: httpx.AsyncClient, store: ObjectStore) -> None:
    await store.put("results/a.png", PNG, "image/png")
    url = UrlSigner(b"x" * 32).sign("results/a.png", _now() + 60)
    assert (await client.get(url)).status_code == 403


async def test_gone_object_is_404(
    client: httpx.AsyncClient, store: ObjectStore, signer: UrlSigner
) -> None:
    await store.put("results/a.png", PNG, "image/png")
    url = signer.sign("results/a.png", _now() + 60)
    await store.delete("results/a.png")
    response = await client.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "object_not_found"


async def test_signed_invalid_key_is_404_not_500(
    client: httpx.AsyncClient, signer: UrlSigner
) -> None:
    exp = _now() + 60
    sig = signer.signature("a b.png", exp)
    response = await client.get(f"/files/a%20b.png?exp={exp}&sig={sig}")
    assert response.status_code == 404
