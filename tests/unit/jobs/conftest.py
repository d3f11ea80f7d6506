"""Job fixtures: the same migrated database on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.clock import FrozenClock
from studio402.db.engine import create_engine
from studio402.db.migrate import upgrade
from tests.databases import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database on each backend; the URL lets a test open more engines on it."""
    async with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        yield url


@pytest.fixture
async def db_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``db_url``."""
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at a fixed, recent instant."""
    return FrozenClock(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
