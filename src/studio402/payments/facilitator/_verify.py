"""Run the SDK's synchronous ``exact`` verification in a worker thread, with outage detection.

The two reads the SDK makes for a plain EOA payment (``eth_getCode(payer)`` and the
``transferWithAuthorization`` simulation) are fetched first through the batched async client;
the SDK then finds them in the signer's per-call cache, so the worker thread does no I/O in the
common case. Any other read (smart wallets, diagnostics) goes to the node from the thread.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Any

from x402.mechanisms.evm.constants import ERR_NETWORK_MISMATCH
from x402.mechanisms.evm.exact import ExactEvmFacilitatorScheme
from x402.mechanisms.evm.types import is_permit2_payload
from x402.schemas import PaymentPayload, PaymentRequirements, VerifyResponse

from studio402.chain.abi import to_hex
from studio402.chain.rpc import AsyncJsonRpc, is_revert
from studio402.errors import ChainError

from ._authorization import parse_authorization, transfer_calldata
from ._rpc_signer import RpcFacilitatorSigner, call_key

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


async def _prefetch(
    rpc: AsyncJsonRpc,
    signer: RpcFacilitatorSigner,
    payload: PaymentPayload,
    requirements: PaymentRequirements,
) -> dict[str, Any]:
    try:
        auth = parse_authorization(payload, requirements)
    except (KeyError, TypeError, ValueError):
        return {}  # the SDK reports what is wrong with it
    calls: list[tuple[str, list[Any]]] = [("eth_getCode", [auth.payer, "latest"])]
    if len(auth.signature) == 65:
        call = {"from": signer.address, "to": auth.token, "data": to_hex(transfer_calldata(auth))}
        calls.append(("eth_call", [call, "latest"]))
    answers = await asyncio.gather(
        *(rpc.call(method, params) for method, params in calls), return_exceptions=True
    )
    prefetched: dict[str, Any] = {}
    for (method, params), answer in zip(calls, answers, strict=True):
        if isinstance(answer, ChainError) and not is_revert(answer):
            raise answer
        if isinstance(answer, BaseException) and not isinstance(answer, ChainError):
            raise answer
        prefetched[call_key(method, params)] = answer
    return prefetched


def _verify_in_thread(
    scheme: ExactEvmFacilitatorScheme,
    signer: RpcFacilitatorSigner,
    payload: PaymentPayload,
    requirements: PaymentRequirements,
    prefetched: dict[str, Any],
) -> VerifyResponse:
    signer.start_tracking(prefetched)
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
    rpc: AsyncJsonRpc,
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
    prefetched = await _prefetch(rpc, signer, payload, requirements)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        executor, _verify_in_thread, scheme, signer, payload, requirements, prefetched
    )
