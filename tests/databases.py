"""Test databases: a migrated SQLite file in tmp, or a fresh PostgreSQL database per test.

The PostgreSQL variant needs ``STUDIO402_TEST_PG_URL`` (an admin URL such as
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); each test creates ``s402_<random>``
through it and drops it afterwards, so tests never share state.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

PG_URL_ENV = "STUDIO402_TEST_PG_URL"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Parameters for a fixture that runs a test on each database."""


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Yield the URL of an empty database of ``backend`` (skips when PostgreSQL is not set up)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}"
        return
    admin_url = os.environ.get(PG_URL_ENV)
    if not admin_url:
        pytest.skip(
            f"PostgreSQL variant: set {PG_URL_ENV}, e.g. "
            "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        )
    async with _fresh_postgres_database(admin_url) as url:
        yield url


@asynccontextmanager
async def _fresh_postgres_database(admin_url: str) -> AsyncIterator[str]:
    name = f"s402_{secrets.token_hex(6)}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()
