"""LocalUSDC behaves like USDC v2.2 for EIP-3009, with FiatTokenV2_2's exact revert strings."""

from __future__ import annotations

import os

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from x402.mechanisms.evm.constants import (
    ERR_INSUFFICIENT_BALANCE,
    ERR_INVALID_SIGNATURE,
    ERR_NONCE_ALREADY_USED,
    ERR_VALID_AFTER_FUTURE,
    ERR_VALID_BEFORE_EXPIRED,
)
from x402.mechanisms.evm.exact.eip3009_utils import parse_eip3009_transfer_error
from x402.mechanisms.evm.utils import is_contract_revert

from studio402.chain.abi import encode_call
from studio402.errors import ChainError

from .conftest import CANCEL_SIG, RECEIVE_SIG, TRANSFER_SIG, Token, authorization_call, now

pytestmark = pytest.mark.chain


def _revert(token: Token, data: bytes, sender: str | None = None) -> ChainError:
    with pytest.raises(ChainError) as info:
        token.call(data, sender)
    return info.value


def test_metadata_and_domain_match_usdc(token: Token) -> None:
    info = token.chain.info
    assert token.call(encode_call("decimals()"))[-1] == 6
    assert b"USD Coin" in token.call(encode_call("name()"))
    assert b"USDC" in token.call(encode_call("symbol()"))
    assert token.call(encode_call("version()")).rstrip(b"\0").endswith(b"2")
    typed, _ = token.transfer_authorization(to=info.pay_to_address, value=1)
    expected = encode_typed_data(full_message=typed).header
    assert token.call(encode_call("DOMAIN_SEPARATOR()")) == expected


def test_payer_is_minted_1000_usdc_and_owner_only_mints(token: Token) -> None:
    assert token.balance(token.chain.info.payer_address) >= 0
    stranger = Account.create()
    data = encode_call("mint(address,uint256)", stranger.address, 1)
    error = _revert(token, data, sender=stranger.address)
    assert "Ownable: caller is not the owner" in error.message


def test_transfer_with_authorization_moves_exact_balances(token: Token) -> None:
    info = token.chain.info
    payer, pay_to = info.payer_address, info.pay_to_address
    before = token.balance(payer), token.balance(pay_to)
    typed, sig = token.transfer_authorization(to=pay_to, value=12_345)
    receipt = token.send(token.chain.keys.facilitator, authorization_call(TRANSFER_SIG, typed, sig))
    assert int(receipt["status"], 16) == 1
    assert token.balance(payer) == before[0] - 12_345
    assert token.balance(pay_to) == before[1] + 12_345
    assert token.authorization_state(payer, typed["message"]["nonce"])


def test_replay_reverts_with_used_or_canceled(token: Token) -> None:
    typed, sig = token.transfer_authorization(to=token.chain.info.pay_to_address, value=1)
    data = authorization_call(TRANSFER_SIG, typed, sig)
    token.send(token.chain.keys.facilitator, data)
    error = _revert(token, data)
    assert "FiatTokenV2: authorization is used or canceled" in error.message
    assert parse_eip3009_transfer_error(error) == ERR_NONCE_ALREADY_USED


def test_cancel_authorization_blocks_the_transfer(token: Token) -> None:
    typed, sig = token.transfer_authorization(to=token.chain.info.pay_to_address, value=1)
    payer, nonce = typed["message"]["from"], typed["message"]["nonce"]
    cancel_typed = {
        "types": {
            "EIP712Domain": typed["types"]["EIP712Domain"],
            "CancelAuthorization": [
                {"name": "authorizer", "type": "address"},
                {"name": "nonce", "type": "bytes32"},
            ],
        },
        "primaryType": "CancelAuthorization",
        "domain": typed["domain"],
        "message": {"authorizer": payer, "nonce": nonce},
    }
    cancel_sig = bytes(
        Account.sign_typed_data(token.chain.keys.payer, full_message=cancel_typed).signature
    )
    assert not token.authorization_state(payer, nonce)
    data = encode_call(CANCEL_SIG, payer, nonce, cancel_sig[64], cancel_sig[:32], cancel_sig[32:64])
    receipt = token.send(token.chain.keys.facilitator, data)
    assert int(receipt["status"], 16) == 1
    assert token.authorization_state(payer, nonce)
    error = _revert(token, authorization_call(TRANSFER_SIG, typed, sig))
    assert "FiatTokenV2: authorization is used or canceled" in error.message


def test_expired_and_not_yet_valid(token: Token) -> None:
    pay_to = token.chain.info.pay_to_address
    typed, sig = token.transfer_authorization(to=pay_to, value=1, valid_before=now() - 1)
    error = _revert(token, authorization_call(TRANSFER_SIG, typed, sig))
    assert "FiatTokenV2: authorization is expired" in error.message
    assert parse_eip3009_transfer_error(error) == ERR_VALID_BEFORE_EXPIRED
    typed, sig = token.transfer_authorization(to=pay_to, value=1, valid_after=now() + 3600)
    error = _revert(token, authorization_call(TRANSFER_SIG, typed, sig))
    assert "FiatTokenV2: authorization is not yet valid" in error.message
    assert parse_eip3009_transfer_error(error) == ERR_VALID_AFTER_FUTURE


def test_bad_signature_and_insufficient_balance(token: Token) -> None:
    pay_to = token.chain.info.pay_to_address
    typed, sig = token.transfer_authorization(to=pay_to, value=1)
    typed["message"]["value"] = 2
    error = _revert(token, authorization_call(TRANSFER_SIG, typed, sig))
    assert "FiatTokenV2: invalid signature" in error.message
    assert is_contract_revert(error)
    assert parse_eip3009_transfer_error(error) == ERR_INVALID_SIGNATURE
    poor = Account.create()
    typed, sig = token.transfer_authorization(to=pay_to, value=1, key="0x" + poor.key.hex())
    error = _revert(token, authorization_call(TRANSFER_SIG, typed, sig))
    assert "ERC20: transfer amount exceeds balance" in error.message
    assert parse_eip3009_transfer_error(error) == ERR_INSUFFICIENT_BALANCE


def test_malleable_signature_is_refused(token: Token) -> None:
    typed, sig = token.transfer_authorization(to=token.chain.info.pay_to_address, value=1)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s_high = (n - int.from_bytes(sig[32:64])).to_bytes(32, "big")
    flipped = sig[:32] + s_high + bytes([55 - sig[64]])
    error = _revert(token, authorization_call(TRANSFER_SIG, typed, flipped))
    assert "ECRecover: invalid signature 's' value" in error.message
    assert parse_eip3009_transfer_error(error) == ERR_INVALID_SIGNATURE


def test_receive_with_authorization_needs_the_payee_as_caller(token: Token) -> None:
    info = token.chain.info
    typed, sig = token.transfer_authorization(
        to=info.pay_to_address, value=7, primary_type="ReceiveWithAuthorization"
    )
    data = authorization_call(RECEIVE_SIG, typed, sig)
    error = _revert(token, data, sender=info.facilitator_address)
    assert "FiatTokenV2: caller must be the payee" in error.message
    before = token.balance(info.pay_to_address)
    receipt = token.send(token.chain.keys.pay_to, data)
    assert int(receipt["status"], 16) == 1
    assert token.balance(info.pay_to_address) == before + 7


def test_bytes_signature_overload(token: Token) -> None:
    typed, sig = token.transfer_authorization(to=token.chain.info.pay_to_address, value=3)
    m = typed["message"]
    data = encode_call(
        "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)",
        m["from"],
        m["to"],
        m["value"],
        m["validAfter"],
        m["validBefore"],
        m["nonce"],
        sig,
    )
    assert int(token.send(token.chain.keys.facilitator, data)["status"], 16) == 1
    assert token.authorization_state(m["from"], m["nonce"])
    assert not token.authorization_state(m["from"], os.urandom(32))
