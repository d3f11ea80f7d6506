"""Quote a paid route from its 402, and deliver one signed payment until its outcome is known.

The money rule: one request, one signature. After a payment header is sent, every retry (network
error, 5xx, 503 ``payment_pending``) resends the *same* header with the same body; the server
maps it to the same record and answers with the same job. Nothing here ever signs again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import httpx
from x402.http.constants import PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER
from x402.http.constants import PAYMENT_SIGNATURE_HEADER as PAYMENT_SIGNATURE

from studio402.client._http import api_error, backoff_s, json_or_none, retry_after_s, send_free
from studio402.client.errors import (
    ApiError,
    NoPayableOfferError,
    PaymentRefusedError,
    PaymentUnconfirmedError,
)
from studio402.client.models import Quote, Submission
from studio402.client.payer import AssetPolicy, choose_offer, decode_challenge, decode_receipt

__all__ = ["PAYMENT_SIGNATURE", "deliver_payment", "encode_body", "read_quote", "route_url"]

logger = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def route_url(base_url: str, model: str, operation: str) -> str:
    """``{base}/api/generate/{model}/{operation}``."""
    return f"{base_url.rstrip('/')}/api/generate/{model}/{operation}"


def encode_body(params: dict[str, Any]) -> bytes:
    """The JSON body, encoded once: the paid retries resend exactly these bytes."""
    return json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode()


async def read_quote(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    *,
    model: str,
    operation: str,
    policy: AssetPolicy,
) -> Quote:
    """POST without payment and read the 402; no money moves.

    Raises :class:`ApiError` when the server answers anything but a 402 (unknown model, retired
    model, body too large, ...).
    """
    response = await send_free(http, "POST", url, content=body, headers=JSON_HEADERS)
    if response.status_code != 402:
        if response.is_success:
            raise ApiError(f"{url} answered {response.status_code} without asking for payment")
        raise api_error(response, f"quote for {model}/{operation}")
    challenge = decode_challenge(response.headers.get(PAYMENT_REQUIRED_HEADER))
    document = json_or_none(response)
    document = document if isinstance(document, dict) else {}
    try:
        offer = choose_offer(challenge, policy)
    except NoPayableOfferError:
        offer = None
    amounts = [int(o.amount) for o in challenge.accepts if o.amount.isdigit()]
    amount = int(offer.amount) if offer else min(amounts, default=0)
    issues = document.get("issues")
    return Quote(
        model=model,
        operation=operation,
        url=url,
        body=body,
        challenge=challenge,
        offer=offer,
        amount_atomic=amount,
        message=str(document.get("message") or challenge.error or ""),
        issues=issues if isinstance(issues, list) else [],
    )


async def deliver_payment(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    payment_header: str,
    amount_atomic: int,
    *,
    retry_timeout_s: float = 120.0,
) -> Submission:
    """Send the paid request and resend the same header until the outcome is known.

    Returns the job on success. Raises :class:`PaymentRefusedError` (402: no money moved),
    :class:`ApiError` (another 4xx: refused before payment) or
    :class:`PaymentUnconfirmedError` when ``retry_timeout_s`` passes without an answer.
    """
    deadline = time.monotonic() + retry_timeout_s
    headers = {**JSON_HEADERS, PAYMENT_SIGNATURE: payment_header}
    reference: str | None = None
    attempt = 0
    while True:
        attempt += 1
        wait_s: float
        try:
            response = await http.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            logger.info("paid request: %s; resending the same payment", type(exc).__name__)
            outcome = f"{type(exc).__name__}: {exc}"
            wait_s = backoff_s(attempt - 1)
        else:
            reference = response.headers.get("X-Payment-Reference") or reference
            if response.is_success:
                return _submission(response, amount_atomic, reference, attempt)
            if response.status_code == 402:
                raise _refusal(response)
            if response.status_code < 500 and response.status_code != 429:
                raise api_error(response, "paid request refused (no money moved)")
            outcome = f"HTTP {response.status_code}"
            wait_s = retry_after_s(response, backoff_s(attempt - 1))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PaymentUnconfirmedError(
                f"payment sent but its outcome is unknown after {attempt} attempts ({outcome}); "
                "resend the same payment header later, never a new one"
                + (f" (reference {reference})" if reference else ""),
                url=url,
                body=body,
                payment_header=payment_header,
                reference=reference,
                amount_atomic=amount_atomic,
            )
        await asyncio.sleep(min(wait_s, remaining))


def _submission(
    response: httpx.Response, amount: int, reference: str | None, attempts: int
) -> Submission:
    document = json_or_none(response)
    if not isinstance(document, dict) or not document.get("jobId"):
        raise ApiError(f"paid request answered without a jobId: {response.text[:200]}")
    receipt = decode_receipt(response.headers.get(PAYMENT_RESPONSE_HEADER))
    return Submission(
        job_id=str(document["jobId"]),
        type=str(document.get("type", "")),
        status=str(document.get("status", "pending")),
        poll_url=str(document.get("pollUrl", "")),
        amount_atomic=receipt.amount_atomic if receipt and receipt.amount_atomic else amount,
        receipt=receipt,
        payment_reference=reference,
        attempts=attempts,
    )


def _refusal(response: httpx.Response) -> PaymentRefusedError:
    reason = ""
    with contextlib.suppress(ApiError):
        reason = decode_challenge(response.headers.get(PAYMENT_REQUIRED_HEADER)).error or ""
    document = json_or_none(response)
    message = ""
    if isinstance(document, dict):
        message = str(document.get("message") or document.get("detail") or "")
        reason = reason or str(document.get("error") or "")
    return PaymentRefusedError(
        f"the server refused the payment: {message or reason or 'no reason given'}",
        reason=reason,
    )
