"""The one exception tree of studio402.

Every error carries a stable snake_case ``code``, the HTTP ``status`` the API answers with, and a
``retryable`` flag that the worker and the SDK read (never the message text)::

    Studio402Error
    ├── ConfigError                 settings that cannot work (500, not retryable)
    ├── InvalidRequestError         a body or query that fails validation (400)
    │   ├── UnknownModelError       no such model or operation (404)
    │   ├── PayloadTooLargeError    a body over the size limit (413)
    │   ├── InvalidMediaError       an image we refuse: not an image, too big, too many pixels (400)
    │   │   └── BlockedAddressError a reference URL pointing at a refused address (400)
    │   ├── InvalidReferenceError   a reference image of a request, named by field and index (400)
    │   └── UnsupportedOptionsError the upstream cannot run these options, refused unpaid (400)
    ├── ModelUnavailableError       no upstream configured for the model here (503)
    ├── RetiredModelError           a model retired upstream: 410 naming its replacement
    ├── UploadNotFoundError         no such upload (404)
    ├── UploadExpiredError          the one-time upload URL expired (410)
    ├── UploadStateError            the upload was already used, or is not uploaded yet (409)
    ├── PaymentError
    │   ├── PaymentRequiredError    no payment, or one that was refused: answer a fresh 402
    │   ├── MalformedPaymentError   a payment header that cannot be decoded (400)
    │   ├── PaymentConflictError    the idempotency key names another payment (409)
    │   └── PaymentPendingError     settlement outcome unknown: 503 + Retry-After, never a 402
    ├── ChainError                  JSON-RPC or transaction failure (502, retryable)
    ├── FacilitatorError            the facilitator could not be reached or answered garbage (502)
    ├── AuthError                   SIGN-IN-WITH-X / session problems (401)
    │   └── ForbiddenError          a valid wallet that does not own the resource (403)
    ├── JobError
    │   └── JobNotFoundError        (404)
    ├── ProviderError               upstream model failures (retryable unless stated)
    │   ├── ProviderUnavailableError
    │   ├── ProviderTimeoutError
    │   └── ProviderRejectedError   content refused or bad request upstream (not retryable)
    └── StorageError                object store failures (retryable)
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthError",
    "BlockedAddressError",
    "ChainError",
    "ConfigError",
    "FacilitatorError",
    "ForbiddenError",
    "InvalidMediaError",
    "InvalidReferenceError",
    "InvalidRequestError",
    "JobError",
    "JobNotFoundError",
    "MalformedPaymentError",
    "ModelUnavailableError",
    "PayloadTooLargeError",
    "PaymentConflictError",
    "PaymentError",
    "PaymentPendingError",
    "PaymentRequiredError",
    "ProviderError",
    "ProviderRejectedError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RetiredModelError",
    "StorageError",
    "Studio402Error",
    "UnknownModelError",
    "UnsupportedOptionsError",
    "UploadExpiredError",
    "UploadNotFoundError",
    "UploadStateError",
]


class Studio402Error(Exception):
    """Something went wrong in studio402."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or (self.__doc__ or self.code).strip().splitlines()[0]
        self.details = details
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ConfigError(Studio402Error):
    """The configuration cannot work."""

    code = "config_error"


class InvalidRequestError(Studio402Error):
    """The request is invalid."""

    code = "invalid_request"
    status = 400

    def __init__(
        self, message: str | None = None, issues: list[dict[str, Any]] | None = None, **details: Any
    ) -> None:
        super().__init__(message, **details)
        self.issues = issues or []


class UnknownModelError(InvalidRequestError):
    """No such model or operation."""

    code = "unknown_model"
    status = 404


class InvalidMediaError(InvalidRequestError):
    """The image is not acceptable."""

    code = "invalid_media"


class BlockedAddressError(InvalidMediaError):
    """The URL points at an address this server refuses to fetch from."""

    code = "blocked_address"


class InvalidReferenceError(InvalidRequestError):
    """A reference image of the request is not acceptable; ``issues`` name each one."""

    code = "invalid_reference"


class UnsupportedOptionsError(InvalidRequestError):
    """The upstream model cannot run this combination of options."""

    code = "unsupported_options"
    status = 400


class ModelUnavailableError(Studio402Error):
    """This server cannot run the model right now (no upstream configured)."""

    code = "model_unavailable"
    status = 503


class RetiredModelError(Studio402Error):
    """This model was retired upstream (``details["replacement"]`` names what to use)."""

    code = "model_retired"
    status = 410


class UploadNotFoundError(Studio402Error):
    """No such upload."""

    code = "upload_not_found"
    status = 404


class UploadExpiredError(Studio402Error):
    """The one-time upload URL has expired: pay for a new upload."""

    code = "upload_expired"
    status = 410


class UploadStateError(Studio402Error):
    """The upload is not in a state that allows this (already used, or not uploaded yet)."""

    code = "upload_state"
    status = 409


class PaymentError(Studio402Error):
    """The payment could not be accepted."""

    code = "payment_error"
    status = 402


class PaymentRequiredError(PaymentError):
    """Payment is required."""

    code = "payment_required"
    status = 402

    def __init__(
        self, message: str | None = None, reason: str | None = None, **details: Any
    ) -> None:
        super().__init__(message, reason=reason, **details)
        self.reason = reason


class MalformedPaymentError(PaymentError):
    """The payment header could not be decoded."""

    code = "malformed_payment"
    status = 400


class PayloadTooLargeError(InvalidRequestError):
    """The request body is too large."""

    code = "payload_too_large"
    status = 413


class PaymentConflictError(PaymentError):
    """This idempotency key already belongs to a different payment."""

    code = "idempotency_conflict"
    status = 409


class PaymentPendingError(PaymentError):
    """The payment was submitted but its settlement is not confirmed yet."""

    code = "payment_pending"
    status = 503
    retryable = True

    def __init__(
        self,
        message: str | None = None,
        payment_id: str = "",
        retry_after_s: int = 5,
        **details: Any,
    ) -> None:
        super().__init__(message, **details)
        self.payment_id = payment_id
        self.retry_after_s = retry_after_s


class ChainError(Studio402Error):
    """The chain could not be reached or refused the transaction."""

    code = "chain_error"
    status = 502
    retryable = True


class FacilitatorError(Studio402Error):
    """The facilitator could not be reached or answered something unreadable."""

    code = "facilitator_error"
    status = 502
    retryable = True


class AuthError(Studio402Error):
    """Wallet authentication failed."""

    code = "unauthorized"
    status = 401


class ForbiddenError(AuthError):
    """This wallet does not own the resource."""

    code = "forbidden"
    status = 403


class JobError(Studio402Error):
    """A job could not be handled."""

    code = "job_error"


class JobNotFoundError(JobError):
    """No such job."""

    code = "job_not_found"
    status = 404


class ProviderError(Studio402Error):
    """The upstream model provider failed."""

    code = "provider_error"
    status = 502
    retryable = True


class ProviderUnavailableError(ProviderError):
    """The upstream provider is unavailable."""

    code = "upstream_unavailable"


class ProviderTimeoutError(ProviderError):
    """The upstream provider did not answer in time."""

    code = "upstream_timeout"


class ProviderRejectedError(ProviderError):
    """The upstream provider refused the request."""

    code = "content_refused"
    retryable = False


class StorageError(Studio402Error):
    """The object store failed."""

    code = "storage_error"
    retryable = True
