"""Everything a running server holds: built once by the lifespan, closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.auth.nonces import SqlNonceStore
from studio402.auth.sessions import SessionTokens
from studio402.auth.siwx import SiwxVerifier
from studio402.catalog import Catalog
from studio402.chain.wiring import ChainRuntime, open_chain
from studio402.clock import Clock, SystemClock
from studio402.db.engine import create_engine
from studio402.db.migrate import upgrade
from studio402.db.tables import siwx_nonces
from studio402.jobs.queue import JobQueue
from studio402.jobs.worker import Backoff, Worker, new_worker_id
from studio402.payments.facilitator.base import Facilitator
from studio402.payments.gate import PaymentGate
from studio402.payments.mpp import MppMethod
from studio402.payments.reconciler import Reconciler
from studio402.payments.x402 import Rail
from studio402.providers.factory import build_registry
from studio402.providers.local import LocalProvider
from studio402.providers.references import ReferenceReader
from studio402.providers.registry import ProviderRegistry
from studio402.settings import Profile, Settings
from studio402.storage.store import ObjectStore
from studio402.storage.sweeper import sweep_expired
from studio402.storage.urls import UrlSigner

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
    store: ObjectStore
    signer: UrlSigner
    siwx: SiwxVerifier
    sessions: SessionTokens
    queue: JobQueue
    providers: ProviderRegistry
    mpp: MppMethod
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    local_worker: Worker | None = None

    @property
    def rail(self) -> Rail:
        """The token, network and payout address we accept."""
        return self.gate.rail

    def start_background(self, *, workers: bool | None = None) -> None:
        """Start the reconciler, the sweepers and (unless disabled) the in-process worker."""
        self.tasks.append(asyncio.create_task(self.reconciler.run_forever(self.stop)))
        self.tasks.append(asyncio.create_task(self._sweep_forever()))
        run_workers = self.settings.worker.in_process if workers is None else workers
        if run_workers:
            self.local_worker = self.worker()
            self.tasks.append(asyncio.create_task(self.local_worker.run(self.stop)))

    def job_created(self) -> None:
        """Wake the in-process worker at once instead of at its next poll."""
        if self.local_worker is not None:
            self.local_worker.notify()

    def worker(self, worker_id: str | None = None) -> Worker:
        """A worker over this server's queue, providers and store."""
        return build_worker(
            self.settings, self.queue, self.providers, self.store, self.clock, worker_id
        )

    async def _sweep_forever(self) -> None:
        storage = self.settings.storage
        while not self.stop.is_set():
            try:
                now = self.clock.now()
                await sweep_expired(self.store, "results", storage.retention_s, now)
                await sweep_expired(self.store, "inputs", storage.retention_s, now)
                await self.nonces.purge_expired(now)
            except Exception:
                logger.exception("sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), storage.sweep_interval_s)

    @property
    def nonces(self) -> SqlNonceStore:
        """The single-use SIWX nonce store."""
        return SqlNonceStore(self.engine, siwx_nonces)

    async def aclose(self) -> None:
        """Stop background work, then release every handle."""
        self.stop.set()
        if self.tasks:
            # Workers drain running jobs (or release them) within their own drain timeout.
            _, pending = await asyncio.wait(self.tasks, timeout=45)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.facilitator.aclose()
        await self.chain.aclose()
        await self.providers.aclose()
        await self.http.aclose()
        await self.engine.dispose()


async def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    catalog: Catalog | None = None,
    chain: ChainRuntime | None = None,
) -> Services:
    """Open the database (migrated), the chain, the facilitator, the gate and the reconciler.

    ``chain`` replaces the chain and facilitator the settings describe (tests pass fakes).
    """
    clock = clock or SystemClock()
    engine = create_engine(settings.resolved_database_url)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
    try:
        await upgrade(engine)
        chain = chain or await open_chain(settings, http)
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
    catalog = catalog or Catalog.load(
        max_prompt_chars=settings.api.max_prompt_chars, overrides=settings.catalog
    )
    store = open_store(settings)
    secret = settings.secret_bytes
    public_url = settings.resolved_public_url
    return Services(
        settings=settings,
        clock=clock,
        engine=engine,
        catalog=catalog,
        http=http,
        chain=chain,
        facilitator=chain.facilitator,
        gate=gate,
        reconciler=reconciler,
        store=store,
        signer=UrlSigner(_derive(secret, b"files")),
        siwx=SiwxVerifier(
            _derive(secret, b"siwx"),
            public_url,
            _siwx_chains(settings),
            SqlNonceStore(engine, siwx_nonces),
            clock,
        ),
        sessions=SessionTokens(_derive(secret, b"sessions"), settings.auth.session_ttl_s, clock),
        queue=JobQueue(engine, clock),
        providers=provider_registry(
            catalog, settings, http=http, references=store.get, clock=clock
        ),
        mpp=mpp_method(settings, rail, clock),
    )


def mpp_method(settings: Settings, rail: Rail, clock: Clock) -> MppMethod:
    """MPP ``evm/charge`` on ``rail``: challenge ids are HMACs under a key of their own."""
    return MppMethod(
        rail,
        secret=_derive(settings.secret_bytes, b"mpp"),
        realm=urlsplit(settings.resolved_public_url).netloc,
        chain_id=settings.chain.chain_id,
        decimals=settings.chain.token_decimals,
        clock=clock,
        ttl_s=settings.payments.max_timeout_seconds,
    )


def provider_registry(
    catalog: Catalog,
    settings: Settings | None = None,
    *,
    http: httpx.AsyncClient | None = None,
    references: ReferenceReader | None = None,
    clock: Clock | None = None,
) -> ProviderRegistry:
    """Which provider runs each model: a vendor's adapter when ``settings.providers`` has its key,
    else the local model (dev profile) or a refusal (production; see ``providers.fallback``).

    ``references`` reads stored reference images (``ObjectStore.get``); ``http`` is shared by
    the REST adapters. Without ``settings`` every model runs on the local model.
    """
    if settings is None:
        return ProviderRegistry.from_catalog(catalog, [LocalProvider()], route_all_to="local")
    config = settings.providers
    fallback = config.fallback or ("refuse" if settings.profile is Profile.PRODUCTION else "local")
    return build_registry(
        catalog, config, fallback=fallback, http=http, references=references, clock=clock
    )


def open_store(settings: Settings) -> ObjectStore:
    """The object store the settings name."""
    return ObjectStore.from_url(
        settings.resolved_storage_url, options=settings.storage.options or None
    )


def build_worker(
    settings: Settings,
    queue: JobQueue,
    providers: ProviderRegistry,
    store: ObjectStore,
    clock: Clock,
    worker_id: str | None = None,
) -> Worker:
    """A worker configured by ``settings.worker``."""
    config = settings.worker
    return Worker(
        queue,
        providers,
        store,
        clock,
        worker_id=worker_id or new_worker_id(),
        concurrency=config.concurrency,
        lease_s=config.lease_s,
        heartbeat_s=config.heartbeat_s,
        poll_interval_s=config.poll_interval_s,
        max_attempts=config.max_attempts,
        backoff=Backoff(base_s=config.backoff_base_s, max_s=config.backoff_max_s),
        job_timeout_s=config.job_timeout_s,
        drain_timeout_s=config.drain_timeout_s,
    )


@dataclass
class WorkerRuntime:
    """What a ``studio402 worker`` process holds: no chain, no HTTP, just jobs."""

    worker: Worker
    engine: AsyncEngine
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def aclose(self) -> None:
        """Close the providers' connections and release the database."""
        await self.worker.providers.aclose()
        await self.engine.dispose()


async def open_worker_runtime(settings: Settings, *, clock: Clock | None = None) -> WorkerRuntime:
    """Open the database (migrated) and build one worker for a separate worker process."""
    clock = clock or SystemClock()
    engine = create_engine(settings.resolved_database_url)
    await upgrade(engine)
    catalog = Catalog.load(
        max_prompt_chars=settings.api.max_prompt_chars, overrides=settings.catalog
    )
    store = open_store(settings)
    worker = build_worker(
        settings,
        JobQueue(engine, clock),
        provider_registry(catalog, settings, references=store.get, clock=clock),
        store,
        clock,
    )
    return WorkerRuntime(worker, engine)


def _derive(secret: bytes, label: bytes) -> bytes:
    import hmac

    return hmac.new(secret, b"studio402/" + label, "sha256").digest()


def _siwx_chains(settings: Settings) -> list[str]:
    chains = [*settings.auth.extra_chains, settings.network]
    return list(dict.fromkeys(chains))
