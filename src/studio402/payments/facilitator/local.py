"""In-process x402 facilitator for ``exact`` EIP-3009 payments on one EVM chain.

Verification is the official SDK's (``ExactEvmFacilitatorScheme.verify``), run in worker
threads against our JSON-RPC signer so the event loop never blocks. Settlement is our own async
code: re-verify with an ``eth_call`` simulation (a refusal broadcasts nothing), send through a
nonce-safe sender, then await the receipt concurrently with other settlements.

One instance per (chain, gas key) and per process: the nonce is managed in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import httpx
from eth_account import Account
from x402.mechanisms.evm.constants import (
    ERR_SETTLEMENT_PENDING,
    ERR_TRANSACTION_FAILED,
    ERR_TRANSFER_EVENT_MISMATCH,
)
from x402.mechanisms.evm.exact import ExactEvmFacilitatorScheme
from x402.mechanisms.evm.exact.eip3009_utils import parse_eip3009_transfer_error
from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SettleResponse,
    SupportedKind,
    SupportedResponse,
    VerifyResponse,
)

from studio402.chain.abi import to_hex
from studio402.chain.rpc import AsyncJsonRpc, JsonRpc, is_revert, revert_data, revert_reason
from studio402.chain.token import Receipt, TokenReader, receipt_has_transfer
from studio402.errors import ChainError, ConfigError

from ._authorization import (
    Authorization,
    AuthorizationKey,
    parse_authorization,
    transfer_calldata,
)
from ._rpc_signer import RpcFacilitatorSigner
from ._sender import SendStatus, TransactionSender
from ._verify import run_sdk_verify

__all__ = ["LocalFacilitator"]

logger = logging.getLogger(__name__)

_MAX_REMEMBERED_PENDING = 10_000
_REVERIFY_AFTER_S = 30.0
_ERROR_MESSAGE_LIMIT = 500


class LocalFacilitator:
    """Verifies and settles x402 v2 ``exact`` payments on ``eip155:<chain_id>`` via ``rpc_url``.

    ``private_key`` is the gas wallet that submits ``transferWithAuthorization``; it needs ETH
    only. ``client`` is an optional shared ``httpx.AsyncClient`` (kept open by :meth:`aclose`).
    A settlement whose receipt does not arrive within ``receipt_timeout_s`` is reported as
    ``settlement_pending`` with its transaction hash. Reads are coalesced into JSON-RPC batches
    with at most ``rpc_max_inflight`` requests open (1 suits a local node; raise it for a
    distant one); sends use their own lane. ``verify_workers`` threads run the SDK's checks.
    """

    def __init__(
        self,
        *,
        rpc_url: str,
        chain_id: int,
        private_key: str,
        client: httpx.AsyncClient | None = None,
        receipt_timeout_s: float = 30.0,
        gas_limit: int = 250_000,
        verify_workers: int = 16,
        rpc_timeout_s: float = 10.0,
        rpc_max_inflight: int = 1,
    ) -> None:
        account = Account.from_key(private_key)
        self.chain_id = chain_id
        self.network = f"eip155:{chain_id}"
        self.address = str(account.address)
        self.receipt_timeout_s = receipt_timeout_s
        self._owns_http = client is None
        self._http = client or httpx.AsyncClient(timeout=rpc_timeout_s)
        self._rpc = AsyncJsonRpc(
            rpc_url, self._http, timeout_s=rpc_timeout_s, max_inflight=rpc_max_inflight
        )
        # Sends hold the nonce lock: give them their own lane so they never queue behind reads.
        send_rpc = AsyncJsonRpc(
            rpc_url, self._http, timeout_s=rpc_timeout_s, max_batch=1, max_inflight=1
        )
        self._read_rpc = JsonRpc(rpc_url, timeout_s=rpc_timeout_s, max_connections=verify_workers)
        self._signer = RpcFacilitatorSigner(self._read_rpc.call, chain_id, self.address)
        self._scheme = ExactEvmFacilitatorScheme(self._signer)
        self._executor = ThreadPoolExecutor(verify_workers, thread_name_prefix="x402-verify")
        self.sender = TransactionSender(
            self._rpc, account, chain_id, gas_limit=gas_limit, send_rpc=send_rpc
        )
        self.reader = TokenReader(self._rpc)
        self._inflight: dict[AuthorizationKey, asyncio.Task[SettleResponse]] = {}
        self._pending: OrderedDict[AuthorizationKey, str] = OrderedDict()
        self._verified: OrderedDict[AuthorizationKey, float] = OrderedDict()
        self._chain_checked = False

    async def supported(self) -> SupportedResponse:
        """x402 v2 ``exact`` on this network, signed by the gas address."""
        return SupportedResponse(
            kinds=[SupportedKind(x402_version=2, scheme="exact", network=self.network)],
            signers={"eip155:*": [self.address]},
        )

    async def verify(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> VerifyResponse:
        """The SDK's checks plus an ``eth_call`` simulation; no money moves.

        Raises :class:`studio402.errors.ChainError` when the node could not be asked, and
        :class:`studio402.errors.ConfigError` when it serves another chain.
        """
        await self._check_chain()
        verdict = await run_sdk_verify(
            self._scheme,
            self._signer,
            self._rpc,
            self._executor,
            self.network,
            payload,
            requirements,
        )
        if verdict.is_valid:
            self._remember_verified(payload, requirements)
        return verdict

    def _remember_verified(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> None:
        try:
            key = parse_authorization(payload, requirements).key
        except (KeyError, TypeError, ValueError):
            return
        self._verified[key] = asyncio.get_running_loop().time()
        while len(self._verified) > _MAX_REMEMBERED_PENDING:
            self._verified.popitem(last=False)

    def _recently_verified(self, auth: Authorization) -> bool:
        verified_at = self._verified.pop(auth.key, None)
        now = asyncio.get_running_loop().time()
        return verified_at is not None and now - verified_at < _REVERIFY_AFTER_S

    async def _simulate(self, auth: Authorization) -> str | None:
        """The revert reason of ``transferWithAuthorization`` now, or ``None`` if it passes."""
        call = {"from": self.address, "to": auth.token, "data": to_hex(transfer_calldata(auth))}
        try:
            await self._rpc.call("eth_call", [call, "latest"])
        except ChainError as exc:
            if not is_revert(exc):
                raise
            return parse_eip3009_transfer_error(
                Exception(revert_reason(revert_data(exc)) or exc.message)
            )
        return None

    async def _check_chain(self) -> None:
        if self._chain_checked:
            return
        reported = int(await self._rpc.call("eth_chainId"), 16)
        if reported != self.chain_id:
            raise ConfigError(
                f"the node at the RPC URL serves chain {reported}, not {self.chain_id}"
            )
        self._chain_checked = True

    async def settle(
        self, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        """Verify, broadcast ``transferWithAuthorization`` and await its receipt.

        Concurrent calls for the same authorization share one settlement, which runs to its end
        even if the caller is cancelled. A retry after ``settlement_pending`` re-awaits the
        transaction already sent instead of sending again.
        """
        try:
            auth = parse_authorization(payload, requirements)
        except (KeyError, TypeError, ValueError) as exc:
            return self._failed("invalid_payload", "", None, f"unreadable authorization: {exc}")
        task = self._inflight.get(auth.key)
        if task is None:
            task = asyncio.create_task(self._settle_once(auth, payload, requirements))
            self._inflight[auth.key] = task
            task.add_done_callback(partial(self._forget, auth.key))
        return await asyncio.shield(task)

    def _forget(self, key: AuthorizationKey, task: asyncio.Task[SettleResponse]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            logger.debug("settlement task failed", exc_info=task.exception())

    async def _settle_once(
        self, auth: Authorization, payload: PaymentPayload, requirements: PaymentRequirements
    ) -> SettleResponse:
        earlier = self._pending.pop(auth.key, None)
        if earlier is not None:
            resumed = await self._resume(auth, earlier)
            if resumed is not None:
                return resumed
        if self._recently_verified(auth):
            # Verified moments ago by the same process: only re-run the simulation, which is
            # what protects against broadcasting a transfer that would revert.
            revert = await self._simulate(auth)
            if revert is not None:
                return self._failed(revert, "", auth.payer, "simulation reverted")
        else:
            verdict = await self.verify(payload, requirements)
            if not verdict.is_valid:
                reason = verdict.invalid_reason or ERR_TRANSACTION_FAILED
                return self._failed(reason, "", auth.payer, verdict.invalid_message)
        outcome = await self.sender.send(auth.token, transfer_calldata(auth))
        if outcome.status is SendStatus.REJECTED:
            logger.warning("settlement transaction refused by the node: %s", outcome.error)
            reason = parse_eip3009_transfer_error(Exception(outcome.error))
            return self._failed(reason, "", auth.payer, outcome.error)
        if outcome.status is SendStatus.UNKNOWN:
            return self._remember_pending(auth, outcome.tx_hash, outcome.error)
        return await self._await_settlement(auth, outcome.tx_hash)

    async def _resume(self, auth: Authorization, tx_hash: str) -> SettleResponse | None:
        """Re-await a transaction sent by an earlier ``settlement_pending`` attempt.

        ``None`` means it reverted or the node never got it: settle from scratch.
        """
        receipt = await self.sender.wait_for_receipt(tx_hash, self.receipt_timeout_s)
        if receipt is None:
            if not await self.reader.is_known(tx_hash):
                return None
            return self._remember_pending(auth, tx_hash, "receipt not seen yet")
        if receipt.status != 1:
            return None
        return self._judge_receipt(auth, receipt)

    async def _await_settlement(self, auth: Authorization, tx_hash: str) -> SettleResponse:
        receipt = await self.sender.wait_for_receipt(tx_hash, self.receipt_timeout_s)
        if receipt is None:
            return self._remember_pending(
                auth, tx_hash, f"no receipt within {self.receipt_timeout_s}s"
            )
        return self._judge_receipt(auth, receipt)

    def _judge_receipt(self, auth: Authorization, receipt: Receipt) -> SettleResponse:
        if receipt.status != 1:
            return self._failed(ERR_TRANSACTION_FAILED, receipt.tx_hash, auth.payer, "reverted")
        if not receipt_has_transfer(receipt, auth.token, auth.payer, auth.pay_to, auth.value):
            return self._failed(ERR_TRANSFER_EVENT_MISMATCH, receipt.tx_hash, auth.payer, None)
        return SettleResponse(
            success=True,
            transaction=receipt.tx_hash,
            network=self.network,
            payer=auth.payer,
            amount=str(auth.value),
        )

    def _remember_pending(self, auth: Authorization, tx_hash: str, why: str) -> SettleResponse:
        self._pending[auth.key] = tx_hash
        while len(self._pending) > _MAX_REMEMBERED_PENDING:
            self._pending.popitem(last=False)
        return self._failed(ERR_SETTLEMENT_PENDING, tx_hash, auth.payer, why)

    def _failed(
        self, reason: str, tx_hash: str, payer: str | None, message: str | None
    ) -> SettleResponse:
        return SettleResponse(
            success=False,
            error_reason=reason,
            error_message=message[:_ERROR_MESSAGE_LIMIT] if message else None,
            transaction=tx_hash,
            network=self.network,
            payer=payer,
        )

    async def aclose(self) -> None:
        """Let running settlements finish (up to the receipt timeout), then stop the verify
        threads and close the RPC clients (a shared client stays open)."""
        running = list(self._inflight.values())
        if running:
            await asyncio.wait(running, timeout=self.receipt_timeout_s)
            for task in running:
                task.cancel()
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        self._read_rpc.close()
        await self._rpc.aclose()
        if self._owns_http:
            await self._http.aclose()
