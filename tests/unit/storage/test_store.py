"""The object store over a local directory (and the memory store)."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from studio402.errors import ConfigError, StorageError
from studio402.storage.keys import result_key
from studio402.storage.store import ObjectNotFoundError, ObjectStore


def _age(store_dir: Path, key: str, seconds: float) -> None:
    path = store_dir / key
    old = path.stat().st_mtime - seconds
    os.utime(path, (old, old))


async def test_put_then_get_round_trips(store: ObjectStore, store_dir: Path) -> None:
    data = b"\x89PNG fake image bytes"
    key = result_key(data, "png")
    stored = await store.put(key, data, "image/png")
    assert stored.key == key
    assert stored.size == len(data)
    assert stored.content_type == "image/png"
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await store.get(key) == data
    assert (store_dir / key).read_bytes() == data


async def test_put_hashes_large_objects(store: ObjectStore) -> None:
    data = os.urandom(3 * 1024 * 1024)
    stored = await store.put("big/video.mp4", data, "video/mp4")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await store.get("big/video.mp4") == data


async def test_put_overwrites(store: ObjectStore) -> None:
    await store.put("a/b.txt", b"one", "text/plain")
    await store.put("a/b.txt", b"two", "text/plain")
    assert await store.get("a/b.txt") == b"two"


async def test_get_missing_raises_object_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError) as info:
        await store.get("results/no/such.png")
    assert isinstance(info.value, StorageError)
    assert info.value.status == 404
    assert info.value.code == "object_not_found"
    assert not info.value.retryable


async def test_open_streams_the_bytes(store: ObjectStore) -> None:
    data = bytes(range(256)) * 4096
    await store.put("s/blob.bin", data, "application/octet-stream")
    stream = await store.open("s/blob.bin", chunk_size=64 * 1024)
    assert stream.size == len(data)
    assert stream.last_modified.tzinfo is not None
    assert b"".join([chunk async for chunk in stream.chunks]) == data


async def test_open_missing_fails_before_streaming(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError):
        await store.open("nope.png")


async def test_delete_removes_and_is_idempotent(store: ObjectStore, store_dir: Path) -> None:
    await store.put("results/ab/cd/x.png", b"x", "image/png")
    await store.delete("results/ab/cd/x.png")
    with pytest.raises(ObjectNotFoundError):
        await store.get("results/ab/cd/x.png")
    await store.delete("results/ab/cd/x.png")
    assert not (store_dir / "results" / "ab").exists()


@pytest.mark.parametrize("key", ["../escape.png", "/abs.png", "a//b", ""])
async def test_invalid_keys_raise_value_error(store: ObjectStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        await store.put(key, b"x", "image/png")
    with pytest.raises(ValueError, match="invalid object key"):
        await store.get(key)


async def test_list_older_than_uses_last_modified(store: ObjectStore, store_dir: Path) -> None:
    for name in ("old", "new"):
        await store.put(f"results/{name}.png", b"x", "image/png")
    await store.put("uploads/old.png", b"x", "image/png")
    await store.put("results2/old.png", b"x", "image/png")
    for key in ("results/old.png", "uploads/old.png", "results2/old.png"):
        _age(store_dir, key, 3600)
    cutoff = datetime.now(UTC) - timedelta(minutes=30)
    assert await store.list_older_than("results", cutoff) == ["results/old.png"]
    assert sorted(await store.list_older_than("", cutoff)) == [
        "results/old.png",
        "results2/old.png",
        "uploads/old.png",
    ]
    assert await store.list_older_than("missing", cutoff) == []


async def test_list_older_than_rejects_naive_cutoff(store: ObjectStore) -> None:
    with pytest.raises(ValueError, match="aware"):
        await store.list_older_than("results", datetime(2026, 1, 1))


async def test_presign_is_none_for_local_stores(store: ObjectStore) -> None:
    await store.put("a.png", b"x", "image/png")
    assert store.is_local
    assert await store.presign_get("a.png", 60) is None
    with pytest.raises(ValueError, match="expires_s"):
        await store.presign_get("a.png", 0)


async def test_plain_path_is_a_local_directory(tmp_path: Path) -> None:
    store = ObjectStore.from_url(str(tmp_path / "plain"))
    await store.put("k/v.png", b"data", "image/png")
    assert (tmp_path / "plain" / "k" / "v.png").read_bytes() == b"data"


async def test_memory_store_works_and_cannot_presign() -> None:
    store = ObjectStore.from_url("memory://")
    await store.put("k/v.png", b"data", "image/png")
    assert await store.get("k/v.png") == b"data"
    assert not store.is_local
    assert await store.presign_get("k/v.png", 60) is None


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("ftp://host/dir", None),
        ("file:///tmp/x", {"region": "us-east-1"}),
        ("file://remote-host/dir", None),
        ("s3://bucket/prefix", {"no_such_option": "1"}),
    ],
)
def test_from_url_rejects_unusable_config(url: str, options: dict[str, str] | None) -> None:
    with pytest.raises(ConfigError):
        ObjectStore.from_url(url, options=options)


def test_from_url_builds_s3_store_without_io() -> None:
    store = ObjectStore.from_url(
        "s3://bucket/prefix",
        options={
            "endpoint": "http://127.0.0.1:1",
            "region": "us-east-1",
            "access_key_id": "k",
            "secret_access_key": "s",
            "allow_http": "true",
        },
    )
    assert not store.is_local
