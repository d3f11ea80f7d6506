"""The ASGI application: ``create_app(settings)`` wires routers and a lifespan that owns I/O."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from studio402 import __version__
from studio402.api import generate, health, problems
from studio402.catalog import Catalog
from studio402.services import Services, build_services
from studio402.settings import Settings


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the app. With ``services`` given (tests), the lifespan uses them and leaves them open."""
    settings = settings or (services.settings if services else Settings())
    catalog = services.catalog if services else Catalog.load(
        max_prompt_chars=settings.api.max_prompt_chars
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        built = await build_services(settings, catalog=catalog)
        app.state.services = built
        built.start_background()
        try:
            yield
        finally:
            await built.aclose()

    app = FastAPI(
        title="studio402",
        version=__version__,
        summary="Pay-per-generation image and video API: pay per request in USDC with x402.",
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=generate.EXPOSED_HEADERS,
    )
    problems.install(app)
    app.include_router(health.router)
    app.include_router(generate.build_router(catalog.operations()))
    return app
