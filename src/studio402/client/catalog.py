"""What a server sells: ``GET /api/models`` when it has one, else the paid routes of its OpenAPI."""

from __future__ import annotations

import re
from typing import Any

import httpx

from studio402.client._http import api_error, send_free

__all__ = ["models_from_openapi", "models_from_server"]

_ROUTE = re.compile(r"^/api/generate/(?P<model>[^/{}]+)/(?P<operation>[^/{}]+)$")


def models_from_openapi(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per model, with its operations, from the ``/api/generate/{model}/{op}`` paths."""
    models: dict[str, dict[str, Any]] = {}
    for path, methods in (document.get("paths") or {}).items():
        match = _ROUTE.match(path)
        if not match or not isinstance(methods, dict) or "post" not in methods:
            continue
        post = methods["post"]
        entry = models.setdefault(match["model"], {"id": match["model"], "operations": []})
        operation: dict[str, Any] = {
            "name": match["operation"],
            "path": path,
            "description": post.get("summary") or post.get("description") or "",
        }
        payment = post.get("x-payment-info")
        if payment:
            operation["payment"] = payment
        entry["operations"].append(operation)
    return sorted(models.values(), key=lambda m: str(m["id"]))


async def models_from_server(http: httpx.AsyncClient, base_url: str) -> list[dict[str, Any]]:
    """The server's models: its ``/api/models`` document (issue 5), or derived from OpenAPI."""
    response = await send_free(http, "GET", f"{base_url}/api/models")
    if response.is_success:
        document = response.json()
        if isinstance(document, dict):
            document = document.get("models", document.get("data", []))
        if isinstance(document, list):
            return [m for m in document if isinstance(m, dict)]
    elif response.status_code not in (404, 405):
        raise api_error(response, "list models")
    response = await send_free(http, "GET", f"{base_url}/openapi.json")
    if not response.is_success:
        raise api_error(response, "list models (openapi.json)")
    return models_from_openapi(response.json())
