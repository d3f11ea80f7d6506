"""``POST /api/generate/{model}/{operation}``: quote with a 402, or take the payment and create a job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from x402.schemas import ResourceInfo, SettleResponse

from studio402.api.deps import ServicesDep, get_services
from studio402.catalog import Operation, validate_body
from studio402.errors import InvalidRequestError, PayloadTooLargeError, PaymentRequiredError
from studio402.payments.gate import PaidRequest
from studio402.payments.x402 import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    PAYMENT_SIGNATURE_HEADER,
    encode_challenge,
    encode_receipt,
)
from studio402.services import Services

EXPOSED_HEADERS = [PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER, "Retry-After",
                   "X-Payment-Reference"]


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
        return _challenge(services, operation.max_price, resource, None, invalid=exc)
    amount = operation.price.amount(values)
    if not header:
        return _challenge(services, amount, resource, None)
    try:
        paid = await services.gate.pay(
            header,
            PaidRequest(operation.path, operation.model, operation.name, values, amount),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
    except PaymentRequiredError as exc:
        settle = exc.details.get("settle")
        return _challenge(services, amount, resource, exc, settle=settle)
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


def _challenge(
    services: Services,
    amount: int,
    resource: ResourceInfo,
    refusal: PaymentRequiredError | None,
    *,
    invalid: InvalidRequestError | None = None,
    settle: SettleResponse | None = None,
) -> Response:
    requirements = services.gate.requirements(amount)
    reason = refusal.details.get("reason") if refusal else None
    headers = {
        PAYMENT_REQUIRED_HEADER: encode_challenge(
            [requirements], resource, error=reason or "Payment required"
        ),
        "Cache-Control": "no-store",
    }
    if settle is not None:
        headers[PAYMENT_RESPONSE_HEADER] = encode_receipt(settle)
    usd = Decimal(amount).scaleb(-services.settings.chain.token_decimals)
    body: dict[str, Any] = {
        "error": reason or "payment_required",
        "message": refusal.message if refusal else (
            f"Pay {usd.normalize():f} USDC ({amount} atomic units) on {requirements.network} to "
            f"{requirements.pay_to} with x402 (PAYMENT-SIGNATURE header) to run this request."
        ),
        "price": {"amount": str(amount), "usd": f"{usd.normalize():f}",
                  "asset": requirements.asset, "network": requirements.network,
                  "payTo": requirements.pay_to},
    }
    if invalid is not None:
        body["message"] = (
            "No valid request body, so this quote is the route's maximum price. "
            f"Fix the body to get the exact price: {invalid.message}"
        )
        body["issues"] = invalid.issues
    return JSONResponse(body, status_code=402, headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"request body exceeds {limit} bytes")
    raw = await request.body()
    if len(raw) > limit:
        raise PayloadTooLargeError(f"request body exceeds {limit} bytes")
    return raw
