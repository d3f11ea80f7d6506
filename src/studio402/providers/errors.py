"""Provider errors beyond the base tree in :mod:`studio402.errors`, with what the worker does::

    ProviderError                          retryable
    ├── ProviderUnavailableError           retryable
    │   ├── UpstreamRateLimitedError       429 / RESOURCE_EXHAUSTED (carries retry_after_s)
    │   └── UpstreamOutputExpiredError     the finished output's URL is gone (403/404/410):
    │                                      a new attempt generates it again
    ├── ProviderTimeoutError               retryable
    ├── UpstreamAccountError               401/402/403: bad key, no credits (not retryable)
    └── ProviderRejectedError              content_refused (not retryable)
        ├── UpstreamInvalidRequestError    400/404/422: the upstream refused the parameters
        └── UnsupportedRequestError        (base.py) this adapter cannot map the request

Every adapter raises only these (and the base classes); no SDK, HTTP or gRPC exception crosses
an adapter's boundary.
"""

from __future__ import annotations

from typing import Any

from studio402.errors import ProviderError, ProviderRejectedError, ProviderUnavailableError

__all__ = [
    "UpstreamAccountError",
    "UpstreamInvalidRequestError",
    "UpstreamOutputExpiredError",
    "UpstreamRateLimitedError",
]


class UpstreamRateLimitedError(ProviderUnavailableError):
    """The upstream provider is rate limiting us; try again later."""

    code = "upstream_rate_limited"

    def __init__(
        self, message: str | None = None, retry_after_s: float | None = None, **details: Any
    ) -> None:
        super().__init__(message, **details)
        self.retry_after_s = retry_after_s


class UpstreamOutputExpiredError(ProviderUnavailableError):
    """The upstream finished, but its output URL has expired or is missing."""

    code = "upstream_output_expired"


class UpstreamAccountError(ProviderError):
    """The upstream refused our credentials or account (bad key, no credits, no access)."""

    code = "upstream_account_error"
    retryable = False


class UpstreamInvalidRequestError(ProviderRejectedError):
    """The upstream refused the request's parameters."""

    code = "upstream_invalid_request"
