"""The payment gate: quote, then claim, verify and settle one authorization into one job.

Ordering is the whole point. The authorization is claimed in the ledger (unique key on network,
asset, payer and nonce) before anything else, so a replayed or concurrently re-sent payment
meets the claim and returns the same job. Money moves (settle) before the job exists, and the
job is created in the transaction that marks the payment settled. When the settlement outcome
is unknown the caller gets :class:`PaymentPendingError` (503 + Retry-After), never a new 402,
and the reconciler finishes the record from the chain.

A payment buys one thing, named by :attr:`PaidRequest.kind`: a generation job (the default) or
an upload slot (``POST /api/upload``); the same rules hold for both (see ``fulfilment``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncEngine
from x402.schemas import PaymentPayload, PaymentRequirements, SettleResponse

from studio402.clock import Clock
from studio402.errors import (
    ChainError,
    FacilitatorError,
    PaymentConflictError,
    PaymentPendingError,
    PaymentRequiredError,
)
from studio402.ids import new_payment_id
from studio402.payments import records
from studio402.payments.facilitator.base import Facilitator
from studio402.payments.fulfilment import FulfilmentKind
from studio402.payments.outcomes import is_definitive_refusal
from studio402.payments.records import PaymentRecord, PaymentStatus
from studio402.payments.x402 import (
    Authorization,
    Rail,
    decode_payment,
    extract_authorization,
    idempotency_key_of,
    match_requirements,
    payload_digest,
)

logger = logging.getLogger(__name__)

_UNKNOWN_OUTCOME = (FacilitatorError, ChainError, TimeoutError)
# The SDK reports an unreachable RPC during signature checks as this reason.
_RPC_OUTAGE = "invalid_exact_evm_failed_to_verify_signature"


@dataclass(frozen=True)
class PaidRequest:
    """A validated request to pay for: which route, what input, at what price, buying what."""

    route: str
    model: str
    operation: str
    input: dict[str, Any]
    amount_atomic: int
    kind: FulfilmentKind = FulfilmentKind.JOB


@dataclass(frozen=True)
class PaidJob:
    """What a payment bought, and the settlement receipt to hand back.

    ``job_id`` is the id of the job, or of the upload slot when ``kind`` is ``upload``.
    """

    job_id: str
    payment_id: str
    settle: SettleResponse
    replayed: bool
    kind: FulfilmentKind = FulfilmentKind.JOB


class PaymentGate:
    """Turns one ``PAYMENT-SIGNATURE`` into exactly one settled payment and one job."""

    def __init__(
        self,
        engine: AsyncEngine,
        facilitator: Facilitator,
        rail: Rail,
        clock: Clock,
        *,
        facilitator_timeout_s: float = 30.0,
        replay_wait_s: float = 10.0,
        retry_after_s: int = 5,
    ) -> None:
        self.engine = engine
        self.facilitator = facilitator
        self.rail = rail
        self.clock = clock
        self.facilitator_timeout_s = facilitator_timeout_s
        self.replay_wait_s = replay_wait_s
        self.retry_after_s = retry_after_s

    def requirements(self, amount_atomic: int) -> PaymentRequirements:
        """What a client must sign to pay ``amount_atomic``."""
        return self.rail.requirements(amount_atomic)

    def precheck(self, header_value: str, amount_atomic: int) -> None:
        """The checks :meth:`pay` starts with, without touching the ledger or the network.

        Routes call it before expensive work done ahead of payment (fetching reference images),
        so a malformed or mismatched payment costs nothing.

        Raises:
            MalformedPaymentError: the header cannot be decoded.
            PaymentRequiredError: it does not pay these requirements.
        """
        payload = decode_payment(header_value)
        authorization = extract_authorization(payload)
        match_requirements(payload, self.requirements(amount_atomic), authorization)

    async def pay(
        self, header_value: str, request: PaidRequest, idempotency_key: str | None = None
    ) -> PaidJob:
        """Settle the x402 payment in ``header_value`` for ``request`` and return its job.

        Raises :class:`PaymentRequiredError` (refused, with the x402 reason),
        :class:`MalformedPaymentError`, :class:`PaymentConflictError` or
        :class:`PaymentPendingError` (outcome unknown: retry later with the same header).
        """
        payload = decode_payment(header_value)
        authorization = extract_authorization(payload)
        return await self.pay_authorization(
            "x402", payload, authorization, request, idempotency_key
        )

    async def pay_authorization(
        self,
        protocol: str,
        payload: PaymentPayload,
        authorization: Authorization,
        request: PaidRequest,
        idempotency_key: str | None = None,
    ) -> PaidJob:
        """Settle one decoded EIP-3009 authorization for ``request``, whichever protocol carried it.

        ``payload`` is the authorization in x402 ``exact`` form: what the facilitator verifies
        and settles, what the ledger keeps (so the reconciler can finish it) and what a replay is
        compared with. ``protocol`` (``"x402"`` or ``"mpp"``) is recorded. Same claim, unique key,
        idempotency and errors as :meth:`pay`.
        """
        requirements = self.requirements(request.amount_atomic)
        match_requirements(payload, requirements, authorization)
        now = self.clock.now()
        digest = payload_digest(payload)
        record, owned = await records.claim(
            self.engine,
            {
                "id": new_payment_id(),
                "protocol": protocol,
                "network": requirements.network,
                "asset": requirements.asset.lower(),
                "payer": authorization.payer,
                "pay_to": authorization.to,
                "amount_atomic": authorization.value,
                "nonce": authorization.nonce,
                "valid_before": authorization.valid_before,
                "idempotency_key": idempotency_key or idempotency_key_of(payload),
                "payload_sha256": digest,
                "payload_json": payload.model_dump_json(by_alias=True, exclude_none=True),
                "requirements_json": requirements.model_dump_json(by_alias=True),
                "route": request.route,
                "model": request.model,
                "operation": request.operation,
                "input_json": json.dumps(request.input, sort_keys=True),
                "kind": request.kind,
                "created_at": now,
                "updated_at": now,
            },
        )
        if not owned:
            return await self._await_existing(record, digest, request.kind)
        return await self._verify_and_settle(record, payload, requirements)

    async def _verify_and_settle(
        self, record: PaymentRecord, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> PaidJob:
        try:
            verdict = await asyncio.wait_for(
                self.facilitator.verify(payload, requirements), self.facilitator_timeout_s
            )
        except _UNKNOWN_OUTCOME as exc:
            await self._verification_unavailable(record, str(exc) or type(exc).__name__)
        if not verdict.is_valid:
            reason = verdict.invalid_reason or "invalid_payment"
            if reason == "invalid_exact_evm_nonce_already_used":
                return await self._defer_to_reconciler(record, reason, None)
            if reason == _RPC_OUTAGE:
                await self._verification_unavailable(record, verdict.invalid_message or reason)
            await self._fail(record, reason, verdict.invalid_message)
            raise PaymentRequiredError(
                _refusal_message(reason, verdict.invalid_message), reason=reason
            )

        await records.transition(
            self.engine,
            record.id,
            (PaymentStatus.VERIFYING,),
            PaymentStatus.SETTLING,
            self.clock.now(),
        )
        try:
            settled = await asyncio.wait_for(
                self.facilitator.settle(payload, requirements), self.facilitator_timeout_s
            )
        except _UNKNOWN_OUTCOME as exc:
            logger.warning(
                "settlement outcome unknown", extra={"payment_id": record.id}, exc_info=exc
            )
            return await self._defer_to_reconciler(record, "settlement_unknown", None)

        if settled.success:
            bought = await records.settle_and_fulfil(
                self.engine,
                record,
                settled.transaction,
                settled.model_dump_json(by_alias=True, exclude_none=True),
                self.clock.now(),
            )
            return PaidJob(
                bought, record.id, settled, replayed=False, kind=FulfilmentKind(record.kind)
            )
        reason = settled.error_reason or "settlement_failed"
        if not is_definitive_refusal(reason):
            return await self._defer_to_reconciler(record, reason, settled.transaction or None)
        await self._fail(record, reason, settled.error_message, PaymentStatus.SETTLING)
        raise PaymentRequiredError(
            _refusal_message(reason, settled.error_message), reason=reason, settle=settled
        )

    async def _verification_unavailable(self, record: PaymentRecord, detail: str) -> NoReturn:
        # Nothing was broadcast: the record may be claimed again by the same payload.
        await self._fail(record, "verification_unavailable", detail)
        raise PaymentPendingError(
            "could not verify the payment right now; nothing was charged. "
            "Retry the same request later.",
            payment_id=record.id,
            retry_after_s=self.retry_after_s,
        )

    async def _defer_to_reconciler(
        self, record: PaymentRecord, reason: str, tx_hash: str | None
    ) -> PaidJob:
        await records.transition(
            self.engine,
            record.id,
            records.IN_FLIGHT,
            PaymentStatus.PENDING,
            self.clock.now(),
            error_reason=reason,
            tx_hash=tx_hash,
        )
        raise PaymentPendingError(
            "the payment was submitted but its settlement is not confirmed yet; do not sign a "
            "new payment: retry this same request later to get the job",
            payment_id=record.id,
            retry_after_s=self.retry_after_s,
        )

    async def _fail(
        self,
        record: PaymentRecord,
        reason: str,
        message: str | None,
        from_status: PaymentStatus = PaymentStatus.VERIFYING,
    ) -> None:
        await records.transition(
            self.engine,
            record.id,
            (from_status,),
            PaymentStatus.FAILED,
            self.clock.now(),
            error_reason=reason,
            error_message=message,
        )

    async def _await_existing(
        self, record: PaymentRecord, digest: str, kind: FulfilmentKind
    ) -> PaidJob:
        if record.payload_sha256 != digest:
            raise PaymentConflictError(
                "this authorization nonce or idempotency key already belongs to a different "
                f"payment ({record.id}); sign a new authorization",
                payment_id=record.id,
            )
        if record.kind != kind:
            raise PaymentConflictError(
                f"this authorization already paid for something else (kind {record.kind!r}, "
                f"payment {record.id}); sign a new authorization",
                payment_id=record.id,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.replay_wait_s
        delay = 0.01
        while True:
            if record.status is PaymentStatus.SETTLED:
                bought = await records.find_fulfilment_id(self.engine, record)
                if bought is None:
                    raise RuntimeError(f"settled payment {record.id} has no {record.kind}")
                settle = SettleResponse.model_validate(records.settle_json_of(record))
                return PaidJob(bought, record.id, settle, replayed=True, kind=kind)
            if record.status is PaymentStatus.FAILED:
                raise PaymentRequiredError(
                    _refusal_message(
                        record.error_reason or "invalid_payment", record.error_message
                    ),
                    reason=record.error_reason,
                )
            if record.status is PaymentStatus.PENDING or loop.time() >= deadline:
                raise PaymentPendingError(
                    "this payment is still being settled; retry the same request later",
                    payment_id=record.id,
                    retry_after_s=self.retry_after_s,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.2)
            record = await records.get(self.engine, record.id)


def _refusal_message(reason: str, detail: str | None) -> str:
    text = f"payment refused: {reason}"
    return f"{text} ({detail})" if detail else text
