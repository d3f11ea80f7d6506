"""The reconciler: finishes every payment whose outcome a request could not learn.

It looks at records left ``verifying`` or ``settling`` by a crash, and ``payment_pending`` ones
(facilitator timeout, ``settlement_pending``, a used nonce), and decides each from the chain:
a successful transfer of the authorization → settled + what it bought (a job or an upload
slot, by the record's kind); an authorization still unused and
still valid → settle it now (we hold the signed payload); expired or cancelled → failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine
from x402.schemas import PaymentPayload, PaymentRequirements, SettleResponse

from studio402.clock import Clock
from studio402.errors import ChainError, FacilitatorError
from studio402.payments import records
from studio402.payments.facilitator.base import Facilitator
from studio402.payments.outcomes import is_definitive_refusal
from studio402.payments.records import PaymentRecord, PaymentStatus

logger = logging.getLogger(__name__)


class ChainReader(Protocol):
    """What the reconciler needs to know from the chain."""

    async def authorization_state(self, token: str, authorizer: str, nonce: str) -> bool:
        """Whether the EIP-3009 nonce was used or cancelled."""
        ...

    async def find_authorization_tx(self, token: str, authorizer: str, nonce: str) -> str | None:
        """The hash of the transaction that used the nonce, if any."""
        ...

    async def transfer_succeeded(
        self, tx_hash: str, token: str, payer: str, pay_to: str, amount: int
    ) -> bool | None:
        """True if the mined tx moved ``amount`` from payer to pay_to; None while unmined."""
        ...


class Reconciler:
    """Resolves unresolved payments, one at a time per record, safely across processes."""

    def __init__(
        self,
        engine: AsyncEngine,
        facilitator: Facilitator,
        chain: ChainReader | None,
        clock: Clock,
        *,
        stale_after_s: float = 60.0,
        interval_s: float = 2.0,
    ) -> None:
        self.engine = engine
        self.facilitator = facilitator
        self.chain = chain
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.interval_s = interval_s

    async def run_once(self) -> int:
        """Resolve what can be resolved now; return how many records reached a final state."""
        cutoff = self.clock.now() - timedelta(seconds=self.stale_after_s)
        resolved = 0
        for record in await records.unresolved_before(self.engine, cutoff):
            if not await records.touch(self.engine, record, self.clock.now()):
                continue  # another reconciler took it
            try:
                if await self.resolve(await records.get(self.engine, record.id)):
                    resolved += 1
            except (ChainError, FacilitatorError, TimeoutError) as exc:
                logger.warning("reconcile deferred: %s", exc, extra={"payment_id": record.id})
        return resolved

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Reconcile every ``interval_s`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                logger.exception("reconciler pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)

    async def resolve(self, record: PaymentRecord) -> bool:
        """Bring one record to ``settled`` or ``failed`` if the chain allows; report if it did."""
        if record.status is PaymentStatus.VERIFYING:
            # Verification never finished, so settle was never called: no money moved.
            return await self._fail(record, "abandoned", "the request ended before settlement")
        if self.chain is not None:
            decided = await self._decide_from_chain(record)
            if decided is not None:
                return decided
        return await self._settle_again(record)

    async def _decide_from_chain(self, record: PaymentRecord) -> bool | None:
        if self.chain is None:
            return None
        candidates = [record.tx_hash] if record.tx_hash else []
        found = await self.chain.find_authorization_tx(record.asset, record.payer, record.nonce)
        if found and found not in candidates:
            candidates.append(found)
        for tx_hash in candidates:
            moved = await self.chain.transfer_succeeded(
                tx_hash, record.asset, record.payer, record.pay_to, record.amount_atomic
            )
            if moved is None:
                return False  # still in the mempool: look again next pass
            if moved:
                return await self._settled(record, tx_hash)
        if await self.chain.authorization_state(record.asset, record.payer, record.nonce):
            return await self._fail(
                record,
                "authorization_canceled",
                "the payer cancelled or spent the authorization elsewhere",
            )
        if record.valid_before <= int(self.clock.now().timestamp()):
            return await self._fail(
                record,
                "authorization_expired",
                "the authorization expired before it could be settled",
            )
        return None

    async def _settle_again(self, record: PaymentRecord) -> bool:
        payload = PaymentPayload.model_validate_json(record.payload_json)
        requirements = PaymentRequirements.model_validate_json(record.requirements_json)
        result = await self.facilitator.settle(payload, requirements)
        if result.success:
            return await self._settled(
                record, result.transaction, result.model_dump_json(by_alias=True, exclude_none=True)
            )
        reason = result.error_reason or "settlement_failed"
        if is_definitive_refusal(reason):
            return await self._fail(record, reason, result.error_message)
        await records.transition(
            self.engine,
            record.id,
            records.UNRESOLVED,
            PaymentStatus.PENDING,
            self.clock.now(),
            error_reason=reason,
            tx_hash=result.transaction or record.tx_hash,
        )
        return False

    async def _settled(
        self, record: PaymentRecord, tx_hash: str, settle_json: str | None = None
    ) -> bool:
        receipt = settle_json or _receipt_json(record, tx_hash)
        bought = await records.settle_and_fulfil(
            self.engine, record, tx_hash, receipt, self.clock.now()
        )
        logger.info(
            "payment reconciled as settled",
            extra={"payment_id": record.id, "kind": record.kind, "fulfilment_id": bought},
        )
        return True

    async def _fail(self, record: PaymentRecord, reason: str, message: str | None) -> bool:
        return await records.transition(
            self.engine,
            record.id,
            records.UNRESOLVED,
            PaymentStatus.FAILED,
            self.clock.now(),
            error_reason=reason,
            error_message=message,
        )


def _receipt_json(record: PaymentRecord, tx_hash: str) -> str:
    return SettleResponse(
        success=True,
        transaction=tx_hash,
        network=record.network,
        payer=record.payer,
        amount=str(record.amount_atomic),
    ).model_dump_json(by_alias=True, exclude_none=True)
