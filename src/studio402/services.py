"""Everything a running server holds: built once by the lifespan, closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.catalog import Catalog
from studio402.chain.wiring import ChainRuntime, open_chain
from studio402.clock import Clock, SystemClock
from studio402.db.engine import create_engine
from studio402.db.migrate import upgrade
from studio402.payments.facilitator.base import Facilitator
from studio402.payments.gate import PaymentGate
from studio402.payments.reconciler import Reconciler
from studio402.payments.x402 import Rail
from studio402.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """The server's long-lived handles."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    catalog: Catalog
    http: httpx.AsyncClient
    chain: ChainRuntime
    facilitator: Facilitator
    gate: PaymentGate
    reconciler: Reconciler
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def rail(self) -> Rail:
        """The token, network and payout address we accept."""
        return self.gate.rail

    def start_background(self) -> None:
        """Start the reconciler loop."""
        self.tasks.append(asyncio.create_task(self.reconciler.run_forever(self.stop)))

    async def aclose(self) -> None:
        """Stop background work, then release every handle."""
        self.stop.set()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.facilitator.aclose()
        await self.chain.aclose()
        await self.http.aclose()
        await self.engine.dispose()


async def build_services(
    settings: Settings, *, clock: Clock | None = None, catalog: Catalog | None = None
) -> Services:
    """Open the database (migrated), the chain, the facilitator, the gate and the reconciler."""
    clock = clock or SystemClock()
    engine = create_engine(settings.resolved_database_url)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
    try:
        await upgrade(engine)
        chain = await open_chain(settings, http)
    except BaseException:
        await http.aclose()
        await engine.dispose()
        raise
    rail = Rail(
        network=settings.network,
        asset=chain.token_address,
        pay_to=chain.pay_to,
        token_name=settings.chain.token_name,
        token_version=settings.chain.token_version,
        max_timeout_seconds=settings.payments.max_timeout_seconds,
    )
    gate = PaymentGate(
        engine,
        chain.facilitator,
        rail,
        clock,
        facilitator_timeout_s=settings.payments.facilitator_timeout_s,
        replay_wait_s=settings.payments.replay_wait_s,
        retry_after_s=settings.payments.retry_after_s,
    )
    reconciler = Reconciler(
        engine,
        chain.facilitator,
        chain.reader,
        clock,
        stale_after_s=settings.payments.stale_after_s,
        interval_s=settings.payments.reconcile_interval_s,
    )
    return Services(
        settings=settings,
        clock=clock,
        engine=engine,
        catalog=catalog or Catalog.load(max_prompt_chars=settings.api.max_prompt_chars),
        http=http,
        chain=chain,
        facilitator=chain.facilitator,
        gate=gate,
        reconciler=reconciler,
    )
