"""StableStudio's old paths, kept working: ``/api/x402/{model}/{op}`` and ``/api/x402/jobs/{id}``.

Each alias runs the very same endpoint as its route (same payment, same job, same SIWX check) and
is left out of the OpenAPI document.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from studio402.api.paths import ALIAS_PREFIX

__all__ = ["install_aliases"]

_GENERATE = "/api/generate/"
_JOB = "/api/jobs/{job_id}"


def install_aliases(app: FastAPI) -> None:
    """Add an alias for every generate route and for job polling; call after the routers."""
    for route in list(iter_route_contexts(app.routes)):
        if not isinstance(route.original_route, APIRoute) or route.path is None:
            continue
        methods_of = route.methods or set()
        if route.path.startswith(_GENERATE) and "POST" in methods_of:
            alias = ALIAS_PREFIX + route.path.removeprefix(_GENERATE)
            methods = ["POST"]
        elif route.path == _JOB and "GET" in methods_of:
            alias = ALIAS_PREFIX + "jobs/{job_id}"
            methods = ["GET"]
        else:
            continue
        if route.endpoint is None:
            continue
        app.add_api_route(
            alias,
            route.endpoint,
            methods=methods,
            name=f"alias:{route.name}",
            include_in_schema=False,
            response_model=None,
        )
