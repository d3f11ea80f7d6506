"""HMAC-bound nonces and the single-use stores (memory, SQL on SQLite in tmp)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from studio402.auth.nonces import MemoryNonceStore, NonceStore, SignedNonces, SqlNonceStore
from studio402.auth.tables import siwx_nonces_table
from studio402.errors import ConfigError

from .conftest import ISSUED_AT, SECRET


def test_minted_nonce_is_alphanumeric_and_ours() -> None:
    nonces = SignedNonces(SECRET)
    nonce = nonces.mint(ISSUED_AT + timedelta(seconds=300))
    assert re.fullmatch(r"[0-9a-f]{48}", nonce)
    assert nonces.expiry_of(nonce) == ISSUED_AT + timedelta(seconds=300)


def test_expiry_rounds_up_to_the_second() -> None:
    nonces = SignedNonces(SECRET)
    nonce = nonces.mint(ISSUED_AT + timedelta(milliseconds=1))
    assert nonces.expiry_of(nonce) == ISSUED_AT + timedelta(seconds=1)


def test_other_secret_does_not_recognise_the_nonce() -> None:
    nonce = SignedNonces(b"a" * 32).mint(ISSUED_AT)
    assert SignedNonces(b"b" * 32).expiry_of(nonce) is None


@pytest.mark.parametrize("mangle", [str.upper, lambda n: n[:-1], lambda n: n + "0",
                                    lambda n: n[:20] + "f" + n[21:], lambda n: ""])  # fmt: skip
def test_altered_nonce_is_not_ours(mangle: object) -> None:
    nonces = SignedNonces(SECRET)
    nonce = nonces.mint(datetime(2026, 1, 15, 10, 35, 1, tzinfo=UTC))
    altered = mangle(nonce)  # type: ignore[operator]
    assert altered != nonce
    assert nonces.expiry_of(altered) is None


def test_short_secret_refused() -> None:
    with pytest.raises(ConfigError):
        SignedNonces(b"x" * 31)


def test_naive_expiry_refused() -> None:
    with pytest.raises(ValueError):
        SignedNonces(SECRET).mint(datetime(2026, 1, 1))


@pytest.fixture
async def sql_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'nonces.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture
async def sql_table(sql_engine: AsyncEngine) -> Table:
    metadata = MetaData()
    table = siwx_nonces_table(metadata)
    async with sql_engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return table


@pytest.fixture(params=["memory", "sql"])
def nonce_store(request: pytest.FixtureRequest) -> NonceStore:
    if request.param == "memory":
        return MemoryNonceStore()
    engine = request.getfixturevalue("sql_engine")
    return SqlNonceStore(engine, request.getfixturevalue("sql_table"))


async def test_consume_once(nonce_store: NonceStore) -> None:
    expires_at = ISSUED_AT + timedelta(seconds=300)
    assert await nonce_store.consume("a" * 48, expires_at) is True
    assert await nonce_store.consume("a" * 48, expires_at) is False
    assert await nonce_store.consume("b" * 48, expires_at) is True


async def test_concurrent_consumers_only_one_wins(nonce_store: NonceStore) -> None:
    expires_at = ISSUED_AT + timedelta(seconds=300)
    results = await asyncio.gather(*(nonce_store.consume("c" * 48, expires_at) for _ in range(8)))
    assert results.count(True) == 1


async def test_purge_expired(nonce_store: NonceStore) -> None:
    await nonce_store.consume("old1", ISSUED_AT - timedelta(seconds=1))
    await nonce_store.consume("old2", ISSUED_AT - timedelta(hours=1))
    await nonce_store.consume("fresh", ISSUED_AT + timedelta(seconds=1))
    assert await nonce_store.purge_expired(ISSUED_AT) == 2
    assert await nonce_store.purge_expired(ISSUED_AT) == 0
    assert await nonce_store.consume("fresh", ISSUED_AT + timedelta(seconds=1)) is False
    assert await nonce_store.consume("old1", ISSUED_AT + timedelta(seconds=1)) is True


async def test_sql_store_compares_times_in_utc(sql_engine: AsyncEngine, sql_table: Table) -> None:
    store = SqlNonceStore(sql_engine, sql_table)
    plus_two = datetime(2026, 1, 15, 12, 29, tzinfo=timezone(timedelta(hours=2)))  # 10:29 UTC
    await store.consume("n1", plus_two)
    assert await store.purge_expired(datetime(2026, 1, 15, 10, 28, tzinfo=UTC)) == 0
    assert await store.purge_expired(datetime(2026, 1, 15, 10, 30, tzinfo=UTC)) == 1
    async with sql_engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(sql_table))
    assert count == 0


async def test_table_definition(sql_engine: AsyncEngine, sql_table: Table) -> None:
    assert [c.name for c in sql_table.primary_key.columns] == ["nonce"]
    assert sql_table.c.nonce.type.length == 128  # type: ignore[attr-defined]
    assert sql_table.c.expires_at.type.timezone is True  # type: ignore[attr-defined]
    async with sql_engine.connect() as connection:
        indexes = await connection.run_sync(lambda sync: inspect(sync).get_indexes("siwx_nonces"))
    assert [index["column_names"] for index in indexes] == [["expires_at"]]
