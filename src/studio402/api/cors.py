"""CORS: browsers may send the payment and sign-in headers, and read the payment answers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from studio402.auth.siwx import HEADER_NAME as SIGN_IN_WITH_X_HEADER
from studio402.payments.mpp import (
    AUTHORIZATION_HEADER,
    PAYMENT_RECEIPT_HEADER,
    WWW_AUTHENTICATE_HEADER,
)
from studio402.payments.x402 import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    PAYMENT_SIGNATURE_HEADER,
)

__all__ = ["ALLOWED_HEADERS", "EXPOSED_HEADERS", "install_cors"]

ALLOWED_HEADERS = [
    PAYMENT_SIGNATURE_HEADER,
    "X-PAYMENT",
    SIGN_IN_WITH_X_HEADER,
    AUTHORIZATION_HEADER,
    "Idempotency-Key",
    "Content-Type",
    "Accept-Payment",
]
"""Named for documentation; any requested header is allowed (agents add their own)."""

EXPOSED_HEADERS = [
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    WWW_AUTHENTICATE_HEADER,
    PAYMENT_RECEIPT_HEADER,
    "Retry-After",
    "X-Payment-Reference",
    "X-Session-Token",
    "X-Session-Expires-At",
]


def install_cors(app: FastAPI) -> None:
    """Any origin, any method; every requested header allowed; payment headers exposed."""
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
