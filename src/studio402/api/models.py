"""``GET /api/models``: the catalog for humans and agents (free, no sign-in).

Every enabled model with its operations, parameters (names, types, enums, defaults, limits),
reference-image limits and prices in atomic units and USD (the range, plus the formula), and
the retired models with their replacement. Disabled models are not listed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Response

from studio402.api.deps import ServicesDep
from studio402.catalog import Model, Operation
from studio402.media.images import CONTENT_TYPES
from studio402.services import Services

__all__ = ["catalog_document", "router"]

router = APIRouter(tags=["models"])


@router.get("/api/models", summary="List the models, their parameters and prices")
async def list_models(services: ServicesDep, response: Response) -> dict[str, Any]:
    """The catalog as JSON (see the module docstring)."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return catalog_document(services)


def catalog_document(services: Services) -> dict[str, Any]:
    """The document ``GET /api/models`` answers with."""
    settings = services.settings
    decimals = settings.chain.token_decimals
    rail = services.gate.rail
    upload = settings.media.upload_price_atomic
    return {
        "currency": {
            "symbol": "USDC",
            "asset": rail.asset,
            "network": rail.network,
            "decimals": decimals,
        },
        "models": [
            _model(m, services.settings.resolved_public_url, decimals)
            for m in services.catalog.all_models()
        ],
        "uploads": {
            "paid": {
                "path": "/api/upload",
                "method": "POST",
                "priceAtomic": str(upload),
                "priceUsd": _usd(upload, decimals),
            },
            "native": {
                "path": "/api/uploads",
                "method": "POST",
                "enabled": settings.media.native_uploads,
                "priceAtomic": "0",
                "priceUsd": "0",
                "perHour": settings.media.native_uploads_per_hour,
            },
            "maxBytes": settings.media.max_image_bytes,
            "maxPixels": settings.media.max_image_pixels,
            "contentTypes": sorted(CONTENT_TYPES.values()),
        },
    }


def _model(model: Model, public_url: str, decimals: int) -> dict[str, Any]:
    return {
        "id": model.name,
        "title": model.title,
        "kind": model.kind,
        "description": model.description,
        "provider": model.provider,
        "upstreamModel": model.upstream_model,
        "retired": model.retired,
        "replacement": model.replacement,
        "retiredReason": model.retired_message() if model.retired else None,
        "operations": [_operation(op, public_url, decimals) for op in model.operations.values()],
    }


def _operation(op: Operation, public_url: str, decimals: int) -> dict[str, Any]:
    low, high = op.price.bounds(op.fields)
    images = op.image_fields
    return {
        "name": op.name,
        "type": op.type,
        "method": "POST",
        "path": op.path,
        "url": public_url + op.path,
        "description": op.description,
        "typicalSeconds": op.typical_seconds,
        "upstreamModel": op.upstream_model,
        "parameters": [spec.to_json() for spec in op.fields.values()],
        "references": {
            "fields": [spec.name for spec in images],
            "max": op.max_references,
            "accepts": ["https URL", "http URL", "data: URI", "upload URL"],
        }
        if images
        else None,
        "price": {
            "minAtomic": str(low),
            "maxAtomic": str(high),
            "minUsd": _usd(low, decimals),
            "maxUsd": _usd(high, decimals),
            "formula": op.price.to_json(),
        },
    }


def _usd(amount: int, decimals: int) -> str:
    return f"{Decimal(amount).scaleb(-decimals).normalize():f}"
