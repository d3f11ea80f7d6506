"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from studio402.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(services: ServicesDep) -> dict[str, object]:
    """The database answers; the payment rail in use."""
    async with services.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    rail = services.rail
    return {
        "status": "ok",
        "network": rail.network,
        "asset": rail.asset,
        "payTo": rail.pay_to,
    }
