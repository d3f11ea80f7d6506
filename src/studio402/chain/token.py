"""Read-only EIP-3009 token lookups for payment reconciliation (async, any JSON-RPC node).

:class:`TokenReader` satisfies ``studio402.payments.reconciler.ChainReader``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from eth_utils.crypto import keccak

from .abi import encode_call, hex_to_bytes, to_hex, topic_for_address
from .rpc import AsyncJsonRpc

__all__ = [
    "AUTHORIZATION_USED_TOPIC",
    "TRANSFER_TOPIC",
    "Receipt",
    "TokenReader",
    "parse_receipt",
    "receipt_has_transfer",
]

TRANSFER_TOPIC = to_hex(keccak(text="Transfer(address,address,uint256)"))
AUTHORIZATION_USED_TOPIC = to_hex(keccak(text="AuthorizationUsed(address,bytes32)"))


@dataclass(frozen=True)
class Receipt:
    """The parts of a transaction receipt we use."""

    tx_hash: str
    status: int
    """1 = success, 0 = reverted."""
    block_number: int
    logs: list[dict[str, Any]] = field(default_factory=list)


def parse_receipt(raw: dict[str, Any]) -> Receipt:
    """Build a :class:`Receipt` from an ``eth_getTransactionReceipt`` result."""
    return Receipt(
        tx_hash=str(raw["transactionHash"]),
        status=int(raw["status"], 16),
        block_number=int(raw["blockNumber"], 16),
        logs=list(raw.get("logs") or []),
    )


def _nonce_hex(nonce: str | bytes) -> str:
    raw = nonce if isinstance(nonce, bytes) else hex_to_bytes(nonce)
    if len(raw) != 32:
        raise ValueError(f"an EIP-3009 nonce is 32 bytes, got {len(raw)}")
    return to_hex(raw)


def receipt_has_transfer(receipt: Receipt, token: str, sender: str, to: str, value: int) -> bool:
    """True if ``receipt`` holds ``token``'s ERC-20 ``Transfer(sender, to, value)`` log."""
    expected = [TRANSFER_TOPIC, topic_for_address(sender), topic_for_address(to)]
    for log in receipt.logs:
        if str(log.get("address", "")).lower() != token.lower():
            continue
        topics = [str(t).lower() for t in log.get("topics", [])]
        data = str(log.get("data", "0x")).removeprefix("0x")
        if topics == expected and len(data) == 64 and int(data, 16) == value:
            return True
    return False


class TokenReader:
    """Chain lookups about EIP-3009 authorizations: state, the tx that used one, receipts.

    ``rpc`` is a URL (a client is made on ``client``, or a private one) or an
    :class:`AsyncJsonRpc` to share. ``from_block`` bounds log searches: nodes that limit
    ``eth_getLogs`` ranges need a recent block number rather than ``"earliest"``.
    """

    def __init__(
        self,
        rpc: AsyncJsonRpc | str,
        client: httpx.AsyncClient | None = None,
        *,
        from_block: int | str = "earliest",
    ) -> None:
        self._owns_rpc = isinstance(rpc, str)
        self._rpc = AsyncJsonRpc(rpc, client) if isinstance(rpc, str) else rpc
        self.from_block = from_block

    async def _call(self, token: str, data: bytes) -> bytes:
        result = await self._rpc.call("eth_call", [{"to": token, "data": to_hex(data)}, "latest"])
        return hex_to_bytes(str(result))

    async def balance_of(self, token: str, account: str) -> int:
        """``token.balanceOf(account)`` in atomic units."""
        return int.from_bytes(await self._call(token, encode_call("balanceOf(address)", account)))

    async def authorization_state(self, token: str, authorizer: str, nonce: str | bytes) -> bool:
        """True if ``authorizer``'s EIP-3009 ``nonce`` was used or cancelled."""
        data = encode_call(
            "authorizationState(address,bytes32)", authorizer, hex_to_bytes(_nonce_hex(nonce))
        )
        return int.from_bytes(await self._call(token, data)) != 0

    async def find_authorization_tx(
        self,
        token: str,
        authorizer: str,
        nonce: str | bytes,
        *,
        from_block: int | str | None = None,
    ) -> str | None:
        """Hash of the transaction that emitted ``AuthorizationUsed(authorizer, nonce)``, if any.

        A cancelled authorization emits ``AuthorizationCanceled`` instead and is not found here.
        """
        start = self.from_block if from_block is None else from_block
        query = {
            "address": token,
            "fromBlock": start if isinstance(start, str) else hex(start),
            "toBlock": "latest",
            "topics": [AUTHORIZATION_USED_TOPIC, topic_for_address(authorizer), _nonce_hex(nonce)],
        }
        logs = await self._rpc.call("eth_getLogs", [query])
        for log in logs or []:
            if not log.get("removed"):
                return str(log["transactionHash"])
        return None

    async def get_receipt(self, tx_hash: str) -> Receipt | None:
        """The mined receipt of ``tx_hash``, or ``None`` while it is not mined."""
        raw = await self._rpc.call("eth_getTransactionReceipt", [tx_hash])
        return parse_receipt(raw) if raw else None

    async def is_known(self, tx_hash: str) -> bool:
        """True if the node knows ``tx_hash`` (mined or waiting in its mempool)."""
        return await self._rpc.call("eth_getTransactionByHash", [tx_hash]) is not None

    async def transfer_succeeded(
        self, tx_hash: str, token: str, payer: str, pay_to: str, amount: int
    ) -> bool | None:
        """Whether mined ``tx_hash`` moved ``amount`` of ``token`` from ``payer`` to ``pay_to``.

        ``None`` while the transaction waits in the mempool; ``False`` when it reverted, moved
        something else, or is unknown to the node (dropped, or never received).
        """
        receipt = await self.get_receipt(tx_hash)
        if receipt is None:
            return None if await self.is_known(tx_hash) else False
        return receipt.status == 1 and receipt_has_transfer(receipt, token, payer, pay_to, amount)

    async def aclose(self) -> None:
        """Close the RPC client if this reader created it."""
        if self._owns_rpc:
            await self._rpc.aclose()
