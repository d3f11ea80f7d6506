"""``POST /api/generate/{model}/{operation}``: quote with a 402, or take payment and make a job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from x402.schemas import ResourceInfo

from studio402.api.challenge import payment_required
from studio402.api.deps import ServicesDep, get_services
from studio402.catalog import Operation, validate_body
from studio402.errors import InvalidRequestError, PayloadTooLargeError, PaymentRequiredError
from studio402.payments.gate import PaidRequest
from studio402.payments.x402 import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    PAYMENT_SIGNATURE_HEADER,
    encode_receipt,
)
from studio402.services import Services

EXPOSED_HEADERS = [
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    "Retry-After",
    "X-Payment-Reference",
]


def build_router(operations: list[Operation]) -> APIRouter:
    """One POST route per catalog operation, plus a catch-all naming the models that exist."""
    router = APIRouter(tags=["generate"])
    for operation in operations:
        router.add_api_route(
            operation.path,
            _handler(operation),
            methods=["POST"],
            name=operation.type,
            summary=operation.description,
            response_model=None,
        )

    @router.post("/api/generate/{model}/{operation}", include_in_schema=False)
    async def unknown_route(model: str, operation: str, services: ServicesDep) -> Response:
        services.catalog.operation(model, operation)  # raises UnknownModelError
        raise AssertionError("every catalog operation has its own route")

    return router


def _handler(operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        return await _generate(request, await get_services(request), operation)

    handle.__name__ = operation.type.replace("-", "_").replace(".", "_")
    return handle


async def _generate(request: Request, services: Services, operation: Operation) -> Response:
    raw = await _read_body(request, services.settings.api.max_body_bytes)
    header = request.headers.get(PAYMENT_SIGNATURE_HEADER)
    resource = ResourceInfo(
        url=services.settings.resolved_public_url + operation.path,
        description=operation.description,
        mime_type="application/json",
    )
    try:
        values = validate_body(operation, raw)
    except InvalidRequestError as exc:
        if header:
            raise  # 400 before any money moves
        return payment_required(services, operation.max_price, resource, None, invalid=exc)
    amount = operation.price.amount(values)
    if not header:
        return payment_required(services, amount, resource, None)
    try:
        paid = await services.gate.pay(
            header,
            PaidRequest(operation.path, operation.model, operation.name, values, amount),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
    except PaymentRequiredError as exc:
        settle = exc.details.get("settle")
        return payment_required(services, amount, resource, exc, settle=settle)
    if not paid.replayed:
        services.job_created()
    body = {
        "type": operation.type,
        "jobId": paid.job_id,
        "status": "pending",
        "success": True,
        "pollUrl": f"{services.settings.resolved_public_url}/api/jobs/{paid.job_id}",
    }
    return JSONResponse(
        body,
        headers={
            PAYMENT_RESPONSE_HEADER: encode_receipt(paid.settle),
            "Cache-Control": "no-store",
            "X-Payment-Reference": paid.payment_id,
        },
    )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"request body exceeds {limit} bytes")
    raw = await request.body()
    if len(raw) > limit:
        raise PayloadTooLargeError(f"request body exceeds {limit} bytes")
    return raw
