"""The OpenAPI 3.1 document agents and scanners read, generated from the catalog.

FastAPI's own schema of the public ``/api/...`` routes is the starting point (so routes added
elsewhere appear on their own); each catalog operation is then replaced by a precise one (request
schema with enums and descriptions, 200 and 402 responses, ``x-payment-info``), the job routes
by hand-written ones (``siwx`` security, response schemas), FastAPI's 422 by our problem+json,
and ``info.x-guidance`` is added. Hidden: aliases, discovery documents, health and files.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from studio402 import __version__
from studio402.api import paths
from studio402.api.guidance import Context, guidance
from studio402.api.schemas import (
    GENERATE_RESPONSE,
    PROBLEM,
    QUOTE,
    UPLOAD_SLOT,
    example_body,
    request_schema,
    usd,
)
from studio402.api.uploads import UPLOAD_PATH, UploadCreate
from studio402.api.wallet import authenticate
from studio402.catalog import Model, Operation
from studio402.payments.mpp import INTENT, METHOD

__all__ = ["openapi_document", "payment_info"]

DESCRIPTION = (
    "Pay-per-generation image and video API, wire-compatible with StableStudio. Pay each "
    "request in USDC with x402 v2 (exact, EIP-3009) or MPP (evm/charge); poll the job with "
    "SIGN-IN-WITH-X. See info.x-guidance and /llms.txt."
)


def openapi_document(app: FastAPI, context: Context) -> dict[str, Any]:
    """The whole document for ``app`` serving ``context.catalog`` at ``context.public_url``."""
    routes = [
        route
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and paths.is_documented(route.path or "")
    ]
    document = get_openapi(
        title="studio402",
        version=__version__,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        routes=routes,
        servers=[{"url": context.public_url}],
    )
    document["info"]["x-guidance"] = guidance(context)
    found = document.setdefault("paths", {})
    for model in context.catalog.models.values():
        for operation in model.operations.values():
            found[operation.path] = {"post": _paid_operation(model, operation, context)}
    for path in [p for p in found if p.startswith("/api/jobs")]:
        del found[path]
    found.update(paths.job_paths())
    for route in routes:
        if route.path and _signs_in(route.original_route):
            for method in route.methods or ():
                operation = found.get(route.path, {}).get(method.lower())
                if operation is not None:
                    operation["security"] = paths.SIGN_IN_SECURITY
                    operation.setdefault("responses", {})["402"] = paths.SIGN_IN_RESPONSE
    _describe_uploads(found, context)
    for item in found.values():
        for operation in item.values():
            _normalise_errors(operation)
            if "x-payment-info" not in operation:
                operation.setdefault("security", [])  # free and open, said explicitly
    components = document.setdefault("components", {})
    components["securitySchemes"] = paths.SECURITY_SCHEMES
    _drop_unreferenced_schemas(document)
    document["tags"] = [{"name": name} for name in _tags(found)]
    return document


def payment_info(low: int, high: int, context: Context) -> dict[str, Any]:
    """``x-payment-info`` of a route costing ``low``..``high`` atomic units: the price (fixed,
    or dynamic with bounds) in USD, and the protocols."""
    price: dict[str, Any] = (
        {"mode": "fixed", "currency": "USD", "amount": usd(low, context.decimals)}
        if low == high
        else {
            "mode": "dynamic",
            "currency": "USD",
            "min": usd(low, context.decimals),
            "max": usd(high, context.decimals),
        }
    )
    return {
        "price": price,
        "protocols": [
            {"x402": {"scheme": "exact", "network": context.network, "asset": context.asset}},
            {"mpp": {"method": METHOD, "intent": INTENT, "currency": context.asset}},
        ],
        "offers": [
            {
                "intent": INTENT,
                "method": METHOD,
                "amount": str(low) if low == high else None,
                "currency": context.asset,
            }
        ],
    }


def _paid_operation(model: Model, operation: Operation, context: Context) -> dict[str, Any]:
    example = example_body(operation)
    return {
        "operationId": re.sub(r"[^A-Za-z0-9_]", "_", f"{model.name}_{operation.name}"),
        "summary": f"{operation.name} with {model.title}",
        "description": f"{operation.description} {model.description}".strip(),
        "tags": [model.kind],
        "parameters": paths.PAYMENT_PARAMETERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": request_schema(operation), "example": example}
            },
        },
        "responses": {
            "200": {
                "description": "Paid: the job this payment bought.",
                "headers": paths.PAID_HEADERS,
                "content": {"application/json": {"schema": GENERATE_RESPONSE}},
            },
            "402": _quote_response(),
        },
        "x-payment-info": payment_info(operation.min_price, operation.max_price, context),
    }


def _signs_in(route: Any) -> bool:
    """Whether the route depends on the SIGN-IN-WITH-X caller (``api/wallet.authenticate``)."""
    pending = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while pending:
        dependency = pending.pop()
        if getattr(dependency, "call", None) is authenticate:
            return True
        pending.extend(dependency.dependencies)
    return False


def _describe_uploads(found: dict[str, Any], context: Context) -> None:
    """The paid ``POST /api/upload``, when it is served: price, body and answer."""
    buy = found.get(UPLOAD_PATH, {}).get("post")
    if buy is not None and context.upload_price_atomic is not None:
        price = context.upload_price_atomic
        buy["parameters"] = paths.PAYMENT_PARAMETERS
        buy["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": UploadCreate.model_json_schema()}},
        }
        buy["responses"] = {
            "200": {
                "description": "Paid: the upload slot.",
                "headers": paths.PAID_HEADERS,
                "content": {"application/json": {"schema": UPLOAD_SLOT}},
            },
            "402": _quote_response(),
        }
        buy["x-payment-info"] = payment_info(price, price, context)


def _quote_response() -> dict[str, Any]:
    return {
        "description": "Payment Required: the exact price of this body, over x402 "
        "(PAYMENT-REQUIRED) and MPP (WWW-Authenticate: Payment).",
        "headers": paths.CHALLENGE_HEADERS,
        "content": {"application/json": {"schema": QUOTE}},
    }


def _normalise_errors(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    responses.setdefault(
        "default",
        {
            "description": "Error (RFC 9457 problem details; 503 carries Retry-After).",
            "content": {"application/problem+json": {"schema": PROBLEM}},
        },
    )


def _tags(found: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for item in found.values():
        for operation in item.values():
            for tag in operation.get("tags", []):
                if tag not in names:
                    names.append(tag)
    return names


def _drop_unreferenced_schemas(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    while True:
        text = repr({k: v for k, v in document.items() if k != "components"}) + repr(schemas)
        unused = [name for name in schemas if f"#/components/schemas/{name}'" not in text]
        if not unused:
            break
        for name in unused:
            del schemas[name]
    if not schemas:
        document.get("components", {}).pop("schemas", None)
