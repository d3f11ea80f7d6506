"""Shared fixtures: clean environment, settings in tmp, a migrated SQLite engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.db.engine import create_engine
from studio402.db.migrate import upgrade
from studio402.settings import Settings
from tests.databases import BACKENDS, database_url


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith("STUDIO402_") and name != "STUDIO402_TEST_PG_URL":
            monkeypatch.delenv(name)
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Dev settings with everything under tmp and no embedded chain."""
    return Settings(data_dir=tmp_path, chain={"embedded": False})


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite database in tmp."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated database on SQLite, and on PostgreSQL when STUDIO402_TEST_PG_URL is set."""
    async with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        await upgrade(engine)
        yield engine
        await engine.dispose()
