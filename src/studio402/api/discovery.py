"""Discovery documents: ``/openapi.json`` (and ``/api/openapi.json``), ``/llms.txt``,
``/.well-known/x402``, ``/docs`` and ``/favicon.ico``. None of them appears in the OpenAPI document.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from PIL import Image, ImageDraw

from studio402.api.deps import ServicesDep
from studio402.api.guidance import Context, guidance, llms_txt
from studio402.api.openapi import DESCRIPTION, openapi_document
from studio402.services import Services

__all__ = ["context_of", "favicon_bytes", "router", "well_known_x402"]

router = APIRouter(include_in_schema=False)

_PUBLIC = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}


def context_of(services: Services) -> Context:
    """What the discovery documents describe, from the running services."""
    rail = services.rail
    return Context(
        catalog=services.catalog,
        public_url=services.settings.resolved_public_url,
        network=rail.network,
        asset=rail.asset,
        pay_to=rail.pay_to,
        decimals=services.settings.chain.token_decimals,
        upload_price_atomic=services.settings.media.upload_price_atomic,
    )


def _document(app: FastAPI, services: Services) -> dict[str, Any]:
    cached: tuple[int, dict[str, Any]] | None = getattr(app.state, "openapi_document", None)
    if cached is None or cached[0] != id(services):
        cached = (id(services), openapi_document(app, context_of(services)))
        app.state.openapi_document = cached
    return cached[1]


@router.get("/openapi.json")
@router.get("/api/openapi.json")
async def openapi(request: Request, services: ServicesDep) -> JSONResponse:
    """The OpenAPI 3.1 document, generated from the catalog."""
    return JSONResponse(_document(request.app, services), headers=_PUBLIC)


@router.get("/llms.txt")
async def llms(services: ServicesDep) -> PlainTextResponse:
    """The long guide for agents, as plain text."""
    return PlainTextResponse(llms_txt(context_of(services)), headers=_PUBLIC)


def well_known_x402(services: Services) -> dict[str, Any]:
    """The legacy x402 listing (agentcash and x402scan read it when OpenAPI is missing)."""
    context = context_of(services)
    urls = [context.public_url + op.path for op in context.catalog.operations()]
    return {
        "version": 1,
        "resources": urls,
        "mppResources": urls,
        "description": DESCRIPTION,
        "instructions": guidance(context),
    }


@router.get("/.well-known/x402")
async def well_known(services: ServicesDep) -> JSONResponse:
    """Every paid resource, as bare URLs (all are POST)."""
    return JSONResponse(well_known_x402(services), headers=_PUBLIC)


@router.get("/docs")
async def docs() -> HTMLResponse:
    """Swagger UI over ``/openapi.json`` (the page loads its scripts from a CDN)."""
    return get_swagger_ui_html(openapi_url="/openapi.json", title="studio402 API")


@router.api_route("/favicon.ico", methods=["GET", "HEAD"])
async def favicon() -> Response:
    """A small generated icon (scanners check that one exists)."""
    return Response(
        favicon_bytes(),
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@cache
def favicon_bytes() -> bytes:
    """A 32x32 ICO: a rounded indigo tile with a white coin."""
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 31, 31), radius=7, fill=(67, 56, 202, 255))
    draw.ellipse((8, 8, 23, 23), outline=(255, 255, 255, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="ICO", sizes=[(32, 32)])
    return buffer.getvalue()
