"""The ASGI application: ``create_app(settings)`` wires routers and a lifespan that owns I/O."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from studio402 import __version__
from studio402.api import discovery, generate, health, jobs, models, native_uploads, problems
from studio402.api import uploads as upload_routes
from studio402.api.aliases import install_aliases
from studio402.api.cors import install_cors
from studio402.catalog import Catalog
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.storage.files_router import build_files_router
from studio402.storage.store import ObjectStore
from studio402.storage.urls import UrlSigner


async def _store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.services.store
    return store


async def _signer(request: Request) -> UrlSigner:
    signer: UrlSigner = request.app.state.services.signer
    return signer


OnReady = Callable[[Services], Awaitable[None]]
ServicesFactory = Callable[[Settings, Catalog], Awaitable[Services]]


async def _default_factory(settings: Settings, catalog: Catalog) -> Services:
    return await build_services(settings, catalog=catalog)


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    on_ready: OnReady | None = None,
    services_factory: ServicesFactory = _default_factory,
) -> FastAPI:
    """Build the app. With ``services`` given (tests), the lifespan uses them and leaves them open.

    ``on_ready`` runs once the services are up (the CLI prints the dev banner there);
    ``services_factory`` builds them (benchmarks swap in another facilitator there).
    """
    settings = settings or (services.settings if services else Settings())
    catalog = (
        services.catalog
        if services
        else Catalog.load(
            max_prompt_chars=settings.api.max_prompt_chars, overrides=settings.catalog
        )
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        built = await services_factory(settings, catalog)
        app.state.services = built
        built.start_background()
        try:
            if on_ready is not None:
                await on_ready(built)
            yield
        finally:
            await built.aclose()

    app = FastAPI(
        title="studio402",
        version=__version__,
        summary="Pay-per-generation image and video API: pay per request in USDC with x402 or MPP.",
        lifespan=lifespan,
        openapi_url=None,  # served by api/discovery.py, generated from the catalog
        docs_url=None,
        redoc_url=None,
    )
    install_cors(app)
    if services is not None:
        app.state.services = services
    problems.install(app)
    app.include_router(health.router)
    app.include_router(generate.build_router(catalog.operations(), catalog.retired_operations()))
    app.include_router(models.router)
    app.include_router(upload_routes.router)
    app.include_router(native_uploads.router)
    app.include_router(jobs.router)
    app.include_router(build_files_router(_store, _signer))
    app.include_router(discovery.router)
    install_aliases(app)
    return app
