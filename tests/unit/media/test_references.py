"""Reference resolution: data URIs, this server's signed file URLs, fetched URLs, all stored."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import httpx
import pytest

from studio402.catalog import Catalog, validate_body
from studio402.clock import FrozenClock
from studio402.errors import InvalidReferenceError
from studio402.media.addresses import AddressPolicy
from studio402.media.fetch import ImageFetcher
from studio402.media.references import OwnFiles, ReferenceResolver, input_key
from studio402.storage.store import ObjectStore
from studio402.storage.urls import UrlSigner

from .samples import image_bytes, png_bomb
from .test_fetch import PUBLIC, Recorder, ScriptedResolver

NOW = datetime(2026, 11, 1, tzinfo=UTC)
PUBLIC_URL = "https://studio.example"
SIGNER = UrlSigner(b"s" * 32)


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode()


def resolver(store: ObjectStore, recorder: Recorder) -> ReferenceResolver:
    fetcher = ImageFetcher(
        AddressPolicy(),
        resolver=ScriptedResolver([PUBLIC]),
        transport=httpx.MockTransport(recorder),
    )
    own = OwnFiles(PUBLIC_URL, SIGNER, store, FrozenClock(NOW))
    return ReferenceResolver(fetcher, store, own, max_bytes=1_000_000, max_pixels=4_000_000)


@pytest.fixture
def store() -> ObjectStore:
    return ObjectStore.from_url("memory://")


async def test_each_kind_of_reference_is_stored_and_listed(store: ObjectStore) -> None:
    jpeg = image_bytes("JPEG", (64, 48), "white")
    uploaded = image_bytes("WEBP", (10, 20), "blue")
    key = input_key(uploaded, "webp")
    await store.put(key, uploaded, "image/webp")
    own_url = PUBLIC_URL + SIGNER.sign(key, int(NOW.timestamp()) + 600)
    op = Catalog.load().operation("nano-banana-pro", "edit")
    body = {
        "prompt": "p",
        "images": ["https://cdn.example/a.png", data_uri(jpeg, "image/png"), own_url],
    }
    values = validate_body(op, json.dumps(body).encode())
    recorder = Recorder()
    stored = await resolver(store, recorder).resolve(op, values)

    assert [str(r.url.host) for r in recorder.requests] == [PUBLIC]  # the own URL: no HTTP
    refs = stored["_references"]
    assert [(r["field"], r["index"], r["contentType"]) for r in refs] == [
        ("images", 0, "image/png"),
        ("images", 1, "image/jpeg"),
        ("images", 2, "image/webp"),
    ]
    assert (refs[1]["width"], refs[1]["height"]) == (64, 48)
    assert refs[1]["key"] == input_key(jpeg, "jpg") and refs[2]["key"] == key
    assert stored["images"] == ["https://cdn.example/a.png", refs[1]["key"], own_url]
    assert await store.get(refs[1]["key"]) == jpeg
    assert "base64" not in json.dumps(stored)


async def test_every_bad_reference_is_named_by_index(store: ObjectStore) -> None:
    op = Catalog.load().operation("flux-2-pro", "edit")
    good = data_uri(image_bytes())
    expired = PUBLIC_URL + SIGNER.sign("inputs/aa/bb/x.png", int(NOW.timestamp()) - 1)
    forged = PUBLIC_URL + "/files/inputs/aa/bb/x.png?exp=9999999999&sig=forged"
    body = {
        "prompt": "p",
        "images": [
            good,
            data_uri(b"<html>"),
            data_uri(png_bomb()),
            "http://10.0.0.1/a.png",
            expired,
            forged,
            PUBLIC_URL + "/api/jobs/1",
        ],
    }
    with pytest.raises(InvalidReferenceError) as caught:
        await resolver(store, Recorder()).resolve(op, validate_body(op, json.dumps(body).encode()))
    issues = {i["field"]: i for i in caught.value.issues}
    assert set(issues) == {f"images.{i}" for i in range(1, 7)}
    assert "not a PNG" in issues["images.1"]["message"]
    assert "pixels" in issues["images.2"]["message"]
    assert issues["images.3"]["type"] == "blocked_address"
    assert "expired" in issues["images.4"]["message"]
    assert "not valid" in issues["images.5"]["message"]
    assert "signed /files/" in issues["images.6"]["message"]


async def test_single_image_fields_and_bodies_without_images(store: ObjectStore) -> None:
    catalog = Catalog.load()
    op = catalog.operation("wan-2.6", "i2v")
    png = image_bytes()
    values = validate_body(op, json.dumps({"prompt": "p", "image": data_uri(png)}).encode())
    stored = await resolver(store, Recorder()).resolve(op, values)
    assert stored["image"] == input_key(png, "png")
    assert stored["_references"][0]["index"] is None
    generate = catalog.operation("grok-video", "generate")
    plain = validate_body(generate, b'{"prompt": "p"}')
    assert await resolver(store, Recorder()).resolve(generate, plain) == plain
