"""The facilitator interface the payment gate talks to."""

from __future__ import annotations

from typing import Protocol

from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SettleResponse,
    SupportedResponse,
    VerifyResponse,
)


class Facilitator(Protocol):
    """Verifies and settles x402 ``exact`` payments.

    ``verify`` and ``settle`` report a refused payment in the response (``is_valid=False`` /
    ``success=False`` with a reason); they raise only when the outcome is unknown:
    :class:`studio402.errors.FacilitatorError` or :class:`studio402.errors.ChainError` when the
    facilitator or chain could not be reached, or :class:`TimeoutError`. A settle response with
    ``error_reason == "settlement_pending"`` also means "outcome unknown".
    """

    async def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse:
        """Check the payment without moving money."""
        ...

    async def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        """Move the money on chain and wait for the receipt."""
        ...

    async def supported(self) -> SupportedResponse:
        """The (version, scheme, network) kinds this facilitator handles."""
        ...

    async def aclose(self) -> None:
        """Release connections and background tasks."""
        ...
