"""Run the SDK's synchronous ``exact`` verification in a worker thread, with outage detection."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor

from x402.mechanisms.evm.constants import ERR_NETWORK_MISMATCH
from x402.mechanisms.evm.exact import ExactEvmFacilitatorScheme
from x402.mechanisms.evm.types import is_permit2_payload
from x402.schemas import PaymentPayload, PaymentRequirements, VerifyResponse

from studio402.errors import ChainError

from ._rpc_signer import RpcFacilitatorSigner

_X402_VERSION = 2


def _payer(payload: PaymentPayload) -> str | None:
    auth = payload.payload.get("authorization")
    payer = auth.get("from") if isinstance(auth, dict) else None
    return str(payer) if payer else None


def _refusal(payload: PaymentPayload, reason: str, message: str) -> VerifyResponse:
    return VerifyResponse(
        is_valid=False, invalid_reason=reason, invalid_message=message, payer=_payer(payload)
    )


def _precheck(
    network: str, payload: PaymentPayload, requirements: PaymentRequirements
) -> VerifyResponse | None:
    if payload.x402_version != _X402_VERSION:
        return _refusal(payload, "invalid_x402_version", "only x402 version 2 is supported")
    if str(requirements.network) != network:
        return _refusal(payload, ERR_NETWORK_MISMATCH, f"this facilitator settles on {network}")
    if is_permit2_payload(payload.payload) or not isinstance(
        payload.payload.get("authorization"), dict
    ):
        return _refusal(payload, "invalid_payload", "only EIP-3009 authorizations are supported")
    return None


def _verify_in_thread(
    scheme: ExactEvmFacilitatorScheme,
    signer: RpcFacilitatorSigner,
    payload: PaymentPayload,
    requirements: PaymentRequirements,
) -> VerifyResponse:
    signer.start_tracking()
    try:
        result = scheme.verify(payload, requirements)
    except Exception as exc:  # the SDK raises on RPC failures and odd payloads alike
        failures = signer.take_failures()
        if failures:
            raise ChainError(f"verification needs the node: {failures[0].message}") from exc
        return _refusal(payload, "invalid_payload", f"{type(exc).__name__}: {exc}"[:500])
    failures = signer.take_failures()
    if failures and not result.is_valid:
        raise ChainError(f"verification needs the node: {failures[0].message}")
    return result


async def run_sdk_verify(
    scheme: ExactEvmFacilitatorScheme,
    signer: RpcFacilitatorSigner,
    executor: Executor,
    network: str,
    payload: PaymentPayload,
    requirements: PaymentRequirements,
) -> VerifyResponse:
    """Verify ``payload`` against ``requirements`` with the SDK, off the event loop.

    A refusal comes back with the SDK's reason; if the node failed during the check (which the
    SDK would report as a payment problem), :class:`ChainError` is raised instead.
    """
    refusal = _precheck(network, payload, requirements)
    if refusal is not None:
        return refusal
    signer.note_asset(requirements.asset)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        executor, _verify_in_thread, scheme, signer, payload, requirements
    )
