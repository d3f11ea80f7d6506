"""Nonce-safe transaction sending for one hot wallet, and asynchronous receipt waits.

Sends are serialised under an asyncio lock (sign + ``eth_sendRawTransaction`` only), so nonces
are allocated in order; receipts are awaited outside the lock, concurrently. A nonce is consumed
only when the node accepted the transaction: a rejected send leaves no gap. When the outcome of
a send is unknown (transport failure) or the node says our nonce is wrong, the next send
re-reads ``eth_getTransactionCount(pending)``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eth_account.signers.local import LocalAccount

from studio402.chain.abi import hex_to_bytes, to_hex
from studio402.chain.rpc import AsyncJsonRpc, is_transport_error
from studio402.chain.token import Receipt, parse_receipt
from studio402.errors import ChainError

from ._txsign import TxSigner, UnsignedTx

logger = logging.getLogger(__name__)

_NONCE_ERRORS = ("nonce too low", "nonce too high", "replacement transaction underpriced")
_ALREADY_KNOWN = ("already known", "known transaction", "already imported")
_FEE_ERRORS = ("less than block base fee", "fee cap", "underpriced", "feecap")
_SEND_ATTEMPTS = 3
_POLL_DELAYS_S = (0.0, 0.005, 0.01)
_POLL_MAX_DELAY_S = 0.02


class SendStatus(StrEnum):
    """How a send ended."""

    SENT = "sent"
    """The node accepted the transaction; its nonce is consumed."""
    REJECTED = "rejected"
    """The node refused it; nothing was broadcast and the nonce is reused."""
    UNKNOWN = "unknown"
    """The node may or may not have it (transport failure); ``tx_hash`` is what we signed."""


@dataclass(frozen=True)
class SendOutcome:
    """Result of :meth:`TransactionSender.send`."""

    status: SendStatus
    tx_hash: str = ""
    error: str = ""
    nonce: int | None = None


@dataclass(frozen=True)
class _Fees:
    max_fee: int
    tip: int
    legacy: bool


class TransactionSender:
    """Signs and sends transactions from ``account``; safe for many concurrent callers."""

    def __init__(
        self,
        rpc: AsyncJsonRpc,
        account: LocalAccount,
        chain_id: int,
        *,
        gas_limit: int = 250_000,
        fee_ttl_s: float = 1.0,
        send_rpc: AsyncJsonRpc | None = None,
    ) -> None:
        self._rpc = rpc
        self._send_rpc = send_rpc or rpc
        self._signer = TxSigner(bytes(account.key))
        self.address = str(account.address)
        self.chain_id = chain_id
        self.gas_limit = gas_limit
        self._fee_ttl_s = fee_ttl_s
        self._send_lock = asyncio.Lock()
        self._fee_lock = asyncio.Lock()
        self._next_nonce: int | None = None
        self._fees: _Fees | None = None
        self._fees_at = 0.0

    async def pending_nonce(self) -> int:
        """The node's pending transaction count for the gas wallet."""
        count = await self._send_rpc.call("eth_getTransactionCount", [self.address, "pending"])
        return int(count, 16)

    async def _current_fees(self, refresh: bool = False) -> _Fees:
        loop = asyncio.get_running_loop()
        async with self._fee_lock:
            if refresh or self._fees is None or loop.time() - self._fees_at > self._fee_ttl_s:
                self._fees = await self._fetch_fees()
                self._fees_at = loop.time()
            return self._fees

    async def _fetch_fees(self) -> _Fees:
        block = await self._rpc.call("eth_getBlockByNumber", ["latest", False])
        base_fee = block.get("baseFeePerGas") if isinstance(block, dict) else None
        if base_fee is None:
            price = int(await self._rpc.call("eth_gasPrice"), 16)
            return _Fees(max_fee=price, tip=0, legacy=True)
        try:
            tip = int(await self._rpc.call("eth_maxPriorityFeePerGas"), 16)
        except ChainError as exc:
            if is_transport_error(exc):
                raise
            tip = 0
        return _Fees(max_fee=2 * int(base_fee, 16) + tip, tip=tip, legacy=False)

    def _sign(self, to: str, data: bytes, nonce: int, fees: _Fees) -> tuple[str, str]:
        tx = UnsignedTx(
            chain_id=self.chain_id,
            nonce=nonce,
            gas=self.gas_limit,
            to=hex_to_bytes(to),
            data=data,
            max_fee=fees.max_fee,
            max_priority_fee=None if fees.legacy else fees.tip,
        )
        raw, tx_hash = self._signer.sign(tx)
        return to_hex(raw), to_hex(tx_hash)

    async def _send_raw(self, raw_tx: str) -> Any:
        """The single ``eth_sendRawTransaction`` seam (tests replace it to inject failures)."""
        return await self._send_rpc.call("eth_sendRawTransaction", [raw_tx])

    async def send(self, to: str, data: bytes) -> SendOutcome:
        """Sign and broadcast a call to ``to``; see :class:`SendStatus` for the outcomes.

        Raises :class:`ChainError` only if fees or the nonce could not be read (nothing sent).
        """
        fees = await self._current_fees()
        async with self._send_lock:
            error = ""
            for _ in range(_SEND_ATTEMPTS):
                if self._next_nonce is None:
                    self._next_nonce = await self.pending_nonce()
                nonce = self._next_nonce
                raw_tx, tx_hash = self._sign(to, data, nonce, fees)
                try:
                    await self._send_raw(raw_tx)
                except ChainError as exc:
                    error = exc.message
                    lowered = error.lower()
                    if is_transport_error(exc):
                        self._next_nonce = None
                        return SendOutcome(SendStatus.UNKNOWN, tx_hash, error, nonce)
                    if any(text in lowered for text in _ALREADY_KNOWN):
                        self._next_nonce = nonce + 1
                        return SendOutcome(SendStatus.SENT, tx_hash, "", nonce)
                    if any(text in lowered for text in _NONCE_ERRORS):
                        logger.warning("gas wallet nonce %d refused (%s); resyncing", nonce, error)
                        self._next_nonce = None
                        continue
                    if any(text in lowered for text in _FEE_ERRORS):
                        fees = await self._current_fees(refresh=True)
                        continue
                    return SendOutcome(SendStatus.REJECTED, "", error, None)
                self._next_nonce = nonce + 1
                return SendOutcome(SendStatus.SENT, tx_hash, "", nonce)
            return SendOutcome(SendStatus.REJECTED, "", error, None)

    async def wait_for_receipt(self, tx_hash: str, timeout_s: float) -> Receipt | None:
        """Poll for the receipt (0, 5, 10, then every 20 ms); ``None`` after ``timeout_s``.

        Failed polls (transport errors, unreadable receipts) are retried until the deadline.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        attempt = 0
        while True:
            delay = _POLL_DELAYS_S[attempt] if attempt < len(_POLL_DELAYS_S) else _POLL_MAX_DELAY_S
            attempt += 1
            if delay:
                await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
            try:
                raw = await self._rpc.call("eth_getTransactionReceipt", [tx_hash])
                if raw:
                    return parse_receipt(raw)
            except (ChainError, KeyError, TypeError, ValueError) as exc:
                logger.warning("receipt poll for %s failed: %s", tx_hash, exc)
            if loop.time() >= deadline:
                return None
