"""What the SDK raises: one branch of studio402's error tree, each carrying the server's reason.

::

    Studio402Error                    (studio402.errors)
    └── ClientError                   anything the buyer's side raises
        ├── WalletError               no usable key (missing variable, bad keystore password, ...)
        ├── ConnectionFailedError     the server could not be reached; nothing was paid
        ├── ApiError                  the server answered an error (problem+json code, detail)
        │   └── SignInError           SIGN-IN-WITH-X refused (401), or not the payer's job (403)
        ├── SpendingCapError          the price is above a per-call or session cap: nothing signed
        ├── NoPayableOfferError       no offer this wallet may pay (network, asset, scheme)
        ├── PaymentRefusedError       the server refused the signed payment (402 again; ``reason``)
        ├── PaymentUnconfirmedError   sent, outcome unknown after retries: resend ``payment_header``
        ├── JobFailedError            the job ended ``failed`` (its ``error`` code and message)
        └── JobTimeoutError           the job did not finish in time (it may still finish)

The server's reason is kept verbatim: ``code`` is the problem+json ``code`` or the x402
``PAYMENT-REQUIRED.error``; ``message`` is its ``detail`` (or ``message``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from studio402.errors import Studio402Error

__all__ = [
    "ApiError",
    "ClientError",
    "ConnectionFailedError",
    "JobFailedError",
    "JobTimeoutError",
    "NoPayableOfferError",
    "PaymentRefusedError",
    "PaymentUnconfirmedError",
    "SignInError",
    "SpendingCapError",
    "WalletError",
]


class ClientError(Studio402Error):
    """The studio402 client failed."""

    code: ClassVar[str] = "client_error"


class WalletError(ClientError):
    """No usable wallet key."""

    code = "wallet_error"


class ConnectionFailedError(ClientError):
    """The server could not be reached; nothing was paid."""

    code = "connection_failed"
    retryable = True


class ApiError(ClientError):
    """The server answered with an error."""

    code = "api_error"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int = 0,
        code: str | None = None,
        body: Any = None,
        **details: Any,
    ) -> None:
        super().__init__(message, **details)
        self.http_status = status
        self.body = body
        if code:
            self.code = code  # type: ignore[misc]  # the server's code, per instance


class SignInError(ApiError):
    """SIGN-IN-WITH-X was refused, or this wallet did not pay for the job."""

    code = "sign_in_failed"


class SpendingCapError(ClientError):
    """The price is above a spending cap; nothing was signed."""

    code = "spending_cap_exceeded"

    def __init__(self, message: str, *, amount_atomic: int, cap_atomic: int, cap: str) -> None:
        super().__init__(message, amount_atomic=amount_atomic, cap_atomic=cap_atomic, cap=cap)
        self.amount_atomic = amount_atomic
        self.cap_atomic = cap_atomic
        self.cap = cap


class NoPayableOfferError(ClientError):
    """The server offers no payment this wallet may make."""

    code = "no_payable_offer"


class PaymentRefusedError(ClientError):
    """The server refused the signed payment; no money moved."""

    code = "payment_refused"

    def __init__(self, message: str | None = None, *, reason: str = "", **details: Any) -> None:
        super().__init__(message, reason=reason, **details)
        self.reason = reason


class PaymentUnconfirmedError(ClientError):
    """The payment was sent but its outcome is unknown: resend the same header later.

    Resending ``payment_header`` with the same body to ``url`` is always safe: the server answers
    with the job this authorization paid for, and never settles it twice. Never sign a new one.
    """

    code = "payment_unconfirmed"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        url: str,
        body: bytes,
        payment_header: str,
        reference: str | None,
        amount_atomic: int,
    ) -> None:
        super().__init__(message, reference=reference, url=url)
        self.url = url
        self.body = body
        self.payment_header = payment_header
        self.reference = reference
        self.amount_atomic = amount_atomic


class JobFailedError(ClientError):
    """The job failed."""

    code = "job_failed"

    def __init__(self, message: str, *, job: Any, reason: str = "") -> None:
        super().__init__(message, reason=reason)
        self.job = job
        self.reason = reason


class JobTimeoutError(ClientError):
    """The job did not finish in time; it may still finish later."""

    code = "job_timeout"
    retryable = True

    def __init__(self, message: str, *, job_id: str, last: Any = None) -> None:
        super().__init__(message, job_id=job_id)
        self.job_id = job_id
        self.last = last
