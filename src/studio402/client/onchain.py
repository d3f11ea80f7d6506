"""Read a wallet's balances over JSON-RPC, and fund a wallet on a dev chain (anvil only)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from studio402.chain.abi import encode_call, to_hex
from studio402.chain.devchain import DevChainInfo, fund_eth, mint
from studio402.chain.rpc import JsonRpc
from studio402.client.errors import ClientError, WalletError
from studio402.client.money import usd
from studio402.errors import ChainError

__all__ = ["Balance", "fund_on_devchain", "read_balance"]


@dataclass(frozen=True)
class Balance:
    """A wallet's token and gas balances on one chain."""

    address: str
    network: str
    asset: str
    token_atomic: int
    eth_wei: int
    decimals: int = 6

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (atomic amounts as strings)."""
        return {
            "address": self.address,
            "network": self.network,
            "asset": self.asset,
            "balance": str(self.token_atomic),
            "usd": usd(self.token_atomic, self.decimals),
            "ethWei": str(self.eth_wei),
        }


def _read(rpc_url: str, address: str, asset: str) -> tuple[int, int, int]:
    data = to_hex(encode_call("balanceOf(address)", address))
    with JsonRpc(rpc_url) as rpc:
        chain_id = int(rpc.call("eth_chainId", []), 16)
        raw = rpc.call("eth_call", [{"to": asset, "data": data}, "latest"])
        eth = int(rpc.call("eth_getBalance", [address, "latest"]), 16)
    return chain_id, int(raw, 16) if raw not in ("0x", "") else 0, eth


async def read_balance(rpc_url: str, address: str, asset: str, decimals: int = 6) -> Balance:
    """``asset``'s ``balanceOf(address)`` and the ETH balance; :class:`ClientError` if the node
    cannot be reached."""
    address = to_checksum_address(address)
    try:
        chain_id, token, eth = await asyncio.to_thread(_read, rpc_url, address, asset)
    except ChainError as exc:
        raise ClientError(f"cannot read balances from {rpc_url}: {exc.message}") from exc
    return Balance(address, f"eip155:{chain_id}", asset, token, eth, decimals)


def _fund(info: DevChainInfo, to: str, amount_atomic: int, eth_wei: int | None) -> str:
    with JsonRpc(info.rpc_url) as rpc:
        client = str(rpc.call("web3_clientVersion", []))
    if not client.lower().startswith("anvil"):
        raise WalletError(f"refusing to fund on {client!r}: funding works on the dev chain only")
    tx_hash = mint(info, to, amount_atomic)
    if eth_wei is not None:
        fund_eth(info, to, eth_wei)
    return tx_hash


async def fund_on_devchain(
    info: DevChainInfo, to: str, amount_atomic: int, eth_wei: int | None = None
) -> str:
    """Mint ``amount_atomic`` of the dev token to ``to`` as the token's deployer (anvil only;
    a real chain refuses); optionally set its ETH balance. Returns the mint transaction hash."""
    to = to_checksum_address(to)
    try:
        return await asyncio.to_thread(_fund, info, to, amount_atomic, eth_wei)
    except ChainError as exc:
        raise ClientError(
            f"cannot fund on the dev chain at {info.rpc_url} ({exc.message}); "
            "is `studio402 serve` (or `studio402 chain`) running?"
        ) from exc
