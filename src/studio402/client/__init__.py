"""The buyer's side: paying studio402 (and any x402 seller) from Python.

    async with AsyncStudio402Client("http://127.0.0.1:8402", "dev:.studio402") as client:
        quote = await client.quote("nano-banana-pro", prompt="A sunset", aspectRatio="16:9")
        submission = await client.pay(quote, max_price_atomic=200_000)
        job = await client.wait(submission, timeout_s=120)
        await client.download(job, "sunset.png")

:class:`Studio402Client` is the same API, blocking. See docs/client.md.
"""

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
from studio402.client.models import Job, JobPage, Quote, Receipt, Submission
from studio402.client.money import parse_usd, usd
from studio402.client.payer import official_x402_client
from studio402.client.sdk import DEFAULT_API_URL, AsyncStudio402Client
from studio402.client.siwx import sign_in_with_x
from studio402.client.spending import DEFAULT_MAX_PER_CALL_ATOMIC, Budget
from studio402.client.sync import Studio402Client
from studio402.client.wallet import Wallet, load_wallet

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_MAX_PER_CALL_ATOMIC",
    "ApiError",
    "AsyncStudio402Client",
    "Budget",
    "ClientError",
    "ConnectionFailedError",
    "Job",
    "JobFailedError",
    "JobPage",
    "JobTimeoutError",
    "NoPayableOfferError",
    "PaymentRefusedError",
    "PaymentUnconfirmedError",
    "Quote",
    "Receipt",
    "SignInError",
    "SpendingCapError",
    "Studio402Client",
    "Submission",
    "Wallet",
    "WalletError",
    "load_wallet",
    "official_x402_client",
    "parse_usd",
    "sign_in_with_x",
    "usd",
]
