"""The 402 answer of a paid route: the x402 challenge header and a human-readable quote."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from x402.schemas import ResourceInfo, SettleResponse

from studio402.errors import InvalidRequestError, PaymentRequiredError
from studio402.payments.x402 import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    encode_challenge,
    encode_receipt,
)
from studio402.services import Services


def payment_required(
    services: Services,
    amount: int,
    resource: ResourceInfo,
    refusal: PaymentRequiredError | None,
    *,
    invalid: InvalidRequestError | None = None,
    settle: SettleResponse | None = None,
) -> Response:
    """402 quoting ``amount``: why payment is (still) required, and how to pay it."""
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
        "message": refusal.message
        if refusal
        else (
            f"Pay {usd.normalize():f} USDC ({amount} atomic units) on {requirements.network} to "
            f"{requirements.pay_to} with x402 (PAYMENT-SIGNATURE header) to run this request."
        ),
        "price": {
            "amount": str(amount),
            "usd": f"{usd.normalize():f}",
            "asset": requirements.asset,
            "network": requirements.network,
            "payTo": requirements.pay_to,
        },
    }
    if invalid is not None:
        body["message"] = (
            "No valid request body, so this quote is the route's maximum price. "
            f"Fix the body to get the exact price: {invalid.message}"
        )
        body["issues"] = invalid.issues
    return JSONResponse(body, status_code=402, headers=headers)
