"""FastAPI dependencies as named aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from studio402.services import Services


async def get_services(request: Request) -> Services:
    """The services the lifespan built."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
