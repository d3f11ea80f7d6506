"""Take the payment of a paid route, whichever protocol the caller chose: x402 or MPP.

Both end in :meth:`PaymentGate.pay_authorization` (one ledger, one unique key per EIP-3009
authorization, one facilitator), so a replay of either returns the same job. An MPP credential
wins when a request carries both, as in pympp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from fastapi import Request
from mpp import BodyDigest

from studio402.payments.binding import binding_extension, check_binding
from studio402.payments.gate import PaidJob, PaidRequest
from studio402.payments.mpp import (
    AUTHORIZATION_HEADER,
    PAYMENT_RECEIPT_HEADER,
    payment_credential,
    route_scope,
)
from studio402.payments.x402 import (
    PAYMENT_RESPONSE_HEADER,
    PAYMENT_SIGNATURE_HEADER,
    encode_receipt,
)
from studio402.services import Services

__all__ = ["IDEMPOTENCY_HEADER", "Payment", "Taken", "payment_of", "take_payment"]

IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Payment:
    """The payment a request carries: its protocol and the header value holding it."""

    protocol: Literal["x402", "mpp"]
    value: str


@dataclass(frozen=True)
class Taken:
    """A settled payment's job and the receipt headers to answer with."""

    job: PaidJob
    headers: dict[str, str]


def payment_of(request: Request) -> Payment | None:
    """The MPP credential (``Authorization: Payment``) or x402 ``PAYMENT-SIGNATURE``, if any."""
    credential = payment_credential(request.headers.get(AUTHORIZATION_HEADER))
    if credential is not None:
        return Payment("mpp", credential)
    signature = request.headers.get(PAYMENT_SIGNATURE_HEADER)
    return Payment("x402", signature) if signature else None


async def take_payment(
    services: Services,
    request: Request,
    payment: Payment,
    paid: PaidRequest,
    *,
    body: bytes,
    resource_url: str,
) -> Taken:
    """Settle ``payment`` for ``paid`` (the validated body of the route at ``resource_url``).

    Raises what the gate raises (:class:`PaymentRequiredError` answered with a fresh 402,
    :class:`MalformedPaymentError`, :class:`PaymentConflictError`, :class:`PaymentPendingError`).
    """
    route = urlsplit(resource_url).path
    idempotency_key = request.headers.get(IDEMPOTENCY_HEADER)
    gate = services.gate
    if payment.protocol == "mpp":
        charge = services.mpp.verify(payment.value, paid.amount_atomic, route, body)
        job = await gate.pay_authorization(
            "mpp", charge.payload, charge.authorization, paid, idempotency_key
        )
        headers = {
            PAYMENT_RECEIPT_HEADER: services.mpp.receipt(
                job.settle.transaction, charge.challenge_id
            )
        }
    else:
        expected = binding_extension("POST", route_scope(route), BodyDigest.compute(body))
        check_binding(payment.value, resource_url=resource_url, expected=expected)
        job = await gate.pay(payment.value, paid, idempotency_key)
        headers = {
            PAYMENT_RESPONSE_HEADER: encode_receipt(job.settle),
            PAYMENT_RECEIPT_HEADER: services.mpp.receipt(job.settle.transaction),
        }
    headers["X-Payment-Reference"] = job.payment_id
    return Taken(job, headers)
