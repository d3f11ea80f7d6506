"""Blocking send-and-wait of a signed transaction, for dev-chain setup (deploy, mint)."""

from __future__ import annotations

import time
from typing import Any

from eth_account.signers.local import LocalAccount

from studio402.errors import ChainError

from .abi import to_hex
from .rpc import JsonRpc

_GAS_HEADROOM = 1.25


def wait_for_receipt(rpc: JsonRpc, tx_hash: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """Poll ``eth_getTransactionReceipt`` until mined; :class:`ChainError` on timeout."""
    deadline = time.monotonic() + timeout_s
    delay = 0.002
    while True:
        receipt = rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return dict(receipt)
        if time.monotonic() > deadline:
            raise ChainError(f"no receipt for {tx_hash} within {timeout_s}s", tx_hash=tx_hash)
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def send_and_wait(
    rpc: JsonRpc,
    account: LocalAccount,
    chain_id: int,
    *,
    to: str | None,
    data: bytes,
    timeout_s: float = 10.0,
) -> dict[str, Any]:
    """Sign an EIP-1559 transaction from ``account``, send it and return its successful receipt.

    ``to=None`` deploys ``data`` as creation code. Raises :class:`ChainError` if it reverts.
    """
    call: dict[str, Any] = {"from": account.address, "data": to_hex(data)}
    if to is not None:
        call["to"] = to
    gas = int(int(rpc.call("eth_estimateGas", [call]), 16) * _GAS_HEADROOM)
    base_fee = int(rpc.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
    tip = int(rpc.call("eth_maxPriorityFeePerGas"), 16)
    tx: dict[str, Any] = {
        "type": 2,
        "chainId": chain_id,
        "nonce": int(rpc.call("eth_getTransactionCount", [account.address, "pending"]), 16),
        "gas": gas,
        "maxFeePerGas": 2 * base_fee + tip,
        "maxPriorityFeePerGas": tip,
        "value": 0,
        "data": data,
    }
    if to is not None:
        tx["to"] = to
    signed = account.sign_transaction(tx)
    tx_hash = rpc.call("eth_sendRawTransaction", [to_hex(bytes(signed.raw_transaction))])
    receipt = wait_for_receipt(rpc, tx_hash, timeout_s)
    if int(receipt["status"], 16) != 1:
        raise ChainError(f"transaction {tx_hash} reverted", tx_hash=tx_hash)
    return receipt
