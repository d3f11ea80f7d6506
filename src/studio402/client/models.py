"""Values the SDK hands back: quotes, paid submissions, jobs and pages of jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from x402.schemas import PaymentRequired, PaymentRequirements

from studio402.client.money import usd

__all__ = ["FINAL_STATUSES", "Job", "JobPage", "Quote", "Receipt", "Submission"]

FINAL_STATUSES = frozenset({"complete", "failed"})


@dataclass(frozen=True)
class Quote:
    """A 402 read without paying: what this exact request costs and how it would be paid.

    ``exact`` is false when the body failed validation: the server then quotes the route's
    maximum and lists ``issues``; such a quote is never paid.
    """

    model: str
    operation: str
    url: str
    body: bytes
    challenge: PaymentRequired
    offer: PaymentRequirements | None
    amount_atomic: int
    message: str = ""
    issues: list[dict[str, Any]] = field(default_factory=list)
    decimals: int = 6

    @property
    def exact(self) -> bool:
        """True when the body is valid and the amount is this request's price."""
        return not self.issues

    @property
    def usd(self) -> str:
        """The amount in USD, for people (``"0.134"``)."""
        return usd(self.amount_atomic, self.decimals)

    @property
    def network(self) -> str:
        """The CAIP-2 network of the offer that would be paid (or the first offered)."""
        offer = self.offer or (self.challenge.accepts[0] if self.challenge.accepts else None)
        return offer.network if offer else ""

    @property
    def asset(self) -> str:
        """The token of the offer that would be paid (or the first offered)."""
        offer = self.offer or (self.challenge.accepts[0] if self.challenge.accepts else None)
        return offer.asset if offer else ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (amounts as strings of atomic units, as on the wire)."""
        offer = self.offer
        return {
            "model": self.model,
            "operation": self.operation,
            "url": self.url,
            "amount": str(self.amount_atomic),
            "usd": self.usd,
            "network": self.network,
            "asset": self.asset,
            "payTo": offer.pay_to if offer else None,
            "payable": offer is not None,
            "exact": self.exact,
            "issues": self.issues,
            "message": self.message,
        }


@dataclass(frozen=True)
class Receipt:
    """The decoded ``PAYMENT-RESPONSE``: where and how the payment settled."""

    success: bool
    transaction: str
    network: str
    payer: str | None
    amount_atomic: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "success": self.success,
            "transaction": self.transaction,
            "network": self.network,
            "payer": self.payer,
            "amount": None if self.amount_atomic is None else str(self.amount_atomic),
        }


@dataclass(frozen=True)
class Submission:
    """A paid request: the job it created and the payment that paid for it."""

    job_id: str
    type: str
    status: str
    poll_url: str
    amount_atomic: int
    receipt: Receipt | None
    payment_reference: str | None
    attempts: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (StableStudio's names where they exist)."""
        return {
            "jobId": self.job_id,
            "type": self.type,
            "status": self.status,
            "pollUrl": self.poll_url,
            "amount": str(self.amount_atomic),
            "usd": usd(self.amount_atomic),
            "paymentReference": self.payment_reference,
            "receipt": self.receipt.to_dict() if self.receipt else None,
        }


@dataclass(frozen=True)
class Job:
    """A job document as the server returns it (``raw``), with typed accessors."""

    raw: dict[str, Any]

    @property
    def id(self) -> str:
        """The job id."""
        return str(self.raw.get("id") or self.raw.get("jobId") or "")

    @property
    def status(self) -> str:
        """``pending``, ``loading``, ``complete`` or ``failed``."""
        return str(self.raw.get("status", ""))

    @property
    def progress(self) -> int:
        """0 to 100."""
        value = self.raw.get("progress")
        return int(value) if isinstance(value, int | float) else 0

    @property
    def done(self) -> bool:
        """True once the job is ``complete`` or ``failed``."""
        return self.status in FINAL_STATUSES

    @property
    def result(self) -> dict[str, Any]:
        """The result document (URLs minted at poll time), or ``{}``."""
        result = self.raw.get("result")
        return result if isinstance(result, dict) else {}

    @property
    def error(self) -> dict[str, Any]:
        """The failure (``code``, ``message``), or ``{}``."""
        error = self.raw.get("error")
        if isinstance(error, dict):
            return error
        return {"message": str(error)} if error else {}

    @property
    def media_url(self) -> str | None:
        """The main output: ``videoUrl`` for videos, else ``imageUrl``."""
        url = self.result.get("videoUrl") or self.result.get("imageUrl")
        return str(url) if url else None

    def to_dict(self) -> dict[str, Any]:
        """The server's document."""
        return dict(self.raw)


@dataclass(frozen=True)
class JobPage:
    """One page of ``GET /api/jobs``; pass ``next_cursor`` back for the next page."""

    jobs: list[Job]
    next_cursor: str | None
