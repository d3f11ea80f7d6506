"""``POST /api/generate/{model}/{operation}``: quote with a 402, or take payment and make a job.

Routes that take reference images (``edit``, ``i2v``, Veo's frames) quote from the body's shape
alone; only a request carrying a payment has its images fetched, checked and stored, and that
happens before the payment is verified or settled, so a bad reference is a 400 that costs
nothing. Retired models keep their routes, which answer 410 whatever the body or payment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from x402.schemas import ResourceInfo

from studio402.api.bodies import read_limited
from studio402.api.challenge import payment_required
from studio402.api.deps import ServicesDep, get_services
from studio402.api.paywall import payment_of, take_payment
from studio402.api.problems import problem
from studio402.catalog import Model, Operation, validate_body
from studio402.errors import InvalidRequestError, PaymentRequiredError
from studio402.media.references import ReferenceResolver, build_resolver
from studio402.payments.gate import PaidRequest
from studio402.services import Services


def build_router(
    operations: list[Operation], retired: Sequence[tuple[Model, Operation]] = ()
) -> APIRouter:
    """One POST route per catalog operation, a 410 route per operation of a retired model, and
    a catch-all naming the models that exist."""
    router = APIRouter(tags=["generate"])
    for model, gone in retired:
        router.add_api_route(
            gone.path,
            _retired_handler(model),
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            name=gone.type,
            include_in_schema=False,
            response_model=None,
        )
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


def _retired_handler(model: Model) -> Callable[[], Awaitable[Response]]:
    async def handle() -> Response:
        return problem(
            410,
            "model_retired",
            model.retired_message(),
            headers={"Cache-Control": "no-store"},
            model=model.name,
            retired=True,
            replacement=model.replacement,
        )

    handle.__name__ = "retired_" + model.name.replace("-", "_").replace(".", "_")
    return handle


def _handler(operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        return await _generate(request, await get_services(request), operation)

    handle.__name__ = operation.type.replace("-", "_").replace(".", "_")
    return handle


async def _generate(request: Request, services: Services, operation: Operation) -> Response:
    takes_images = bool(operation.image_fields)
    limit = services.settings.media.max_body_bytes if takes_images else None
    raw = await read_limited(request, limit or services.settings.api.max_body_bytes)
    payment = payment_of(request)
    resource = ResourceInfo(
        url=services.settings.resolved_public_url + operation.path,
        description=operation.description,
        mime_type="application/json",
    )
    try:
        values = validate_body(operation, raw)
    except InvalidRequestError as exc:
        if payment:
            raise  # 400 before any money moves
        return payment_required(
            services,
            operation.max_price,
            resource,
            None,
            invalid=exc,
            body=raw,
            operation=operation,
        )
    services.providers.check(operation.model, operation.name, values)
    amount = operation.price.amount(values)
    if not payment:
        return payment_required(services, amount, resource, None, body=raw, operation=operation)
    try:
        job_input = values
        if takes_images:
            if payment.protocol == "x402":
                services.gate.precheck(payment.value, amount)
            else:  # local checks only (HMAC, digest, expiry, binding): nothing is claimed
                services.mpp.verify(payment.value, amount, operation.path, raw)
            job_input = await _references(services).resolve(operation, values)
        taken = await take_payment(
            services,
            request,
            payment,
            PaidRequest(operation.path, operation.model, operation.name, job_input, amount),
            body=raw,
            resource_url=resource.url,
        )
    except PaymentRequiredError as exc:
        settle = exc.details.get("settle")
        return payment_required(
            services, amount, resource, exc, settle=settle, body=raw, operation=operation
        )
    paid = taken.job
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
        headers={**taken.headers, "Cache-Control": "no-store"},
    )


def _references(services: Services) -> ReferenceResolver:
    return build_resolver(services.settings, services.store, services.signer, services.clock)
