"""Chain fixtures: a session devchain of its own (these tests mint and move tokens) and helpers."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account

from studio402.chain._tx import send_and_wait
from studio402.chain.abi import encode_call, hex_to_bytes, to_hex
from studio402.chain.rpc import JsonRpc
from studio402.testing.chain import (
    RunningDevChain,
    anvil_unavailable_reason,
    running_devchain,
    sign_transfer_authorization,
    transfer_authorization_typed_data,
)

_AUTH_VRS = "address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32"
TRANSFER_SIG = f"transferWithAuthorization({_AUTH_VRS})"
RECEIVE_SIG = f"receiveWithAuthorization({_AUTH_VRS})"
CANCEL_SIG = "cancelAuthorization(address,bytes32,uint8,bytes32,bytes32)"


def require_anvil() -> None:
    """Skip the calling test or fixture when no anvil binary is installed."""
    reason = anvil_unavailable_reason()
    if reason:
        pytest.skip(f"no local chain: {reason}")


@pytest.fixture(scope="session")
def devchain() -> Iterator[RunningDevChain]:
    """A fresh anvil devchain for the chain tests only (token deployed, accounts funded)."""
    require_anvil()
    with running_devchain() as chain:
        yield chain


@pytest.fixture
def rpc(devchain: RunningDevChain) -> Iterator[JsonRpc]:
    """A blocking JSON-RPC client on the session devchain."""
    with devchain.rpc() as client:
        yield client


@dataclass
class Token:
    """LocalUSDC on a devchain, driven with raw calls and transactions."""

    chain: RunningDevChain
    rpc: JsonRpc

    @property
    def address(self) -> str:
        return self.chain.info.token_address

    def call(self, data: bytes, sender: str | None = None) -> bytes:
        """eth_call; raises ChainError with the revert reason."""
        tx: dict[str, Any] = {"to": self.address, "data": to_hex(data)}
        if sender:
            tx["from"] = sender
        return hex_to_bytes(self.rpc.call("eth_call", [tx, "latest"]))

    def send(self, key: str, data: bytes) -> dict[str, Any]:
        """Send a transaction from ``key`` (topped up with ETH if low) and return its receipt."""
        account = Account.from_key(key)
        if int(self.rpc.call("eth_getBalance", [account.address, "latest"]), 16) < 10**17:
            self.rpc.call("anvil_setBalance", [account.address, hex(10**18)])
        return send_and_wait(
            self.rpc, account, self.chain.info.chain_id, to=self.address, data=data
        )

    def balance(self, owner: str) -> int:
        return int.from_bytes(self.call(encode_call("balanceOf(address)", owner)))

    def authorization_state(self, authorizer: str, nonce: bytes) -> bool:
        data = encode_call("authorizationState(address,bytes32)", authorizer, nonce)
        return int.from_bytes(self.call(data)) == 1

    def transfer_authorization(
        self,
        *,
        to: str,
        value: int,
        valid_after: int = 0,
        valid_before: int | None = None,
        primary_type: str = "TransferWithAuthorization",
        key: str | None = None,
    ) -> tuple[dict[str, Any], bytes]:
        """A signed (typed data, signature) from the payer (or ``key``)."""
        signer_key = key or self.chain.keys.payer
        typed = transfer_authorization_typed_data(
            self.chain.info,
            payer=Account.from_key(signer_key).address,
            to=to,
            value=value,
            valid_after=valid_after,
            valid_before=valid_before,
            nonce=os.urandom(32),
            primary_type=primary_type,
        )
        return typed, sign_transfer_authorization(signer_key, typed)


def authorization_call(signature: str, typed: dict[str, Any], sig: bytes) -> bytes:
    """Calldata of a (v, r, s) EIP-3009 function for a signed authorization."""
    m = typed["message"]
    return encode_call(
        signature,
        m["from"],
        m["to"],
        m["value"],
        m["validAfter"],
        m["validBefore"],
        m["nonce"],
        sig[64],
        sig[:32],
        sig[32:64],
    )


def now() -> int:
    return int(time.time())


@pytest.fixture
def token(devchain: RunningDevChain, rpc: JsonRpc) -> Token:
    """The devchain's LocalUSDC."""
    return Token(devchain, rpc)
