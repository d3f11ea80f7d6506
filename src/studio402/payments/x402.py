"""x402 v2 ``exact`` on EVM: requirements, challenges and payload decoding via the official SDK."""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from x402.http.constants import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    PAYMENT_SIGNATURE_HEADER,
)
from x402.http.utils import (
    decode_payment_signature_header,
    encode_payment_required_header,
    encode_payment_response_header,
)
from x402.schemas import (
    PaymentPayload,
    PaymentRequired,
    PaymentRequirements,
    ResourceInfo,
    SettleResponse,
)

from studio402.errors import MalformedPaymentError, PaymentRequiredError

__all__ = [
    "PAYMENT_REQUIRED_HEADER",
    "PAYMENT_RESPONSE_HEADER",
    "PAYMENT_SIGNATURE_HEADER",
    "Authorization",
    "Rail",
    "decode_payment",
    "encode_challenge",
    "encode_receipt",
    "extract_authorization",
    "idempotency_key_of",
    "match_requirements",
]

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE = re.compile(r"^0x[0-9a-fA-F]{64}$")
_PAYMENT_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


@dataclass(frozen=True)
class Rail:
    """What we accept: one token on one network, paid to one address."""

    network: str
    asset: str
    pay_to: str
    token_name: str
    token_version: str
    max_timeout_seconds: int

    def requirements(self, amount_atomic: int) -> PaymentRequirements:
        """The ``accepts`` entry for an exact amount in atomic units."""
        return PaymentRequirements(
            scheme="exact",
            network=self.network,
            asset=self.asset,
            amount=str(amount_atomic),
            pay_to=self.pay_to,
            max_timeout_seconds=self.max_timeout_seconds,
            extra={"name": self.token_name, "version": self.token_version},
        )


@dataclass(frozen=True)
class Authorization:
    """The EIP-3009 authorization inside an ``exact`` payload, normalised."""

    payer: str
    to: str
    value: int
    valid_after: int
    valid_before: int
    nonce: str


def encode_challenge(
    requirements: list[PaymentRequirements],
    resource: ResourceInfo,
    error: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> str:
    """The base64 ``PAYMENT-REQUIRED`` header value."""
    return encode_payment_required_header(
        PaymentRequired(
            x402_version=2,
            error=error,
            resource=resource,
            accepts=requirements,
            extensions=extensions,
        )
    )


def encode_receipt(settle: SettleResponse) -> str:
    """The base64 ``PAYMENT-RESPONSE`` header value."""
    return encode_payment_response_header(settle)


def decode_payment(header_value: str) -> PaymentPayload:
    """Decode a ``PAYMENT-SIGNATURE`` header; :class:`MalformedPaymentError` if it is not one."""
    if len(header_value) > 16_384:
        raise MalformedPaymentError("PAYMENT-SIGNATURE header is too large")
    try:
        decoded = decode_payment_signature_header(header_value.strip())
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPaymentError(
            "PAYMENT-SIGNATURE is not base64-encoded JSON", reason="invalid_payload"
        ) from exc
    except ValidationError as exc:
        raise MalformedPaymentError(
            f"PAYMENT-SIGNATURE is not an x402 payment payload: {_first_error(exc)}",
            reason="invalid_payload",
        ) from exc
    except (AttributeError, TypeError) as exc:
        raise MalformedPaymentError("PAYMENT-SIGNATURE must hold a JSON object") from exc
    if not isinstance(decoded, PaymentPayload) or decoded.x402_version != 2:
        raise MalformedPaymentError(
            "only x402 version 2 payments are accepted", reason="invalid_x402_version"
        )
    return decoded


def extract_authorization(payload: PaymentPayload) -> Authorization:
    """Read and check the shape of the EIP-3009 authorization in an ``exact`` payload."""
    auth = payload.payload.get("authorization")
    signature = payload.payload.get("signature")
    if not isinstance(auth, dict) or not isinstance(signature, str):
        raise MalformedPaymentError(
            "payload must carry an EIP-3009 'authorization' and a 'signature'",
            reason="invalid_payload",
        )
    try:
        payer, to, nonce = str(auth["from"]), str(auth["to"]), str(auth["nonce"])
        value, after, before = (int(auth[k]) for k in ("value", "validAfter", "validBefore"))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPaymentError(
            f"authorization is missing or has a malformed field: {exc}", reason="invalid_payload"
        ) from exc
    if not (_ADDRESS.match(payer) and _ADDRESS.match(to)):
        raise MalformedPaymentError("authorization addresses must be 0x + 40 hex digits")
    if not _NONCE.match(nonce):
        raise MalformedPaymentError("authorization nonce must be 0x + 64 hex digits")
    if value < 0 or after < 0 or before < 0:
        raise MalformedPaymentError("authorization amounts and times must be non-negative")
    return Authorization(payer.lower(), to.lower(), value, after, before, nonce.lower())


def match_requirements(
    payload: PaymentPayload, expected: PaymentRequirements, authorization: Authorization
) -> None:
    """Refuse a payload that does not pay exactly what we ask, with the x402 reason code."""
    accepted = payload.accepted
    checks: list[tuple[bool, str, str]] = [
        (accepted.scheme == expected.scheme, "unsupported_scheme", "scheme must be 'exact'"),
        (
            accepted.network == expected.network,
            "network_mismatch",
            f"network must be {expected.network}",
        ),
        (
            accepted.asset.lower() == expected.asset.lower(),
            "asset_mismatch",
            f"asset must be {expected.asset}",
        ),
        (
            accepted.pay_to.lower() == expected.pay_to.lower() == authorization.to,
            "invalid_exact_evm_payload_recipient_mismatch",
            f"payTo must be {expected.pay_to}",
        ),
        (
            accepted.amount == expected.amount == str(authorization.value),
            "invalid_exact_evm_payload_authorization_value_mismatch",
            f"amount must be exactly {expected.amount} atomic units for this request",
        ),
    ]
    for ok, reason, message in checks:
        if not ok:
            raise PaymentRequiredError(message, reason=reason)


def idempotency_key_of(payload: PaymentPayload) -> str | None:
    """The x402 ``payment-identifier`` id the client attached, if any."""
    ext = (payload.extensions or {}).get("payment-identifier")
    if not isinstance(ext, dict):
        return None
    info = ext.get("info")
    candidate = info.get("id") if isinstance(info, dict) else None
    if candidate is None:
        return None
    if not isinstance(candidate, str) or not _PAYMENT_ID.match(candidate):
        raise MalformedPaymentError(
            "payment-identifier id must be 16-128 characters of [A-Za-z0-9_-]"
        )
    return candidate


def payload_digest(payload: PaymentPayload) -> str:
    """A stable digest of what was signed, to tell a replay from a different payment."""
    core = {"accepted": payload.accepted.model_dump(by_alias=True), "payload": payload.payload}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
