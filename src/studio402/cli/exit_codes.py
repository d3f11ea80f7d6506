"""The client commands' exit codes: distinct for each outcome a script must tell apart."""

from __future__ import annotations

from enum import IntEnum

from studio402.client.errors import (
    ApiError,
    ClientError,
    ConnectionFailedError,
    JobFailedError,
    JobTimeoutError,
    NoPayableOfferError,
    PaymentRefusedError,
    PaymentUnconfirmedError,
    SignInError,
    SpendingCapError,
    WalletError,
)

__all__ = ["ExitCode", "exit_code_for"]


class ExitCode(IntEnum):
    """``studio402 generate|edit|video|quote|jobs|wallet`` exit codes (docs/client.md)."""

    OK = 0
    ERROR = 1  # unexpected error
    USAGE = 2  # bad command line (typer/click)
    REQUEST_REJECTED = 3  # the server refused the request (400/404/410/413...): nothing paid
    PAYMENT_REFUSED = 4  # the server refused the signed payment, or no payable offer
    NOT_PAID = 5  # above --max-price / a spending cap, or confirmation declined: nothing signed
    JOB_FAILED = 6  # paid, and the job failed
    TIMEOUT = 7  # paid, and the job was not done within --timeout (it may still finish)
    PAYMENT_UNCONFIRMED = 8  # payment sent, outcome unknown: `studio402 jobs resume FILE`
    UNREACHABLE = 9  # the server could not be reached: nothing paid
    AUTH = 10  # sign-in refused, or not this wallet's job
    WALLET = 11  # no usable wallet


_ORDER: tuple[tuple[type[ClientError], ExitCode], ...] = (
    (SpendingCapError, ExitCode.NOT_PAID),
    (NoPayableOfferError, ExitCode.PAYMENT_REFUSED),
    (PaymentRefusedError, ExitCode.PAYMENT_REFUSED),
    (PaymentUnconfirmedError, ExitCode.PAYMENT_UNCONFIRMED),
    (JobFailedError, ExitCode.JOB_FAILED),
    (JobTimeoutError, ExitCode.TIMEOUT),
    (ConnectionFailedError, ExitCode.UNREACHABLE),
    (SignInError, ExitCode.AUTH),
    (WalletError, ExitCode.WALLET),
    (ApiError, ExitCode.REQUEST_REJECTED),
)


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code for an error a client command raised."""
    for cls, code in _ORDER:
        if isinstance(exc, cls):
            return code
    return ExitCode.ERROR
