"""In-memory facilitators for tests: scripted answers, call counts, delays and failures."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SettleResponse,
    SupportedKind,
    SupportedResponse,
    VerifyResponse,
)

VerifyScript = Callable[[PaymentPayload, PaymentRequirements], VerifyResponse]
SettleScript = Callable[[PaymentPayload, PaymentRequirements], SettleResponse]


def _payer(payload: PaymentPayload) -> str:
    return str(payload.payload.get("authorization", {}).get("from", ""))


def valid(payload: PaymentPayload, _requirements: PaymentRequirements) -> VerifyResponse:
    """Accept everything."""
    return VerifyResponse(is_valid=True, payer=_payer(payload))


def settled(payload: PaymentPayload, requirements: PaymentRequirements) -> SettleResponse:
    """Settle everything with a random transaction hash."""
    return SettleResponse(
        success=True,
        transaction="0x" + secrets.token_hex(32),
        network=requirements.network,
        payer=_payer(payload),
        amount=requirements.amount,
    )


@dataclass
class ScriptedFacilitator:
    """A facilitator whose answers, delays and exceptions a test decides."""

    verify_script: VerifyScript = valid
    settle_script: SettleScript = settled
    verify_delay_s: float = 0.0
    settle_delay_s: float = 0.0
    settle_error: BaseException | None = None
    verify_error: BaseException | None = None
    verify_calls: int = 0
    settle_calls: int = 0
    settled_hashes: list[str] = field(default_factory=list)
    network: str = "eip155:31337"

    async def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse:
        """Count, wait, then answer as scripted."""
        self.verify_calls += 1
        await asyncio.sleep(self.verify_delay_s)
        if self.verify_error is not None:
            raise self.verify_error
        return self.verify_script(payload, requirements)

    async def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        """Count, wait, then answer as scripted."""
        self.settle_calls += 1
        await asyncio.sleep(self.settle_delay_s)
        if self.settle_error is not None:
            raise self.settle_error
        result = self.settle_script(payload, requirements)
        if result.success:
            self.settled_hashes.append(result.transaction)
        return result

    async def supported(self) -> SupportedResponse:
        """One kind: v2 exact on the configured network."""
        return SupportedResponse(
            kinds=[SupportedKind(x402_version=2, scheme="exact", network=self.network)],
            extensions=[],
            signers={},
        )

    async def aclose(self) -> None:
        """Nothing to release."""
