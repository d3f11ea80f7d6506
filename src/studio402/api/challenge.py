"""The 402 answer of a paid route: one price offered over x402 and MPP, and a readable quote.

Headers: ``PAYMENT-REQUIRED`` (x402 v2 ``exact``, with the ``bazaar``, ``payment-identifier`` and
``mppx`` route-binding extensions), ``WWW-Authenticate: Payment`` (MPP ``evm/charge``, same
amount, token and payee; HMAC-bound id, body digest) and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import Response
from fastapi.responses import JSONResponse
from x402.extensions.bazaar import OutputConfig, declare_discovery_extension
from x402.extensions.payment_identifier import (
    PAYMENT_IDENTIFIER,
    declare_payment_identifier_extension,
)
from x402.schemas import ResourceInfo, SettleResponse

from studio402.api.schemas import (
    GENERATE_RESPONSE,
    example_body,
    generate_example,
    request_schema,
    usd,
)
from studio402.catalog import Operation
from studio402.errors import InvalidRequestError, PaymentRequiredError
from studio402.payments.binding import binding_extension
from studio402.payments.mpp import WWW_AUTHENTICATE_HEADER, route_scope
from studio402.payments.x402 import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    encode_challenge,
    encode_receipt,
)
from studio402.services import Services

MPP_PROBLEMS = "https://paymentauth.org/problems/"
_MPP_REASONS = {
    "malformed_credential",
    "invalid_challenge",
    "payment_expired",
    "verification_failed",
    "invalid_payload",
}


def payment_required(
    services: Services,
    amount: int,
    resource: ResourceInfo,
    refusal: PaymentRequiredError | None,
    *,
    invalid: InvalidRequestError | None = None,
    settle: SettleResponse | None = None,
    body: bytes = b"",
    operation: Operation | None = None,
    bazaar: dict[str, Any] | None = None,
) -> Response:
    """402 quoting ``amount`` for this exact ``body``: why payment is (still) required, and how.

    The x402 ``bazaar`` extension (input schema, example, output) is built from ``operation``
    for a catalog route, or given whole as ``bazaar`` (see :func:`discovery_extension`).
    """
    requirements = services.gate.requirements(amount)
    route = urlsplit(resource.url).path
    challenge = services.mpp.challenge(amount, route, body, description=resource.description)
    extensions: dict[str, Any] = {
        **binding_extension("POST", route_scope(route), challenge.digest or ""),
        PAYMENT_IDENTIFIER: declare_payment_identifier_extension(required=False),
    }
    if operation is not None:
        bazaar = bazaar_extension(operation, services.settings.resolved_public_url)
    if bazaar is not None:
        extensions.update(bazaar)
    reason = refusal.details.get("reason") if refusal else None
    headers = {
        PAYMENT_REQUIRED_HEADER: encode_challenge(
            [requirements], resource, error=reason or "Payment required", extensions=extensions
        ),
        WWW_AUTHENTICATE_HEADER: services.mpp.www_authenticate(challenge),
        "Cache-Control": "no-store",
    }
    if settle is not None:
        headers[PAYMENT_RESPONSE_HEADER] = encode_receipt(settle)
    price = usd(amount, services.settings.chain.token_decimals)
    content: dict[str, Any] = {
        "type": MPP_PROBLEMS
        + (reason.replace("_", "-") if reason in _MPP_REASONS else "payment-required"),
        "error": reason or "payment_required",
        "message": refusal.message
        if refusal
        else (
            f"Pay {price} USDC ({amount} atomic units) on {requirements.network} to "
            f"{requirements.pay_to}: x402 (PAYMENT-SIGNATURE header) or MPP "
            "(Authorization: Payment) to run this request."
        ),
        "challengeId": challenge.id,
        "price": {
            "amount": str(amount),
            "usd": price,
            "asset": requirements.asset,
            "network": requirements.network,
            "payTo": requirements.pay_to,
        },
    }
    if invalid is not None:
        content["message"] = (
            "No valid request body, so this quote is the route's maximum price. "
            f"Fix the body to get the exact price: {invalid.message}"
        )
        content["issues"] = invalid.issues
    return JSONResponse(content, status_code=402, headers=headers)


def bazaar_extension(operation: Operation, public_url: str) -> dict[str, Any]:
    """The x402 ``bazaar`` extension of a catalog operation: input schema, example, output."""
    return discovery_extension(
        example_body(operation),
        request_schema(operation),
        generate_example(operation, public_url),
        GENERATE_RESPONSE,
    )


def discovery_extension(
    example: dict[str, Any],
    schema: dict[str, Any],
    output_example: dict[str, Any],
    output_schema: dict[str, Any],
) -> dict[str, Any]:
    """``{"bazaar": ...}`` for a JSON ``POST`` route: its body schema and example, its answer."""
    extension = declare_discovery_extension(
        input=example,
        input_schema=schema,
        body_type="json",
        output=OutputConfig(example=output_example, schema=output_schema),
    )
    extension["bazaar"]["info"]["input"]["method"] = "POST"
    return extension
