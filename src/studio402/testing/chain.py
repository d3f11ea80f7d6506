"""A real local chain for tests: a fresh anvil devchain in a temporary directory.

    with running_devchain() as chain:
        facilitator = LocalFacilitator(rpc_url=chain.info.rpc_url, chain_id=chain.info.chain_id,
                                       private_key=chain.keys.facilitator)

pytest suites skip when :func:`anvil_unavailable_reason` returns a reason.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account

from studio402.chain.anvil import Anvil, anvil_binary_from_environ, find_anvil_binary
from studio402.chain.devchain import DevChainInfo, start_devchain
from studio402.chain.devkeys import DevKeys, load_dev_keys
from studio402.chain.rpc import JsonRpc
from studio402.errors import ConfigError

__all__ = [
    "RunningDevChain",
    "anvil_unavailable_reason",
    "running_devchain",
    "sign_transfer_authorization",
    "transfer_authorization_typed_data",
]


@dataclass
class RunningDevChain:
    """A started devchain: the anvil process, its public info, the dev keys and data dir."""

    anvil: Anvil
    info: DevChainInfo
    keys: DevKeys
    data_dir: Path

    def rpc(self) -> JsonRpc:
        """A new blocking JSON-RPC client for this chain (close it when done)."""
        return JsonRpc(self.info.rpc_url)


def anvil_unavailable_reason(anvil_binary: Path | None = None) -> str | None:
    """Why no devchain can start here (no anvil binary), or ``None`` if one can."""
    try:
        find_anvil_binary(anvil_binary or anvil_binary_from_environ())
    except ConfigError as exc:
        return exc.message
    return None


@contextmanager
def running_devchain(
    data_dir: Path | None = None,
    *,
    chain_id: int = 31337,
    persist_state: bool = False,
    anvil_binary: Path | None = None,
    anvil_args: tuple[str, ...] = (),
) -> Iterator[RunningDevChain]:
    """Start a devchain (in a fresh temporary directory unless ``data_dir`` is given), yield it,
    and always stop anvil afterwards."""
    with tempfile.TemporaryDirectory(prefix="studio402-chain-") as tmp:
        directory = data_dir or Path(tmp)
        anvil, info = start_devchain(
            directory,
            chain_id=chain_id,
            persist_state=persist_state,
            anvil_binary=anvil_binary or anvil_binary_from_environ(),
            anvil_args=anvil_args,
        )
        try:
            yield RunningDevChain(anvil, info, load_dev_keys(directory), directory)
        finally:
            anvil.stop()


def transfer_authorization_typed_data(
    info: DevChainInfo,
    *,
    payer: str,
    to: str,
    value: int,
    valid_after: int = 0,
    valid_before: int | None = None,
    nonce: bytes | None = None,
    primary_type: str = "TransferWithAuthorization",
) -> dict[str, Any]:
    """EIP-712 typed data of an EIP-3009 authorization on the devchain's token.

    ``valid_before`` defaults to one hour from now and ``nonce`` to 32 random bytes.
    """
    fields = [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "validAfter", "type": "uint256"},
        {"name": "validBefore", "type": "uint256"},
        {"name": "nonce", "type": "bytes32"},
    ]
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            primary_type: fields,
        },
        "primaryType": primary_type,
        "domain": {
            "name": info.token_name,
            "version": info.token_version,
            "chainId": info.chain_id,
            "verifyingContract": info.token_address,
        },
        "message": {
            "from": payer,
            "to": to,
            "value": value,
            "validAfter": valid_after,
            "validBefore": valid_before if valid_before is not None else int(time.time()) + 3600,
            "nonce": nonce if nonce is not None else os.urandom(32),
        },
    }


def sign_transfer_authorization(private_key: str, typed_data: dict[str, Any]) -> bytes:
    """Sign ``typed_data`` (see :func:`transfer_authorization_typed_data`); 65 bytes r‖s‖v."""
    signed = Account.sign_typed_data(private_key, full_message=typed_data)
    return bytes(signed.signature)
