"""The facilitator's fast transaction signer produces eth_account's exact bytes."""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from studio402.payments.facilitator._txsign import TxSigner, UnsignedTx, rlp_encode


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("data_len", [0, 1, 55, 56, 356, 70_000])
@pytest.mark.parametrize("nonce", [0, 1, 127, 128, 256, 2**40])
def test_same_bytes_as_eth_account(legacy: bool, data_len: int, nonce: int) -> None:
    account = Account.create()
    data = os.urandom(data_len)
    tx = UnsignedTx(
        chain_id=8453,
        nonce=nonce,
        gas=250_000,
        to=bytes.fromhex(account.address[2:]),
        data=data,
        max_fee=2 * 10**9 + 7,
        max_priority_fee=None if legacy else 10**6,
    )
    raw, tx_hash = TxSigner(bytes(account.key)).sign(tx)
    fields: dict[str, object] = {
        "chainId": 8453,
        "nonce": nonce,
        "gas": 250_000,
        "to": account.address,
        "value": 0,
        "data": data,
    }
    if legacy:
        fields["gasPrice"] = 2 * 10**9 + 7
    else:
        fields.update(type=2, maxFeePerGas=2 * 10**9 + 7, maxPriorityFeePerGas=10**6)
    expected = account.sign_transaction(fields)
    assert raw == bytes(expected.raw_transaction)
    assert tx_hash == bytes(expected.hash)


def test_rlp_vectors() -> None:
    assert rlp_encode(b"dog") == b"\x83dog"
    assert rlp_encode([b"cat", b"dog"]) == b"\xc8\x83cat\x83dog"
    assert rlp_encode(b"") == b"\x80"
    assert rlp_encode([]) == b"\xc0"
    assert rlp_encode(0) == b"\x80"
    assert rlp_encode(15) == b"\x0f"
    assert rlp_encode(1024) == b"\x82\x04\x00"
    assert rlp_encode(b"a" * 56)[:2] == b"\xb8\x38"
