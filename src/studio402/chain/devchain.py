"""Bring a local anvil chain to a usable state for one data directory.

``start_devchain`` spawns anvil, funds the dev accounts with ETH, deploys LocalUSDC (or reuses
the deployment recorded in a persisted state file), mints USDC to the payer, installs a minimal
Multicall3, and writes ``<data_dir>/devchain.json``. Keys live only in ``dev-keys.json``.

One data directory holds one chain. Run a second chain (e.g. chain id 8453 for interop tests)
from its own data directory: its token sits at our own, non-canonical deploy address.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address

from studio402.errors import ChainError, ConfigError

from ._tx import send_and_wait, wait_for_receipt
from .abi import encode_call, hex_to_bytes, to_hex
from .anvil import Anvil, find_anvil_binary
from .artifact import load_artifact
from .devkeys import DevKeys, load_or_create_dev_keys
from .rpc import JsonRpc

__all__ = [
    "DEVCHAIN_FILE",
    "MULTICALL3_ADDRESS",
    "DevChainInfo",
    "fund_eth",
    "load_devchain_info",
    "mint",
    "refuse_real_usdc_domain",
    "start_devchain",
]

DEVCHAIN_FILE = "devchain.json"
MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
USDC_NAME = "USD Coin"
USDC_VERSION = "2"
USDC_DECIMALS = 6
DEFAULT_PAYER_MINT_ATOMIC = 1_000_000_000
_ETH = 10**18
_ETH_BALANCES = {
    "deployer": 10 * _ETH,
    "payer": 1 * _ETH,
    "facilitator": 100 * _ETH,
    "pay_to": 1 * _ETH,
}
_REAL_USDC = {
    1: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
    8453: "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
    84532: "0x036cbd53842c5426634e7929541ec2318f3dcf7e",
}


@dataclass(frozen=True)
class DevChainInfo:
    """Public facts about a running dev chain, as written to ``devchain.json``."""

    rpc_url: str
    chain_id: int
    network: str
    token_address: str
    token_name: str
    token_version: str
    token_decimals: int
    payer_address: str
    pay_to_address: str
    facilitator_address: str
    deployer_address: str

    def to_json(self) -> str:
        """The JSON document stored in ``devchain.json``."""
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DevChainInfo:
        """Parse the ``devchain.json`` document; :class:`KeyError` on a missing field."""
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def refuse_real_usdc_domain(chain_id: int, token_address: str) -> None:
    """Raise :class:`ConfigError` if (chain id, token) equals a real USDC deployment.

    Such a dev token would share mainnet USDC's EIP-712 domain, so a dev signature would be a
    valid authorization on the real chain for the same key.
    """
    if _REAL_USDC.get(chain_id) == token_address.lower():
        raise ConfigError(
            f"refusing a dev token at real USDC address {token_address} on chain {chain_id}: "
            "its EIP-712 domain would equal the real token's"
        )


def load_devchain_info(data_dir: Path) -> DevChainInfo:
    """Read ``<data_dir>/devchain.json``; :class:`ConfigError` if missing or unreadable."""
    path = data_dir / DEVCHAIN_FILE
    try:
        info = DevChainInfo.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    refuse_real_usdc_domain(info.chain_id, info.token_address)
    return info


def _write_info(data_dir: Path, info: DevChainInfo) -> None:
    path = data_dir / DEVCHAIN_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(info.to_json(), encoding="utf-8")
    os.replace(tmp, path)


def _state_path(data_dir: Path, chain_id: int) -> Path:
    return data_dir / f"anvil-state-{chain_id}.json"


def fund_eth(info: DevChainInfo, address: str, amount_wei: int) -> None:
    """Set ``address``'s ETH balance to ``amount_wei`` (anvil_setBalance)."""
    with JsonRpc(info.rpc_url) as rpc:
        rpc.call("anvil_setBalance", [to_checksum_address(address), hex(amount_wei)])


def mint(info: DevChainInfo, to: str, amount: int) -> str:
    """Mint ``amount`` atomic USDC to ``to`` as the token owner; returns the transaction hash.

    Uses anvil's account impersonation, so it needs no key (dev chains only).
    """
    if amount <= 0:
        raise ValueError("mint amount must be positive")
    data = encode_call("mint(address,uint256)", to, amount)
    with JsonRpc(info.rpc_url) as rpc:
        rpc.call("anvil_impersonateAccount", [info.deployer_address])
        tx = {"from": info.deployer_address, "to": info.token_address, "data": to_hex(data)}
        tx_hash = str(rpc.call("eth_sendTransaction", [tx]))
        receipt = wait_for_receipt(rpc, tx_hash)
    if int(receipt["status"], 16) != 1:
        raise ChainError(f"mint reverted in {tx_hash}", tx_hash=tx_hash)
    return tx_hash


def _recorded_token(rpc: JsonRpc, data_dir: Path, chain_id: int) -> str | None:
    try:
        recorded = load_devchain_info(data_dir)
    except ConfigError:
        return None
    if recorded.chain_id != chain_id:
        return None
    code = hex_to_bytes(rpc.call("eth_getCode", [recorded.token_address, "latest"]))
    if len(code) != len(load_artifact("LocalUSDC").deployed_bytecode):
        return None
    return recorded.token_address


def _deploy_token(rpc: JsonRpc, keys: DevKeys, chain_id: int, payer_mint: int) -> str:
    deployer = Account.from_key(keys.deployer)
    receipt = send_and_wait(
        rpc, deployer, chain_id, to=None, data=load_artifact("LocalUSDC").bytecode
    )
    token = to_checksum_address(receipt["contractAddress"])
    refuse_real_usdc_domain(chain_id, token)
    if payer_mint > 0:
        data = encode_call("mint(address,uint256)", keys.address("payer"), payer_mint)
        send_and_wait(rpc, deployer, chain_id, to=token, data=data)
    return token


def _prepare_chain(
    rpc: JsonRpc, keys: DevKeys, data_dir: Path, chain_id: int, payer_mint: int
) -> str:
    for role, balance in _ETH_BALANCES.items():
        rpc.call("anvil_setBalance", [keys.address(role), hex(balance)])
    if not hex_to_bytes(rpc.call("eth_getCode", [MULTICALL3_ADDRESS, "latest"])):
        runtime = load_artifact("MiniMulticall3").deployed_bytecode
        rpc.call("anvil_setCode", [MULTICALL3_ADDRESS, to_hex(runtime)])
    token = _recorded_token(rpc, data_dir, chain_id)
    return token or _deploy_token(rpc, keys, chain_id, payer_mint)


def start_devchain(
    data_dir: Path,
    *,
    port: int | None = None,
    chain_id: int = 31337,
    persist_state: bool = True,
    anvil_binary: Path | None = None,
    payer_mint_atomic: int = DEFAULT_PAYER_MINT_ATOMIC,
    anvil_args: tuple[str, ...] = (),
) -> tuple[Anvil, DevChainInfo]:
    """Start anvil for ``data_dir`` and return it (running; the caller stops it) with its info.

    With ``persist_state`` the chain lives in ``<data_dir>/anvil-state-<chain id>.json`` and a
    restart reuses the recorded token and balances; otherwise every start is a fresh chain.
    ``payer_mint_atomic`` USDC is minted to the payer when the token is deployed; ``anvil_args``
    are passed through (e.g. ``("--block-time", "0.1")`` for interval mining).
    Raises :class:`ConfigError` (no anvil binary) or :class:`ChainError`.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = load_or_create_dev_keys(data_dir)
    state_path = _state_path(data_dir, chain_id) if persist_state else None
    anvil = Anvil(
        find_anvil_binary(anvil_binary),
        chain_id=chain_id,
        port=port,
        state_path=state_path,
        extra_args=anvil_args,
    )
    anvil.start()
    try:
        with JsonRpc(anvil.rpc_url) as rpc:
            token = _prepare_chain(rpc, keys, data_dir, chain_id, payer_mint_atomic)
        info = DevChainInfo(
            rpc_url=anvil.rpc_url,
            chain_id=chain_id,
            network=f"eip155:{chain_id}",
            token_address=token,
            token_name=USDC_NAME,
            token_version=USDC_VERSION,
            token_decimals=USDC_DECIMALS,
            payer_address=keys.address("payer"),
            pay_to_address=keys.address("pay_to"),
            facilitator_address=keys.address("facilitator"),
            deployer_address=keys.address("deployer"),
        )
        _write_info(data_dir, info)
    except BaseException:
        anvil.stop()
        raise
    return anvil, info
