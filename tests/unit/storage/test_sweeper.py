"""Retention sweeps over a local directory."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from studio402.storage.store import ObjectStore
from studio402.storage.sweeper import sweep_expired


def _age(store_dir: Path, key: str, seconds: float) -> None:
    path = store_dir / key
    old = path.stat().st_mtime - seconds
    os.utime(path, (old, old))


async def test_sweep_deletes_only_objects_past_retention(
    store: ObjectStore, store_dir: Path
) -> None:
    for key in ("results/a/old1.png", "results/b/old2.png", "results/a/fresh.png", "other/old.png"):
        await store.put(key, b"x", "image/png")
    for key in ("results/a/old1.png", "results/b/old2.png", "other/old.png"):
        _age(store_dir, key, 2 * 86400)

    deleted = await sweep_expired(store, "results", retention_s=86400, now=datetime.now(UTC))

    assert deleted == 2
    remaining = sorted(await store.list_older_than("", datetime.now(UTC)))
    assert remaining == ["other/old.png", "results/a/fresh.png"]
    assert not (store_dir / "results" / "b").exists()


async def test_sweep_with_nothing_expired_returns_zero(store: ObjectStore) -> None:
    await store.put("results/fresh.png", b"x", "image/png")
    assert await sweep_expired(store, "results", retention_s=3600, now=datetime.now(UTC)) == 0
    assert await sweep_expired(store, "empty", retention_s=0, now=datetime.now(UTC)) == 0


async def test_sweep_twice_is_harmless(store: ObjectStore, store_dir: Path) -> None:
    await store.put("results/old.png", b"x", "image/png")
    _age(store_dir, "results/old.png", 100)
    now = datetime.now(UTC)
    assert await sweep_expired(store, "results", retention_s=10, now=now) == 1
    assert await sweep_expired(store, "results", retention_s=10, now=now) == 0


async def test_sweep_rejects_negative_retention(store: ObjectStore) -> None:
    with pytest.raises(ValueError, match="retention_s"):
        await sweep_expired(store, "results", retention_s=-1, now=datetime.now(UTC))
