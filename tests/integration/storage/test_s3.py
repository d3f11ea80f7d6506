"""The object store against a real S3-compatible server (moto in server mode, on loopback)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from studio402.storage.keys import result_key
from studio402.storage.store import ObjectNotFoundError, ObjectStore
from studio402.storage.sweeper import sweep_expired

moto_server = pytest.importorskip(
    "moto.server", reason="moto is not installed: pip install 'moto[server]==5.2.5'"
)
boto3 = pytest.importorskip("boto3", reason="boto3 is not installed (it comes with moto)")

REGION = "us-east-1"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port, stopped at teardown."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    """A boto3 client for arranging and inspecting buckets."""
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["access_key_id"],
        aws_secret_access_key=CREDENTIALS["secret_access_key"],
    )


@pytest.fixture
def bucket(s3_client: Any) -> str:
    """A fresh, empty bucket."""
    name = f"studio402-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def store(s3_endpoint: str, bucket: str) -> ObjectStore:
    """Our store over that bucket, under the ``media`` prefix."""
    return ObjectStore.from_url(
        f"s3://{bucket}/media",
        options={"endpoint": s3_endpoint, "region": REGION, "allow_http": "true", **CREDENTIALS},
    )


async def test_put_get_round_trip_under_the_prefix(
    store: ObjectStore, s3_client: Any, bucket: str
) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    key = result_key(data, "png")
    stored = await store.put(key, data, "image/png")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await store.get(key) == data
    head = s3_client.head_object(Bucket=bucket, Key=f"media/{key}")
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == len(data)


async def test_open_streams_from_s3(store: ObjectStore) -> None:
    data = b"v" * (700 * 1024)
    await store.put("results/clip.mp4", data, "video/mp4")
    stream = await store.open("results/clip.mp4", chunk_size=128 * 1024)
    assert stream.size == len(data)
    assert b"".join([chunk async for chunk in stream.chunks]) == data


async def test_presigned_url_serves_the_bytes(store: ObjectStore) -> None:
    data = b"\x89PNG\r\n\x1a\n presigned"
    key = result_key(data, "png")
    await store.put(key, data, "image/png")
    url = await store.presign_get(key, 300)
    assert url is not None
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=300" in url
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"


async def test_missing_object_and_idempotent_delete(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError):
        await store.get("results/none.png")
    with pytest.raises(ObjectNotFoundError):
        await store.open("results/none.png")
    await store.delete("results/none.png")


async def test_sweep_deletes_expired_objects_only_under_the_prefix(
    store: ObjectStore, s3_client: Any, bucket: str
) -> None:
    for key in ("results/a.png", "results/b/c.png", "results2/d.png", "uploads/e.png"):
        await store.put(key, b"x", "image/png")
    now = datetime.now(UTC)
    assert await sweep_expired(store, "results", retention_s=3600, now=now) == 0

    deleted = await sweep_expired(store, "results", retention_s=60, now=now + timedelta(hours=1))

    assert deleted == 2
    listing = s3_client.list_objects_v2(Bucket=bucket)
    assert sorted(obj["Key"] for obj in listing.get("Contents", [])) == [
        "media/results2/d.png",
        "media/uploads/e.png",
    ]
