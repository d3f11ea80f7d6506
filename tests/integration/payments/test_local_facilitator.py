"""LocalFacilitator against a real anvil devchain, with payloads signed by the official SDK."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from eth_account import Account
from x402 import x402ClientSync
from x402.mechanisms.evm.constants import (
    ERR_AUTHORIZATION_VALUE_MISMATCH,
    ERR_INSUFFICIENT_BALANCE,
    ERR_INVALID_SIGNATURE,
    ERR_NETWORK_MISMATCH,
    ERR_NONCE_ALREADY_USED,
    ERR_RECIPIENT_MISMATCH,
    ERR_SETTLEMENT_PENDING,
    ERR_TRANSACTION_FAILED,
    ERR_VALID_AFTER_FUTURE,
    ERR_VALID_BEFORE_EXPIRED,
)
from x402.mechanisms.evm.exact import register_exact_evm_client
from x402.schemas import PaymentPayload, PaymentRequired, PaymentRequirements

from studio402.chain._tx import send_and_wait
from studio402.chain.rpc import JsonRpc
from studio402.errors import ChainError, ConfigError
from studio402.payments.facilitator.local import LocalFacilitator
from studio402.testing.chain import (
    RunningDevChain,
    anvil_unavailable_reason,
    running_devchain,
    sign_transfer_authorization,
    transfer_authorization_typed_data,
)

pytestmark = pytest.mark.chain

PRICE = 10_000


@pytest.fixture(scope="module")
def chain() -> Iterator[RunningDevChain]:
    """A chain of its own: these tests count the gas wallet's nonces and toggle automine."""
    reason = anvil_unavailable_reason()
    if reason:
        pytest.skip(f"no local chain: {reason}")
    with running_devchain() as running:
        yield running


@pytest.fixture
async def facilitator(chain: RunningDevChain) -> AsyncIterator[LocalFacilitator]:
    info = chain.info
    fac = LocalFacilitator(
        rpc_url=info.rpc_url,
        chain_id=info.chain_id,
        private_key=chain.keys.facilitator,
        receipt_timeout_s=10,
    )
    yield fac
    await fac.aclose()


def requirements(
    chain: RunningDevChain, *, amount: int = PRICE, pay_to: str | None = None, timeout_s: int = 300
) -> PaymentRequirements:
    info = chain.info
    return PaymentRequirements(
        scheme="exact",
        network=info.network,
        asset=info.token_address,
        amount=str(amount),
        pay_to=pay_to or info.pay_to_address,
        max_timeout_seconds=timeout_s,
        extra={"name": info.token_name, "version": info.token_version},
    )


def sdk_pay(
    chain: RunningDevChain, req: PaymentRequirements, key: str | None = None
) -> PaymentPayload:
    """A payload signed by the official SDK client, with spend controls allowing our token."""
    client = x402ClientSync()
    register_exact_evm_client(client, Account.from_key(key or chain.keys.payer), chain.info.network)
    client.set_spend_controls(
        {
            "allowed_assets": [
                {
                    "network": chain.info.network,
                    "asset": chain.info.token_address,
                    "max_amount_per_payment": "100000000",
                }
            ]
        }
    )
    payload = client.create_payment_payload(PaymentRequired(accepts=[req]))
    assert isinstance(payload, PaymentPayload)
    return payload


def rpc_of(chain: RunningDevChain) -> JsonRpc:
    return JsonRpc(chain.info.rpc_url)


def gas_nonce(chain: RunningDevChain, tag: str = "pending") -> int:
    with rpc_of(chain) as rpc:
        return int(rpc.call("eth_getTransactionCount", [chain.info.facilitator_address, tag]), 16)


def tx_nonces(chain: RunningDevChain, hashes: list[str]) -> list[int]:
    with rpc_of(chain) as rpc:
        return sorted(int(rpc.call("eth_getTransactionByHash", [h])["nonce"], 16) for h in hashes)


async def balance(fac: LocalFacilitator, chain: RunningDevChain, owner: str) -> int:
    return await fac.reader.balance_of(chain.info.token_address, owner)


def nonce_of(payload: PaymentPayload) -> str:
    return str(payload.payload["authorization"]["nonce"])


async def test_supported_kinds(facilitator: LocalFacilitator, chain: RunningDevChain) -> None:
    supported = await facilitator.supported()
    assert [(k.x402_version, k.scheme, k.network) for k in supported.kinds] == [
        (2, "exact", chain.info.network)
    ]
    assert supported.signers == {"eip155:*": [chain.info.facilitator_address]}


async def test_verify_then_settle_moves_exact_amount(
    facilitator: LocalFacilitator, chain: RunningDevChain
) -> None:
    info = chain.info
    req = requirements(chain)
    payload = sdk_pay(chain, req)
    before = (
        await balance(facilitator, chain, info.payer_address),
        await balance(facilitator, chain, info.pay_to_address),
    )
    verdict = await facilitator.verify(payload, req)
    assert verdict.is_valid and verdict.payer == info.payer_address
    result = await facilitator.settle(payload, req)
    assert result.success, result
    assert (result.network, result.payer, result.amount) == (
        info.network,
        info.payer_address,
        "10000",
    )
    assert await balance(facilitator, chain, info.payer_address) == before[0] - PRICE
    assert await balance(facilitator, chain, info.pay_to_address) == before[1] + PRICE
    nonce = nonce_of(payload)
    assert await facilitator.reader.authorization_state(
        info.token_address, info.payer_address, nonce
    )
    found = await facilitator.reader.find_authorization_tx(
        info.token_address, info.payer_address, nonce
    )
    assert found == result.transaction
    assert await facilitator.reader.transfer_succeeded(
        result.transaction, info.token_address, info.payer_address, info.pay_to_address, PRICE
    )
    receipt = await facilitator.reader.get_receipt(result.transaction)
    assert receipt is not None and receipt.status == 1


def _manual_payload(
    chain: RunningDevChain, req: PaymentRequirements, *, valid_after: int
) -> PaymentPayload:
    info = chain.info
    typed = transfer_authorization_typed_data(
        info,
        payer=info.payer_address,
        to=req.pay_to,
        value=int(req.amount),
        valid_after=valid_after,
        valid_before=int(time.time()) + 600,
        nonce=os.urandom(32),
    )
    sig = sign_transfer_authorization(chain.keys.payer, typed)
    m = typed["message"]
    authorization = {
        "from": m["from"],
        "to": m["to"],
        "value": str(m["value"]),
        "validAfter": str(m["validAfter"]),
        "validBefore": str(m["validBefore"]),
        "nonce": "0x" + m["nonce"].hex(),
    }
    return PaymentPayload(
        payload={"signature": "0x" + sig.hex(), "authorization": authorization}, accepted=req
    )


def _case(chain: RunningDevChain, name: str) -> tuple[PaymentPayload, PaymentRequirements]:
    req = requirements(chain)
    if name == "wrong_amount":
        return sdk_pay(chain, req), requirements(chain, amount=PRICE * 2)
    if name == "wrong_pay_to":
        return sdk_pay(chain, req), requirements(chain, pay_to=Account.create().address)
    if name == "expired":
        short = requirements(chain, timeout_s=3)
        return sdk_pay(chain, short), short
    if name == "not_yet_valid":
        return _manual_payload(chain, req, valid_after=int(time.time()) + 3600), req
    if name == "bad_signature":
        payload = sdk_pay(chain, req)
        sig = bytearray.fromhex(payload.payload["signature"][2:])
        sig[5] ^= 0xFF
        payload.payload["signature"] = "0x" + sig.hex()
        return payload, req
    if name == "unfunded_payer":
        return sdk_pay(chain, req, key="0x" + bytes(Account.create().key).hex()), req
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong_amount", ERR_AUTHORIZATION_VALUE_MISMATCH),
        ("wrong_pay_to", ERR_RECIPIENT_MISMATCH),
        ("expired", ERR_VALID_BEFORE_EXPIRED),
        ("not_yet_valid", ERR_VALID_AFTER_FUTURE),
        ("bad_signature", ERR_INVALID_SIGNATURE),
        ("unfunded_payer", ERR_INSUFFICIENT_BALANCE),
    ],
)
async def test_refusals_carry_the_sdk_reason_and_broadcast_nothing(
    facilitator: LocalFacilitator, chain: RunningDevChain, case: str, reason: str
) -> None:
    payload, req = _case(chain, case)
    before = gas_nonce(chain)
    verdict = await facilitator.verify(payload, req)
    assert (verdict.is_valid, verdict.invalid_reason) == (False, reason)
    result = await facilitator.settle(payload, req)
    assert (result.success, result.error_reason, result.transaction) == (False, reason, "")
    assert gas_nonce(chain) == before == gas_nonce(chain, "latest")


async def test_replay_is_refused_as_nonce_used(
    facilitator: LocalFacilitator, chain: RunningDevChain
) -> None:
    req = requirements(chain)
    payload = sdk_pay(chain, req)
    assert (await facilitator.settle(payload, req)).success
    before = gas_nonce(chain)
    verdict = await facilitator.verify(payload, req)
    assert verdict.invalid_reason == ERR_NONCE_ALREADY_USED
    result = await facilitator.settle(payload, req)
    assert (result.success, result.error_reason) == (False, ERR_NONCE_ALREADY_USED)
    assert gas_nonce(chain) == before


async def test_network_mismatch_is_refused(
    facilitator: LocalFacilitator, chain: RunningDevChain
) -> None:
    req = requirements(chain).model_copy(update={"network": "eip155:1"})
    payload = sdk_pay(chain, requirements(chain))
    verdict = await facilitator.verify(payload, req)
    assert verdict.invalid_reason == ERR_NETWORK_MISMATCH


async def test_fifty_concurrent_settles_use_gapless_nonces(
    facilitator: LocalFacilitator, chain: RunningDevChain
) -> None:
    req = requirements(chain)
    payloads = [sdk_pay(chain, req) for _ in range(50)]
    start = gas_nonce(chain)
    payer_before = await balance(facilitator, chain, chain.info.payer_address)
    results = await asyncio.gather(*(facilitator.settle(p, req) for p in payloads))
    assert all(r.success for r in results), [r.error_reason for r in results if not r.success]
    hashes = [r.transaction for r in results]
    assert len(set(hashes)) == 50
    assert tx_nonces(chain, hashes) == list(range(start, start + 50))
    assert gas_nonce(chain) == start + 50
    assert await balance(facilitator, chain, chain.info.payer_address) == payer_before - 50 * PRICE


async def test_duplicate_settles_of_one_payload_share_one_transaction(
    facilitator: LocalFacilitator, chain: RunningDevChain
) -> None:
    req = requirements(chain)
    payload = sdk_pay(chain, req)
    start = gas_nonce(chain)
    results = await asyncio.gather(*(facilitator.settle(payload, req) for _ in range(5)))
    assert all(r.success for r in results)
    assert len({r.transaction for r in results}) == 1
    assert gas_nonce(chain) == start + 1


async def test_rejected_send_mid_flight_leaves_no_gap(
    facilitator: LocalFacilitator, chain: RunningDevChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    req = requirements(chain)
    payloads = [sdk_pay(chain, req) for _ in range(30)]
    real_send = facilitator.sender._send_raw
    calls = 0

    async def flaky_send(raw_tx: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 10:
            raise ChainError(
                "replacement fee too low for the pool", rpc_code=-32000, transport=False
            )
        return await real_send(raw_tx)

    monkeypatch.setattr(facilitator.sender, "_send_raw", flaky_send)
    start = gas_nonce(chain)
    results = await asyncio.gather(*(facilitator.settle(p, req) for p in payloads))
    failed = [(p, r) for p, r in zip(payloads, results, strict=True) if not r.success]
    assert len(failed) == 1
    payload, result = failed[0]
    assert (result.error_reason, result.transaction) == (ERR_TRANSACTION_FAILED, "")
    hashes = [r.transaction for r in results if r.success]
    assert tx_nonces(chain, hashes) == list(range(start, start + 29))
    retry = await facilitator.settle(payload, req)
    assert retry.success
    assert gas_nonce(chain) == start + 30


async def test_node_rejection_for_gas_funds_consumes_no_nonce(
    facilitator: LocalFacilitator, chain: RunningDevChain
) -> None:
    req = requirements(chain)
    gas = chain.info.facilitator_address
    with rpc_of(chain) as rpc:
        funds = rpc.call("eth_getBalance", [gas, "latest"])
        start = gas_nonce(chain)
        rpc.call("anvil_setBalance", [gas, "0x0"])
        try:
            result = await facilitator.settle(sdk_pay(chain, req), req)
        finally:
            rpc.call("anvil_setBalance", [gas, funds])
    assert (result.success, result.error_reason) == (False, ERR_TRANSACTION_FAILED)
    assert "insufficient funds" in (result.error_message or "").lower()
    assert gas_nonce(chain) == start
    after = await asyncio.gather(*(facilitator.settle(sdk_pay(chain, req), req) for _ in range(3)))
    assert all(r.success for r in after)
    assert tx_nonces(chain, [r.transaction for r in after]) == [start, start + 1, start + 2]


async def test_stale_nonce_is_resynced(
    facilitator: LocalFacilitator, chain: RunningDevChain
) -> None:
    req = requirements(chain)
    assert (await facilitator.settle(sdk_pay(chain, req), req)).success
    gas_account = Account.from_key(chain.keys.facilitator)
    with rpc_of(chain) as rpc:
        send_and_wait(rpc, gas_account, chain.info.chain_id, to=gas_account.address, data=b"")
    result = await facilitator.settle(sdk_pay(chain, req), req)
    assert result.success, result


async def test_lost_send_answer_is_pending_then_resumes(
    facilitator: LocalFacilitator, chain: RunningDevChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    req = requirements(chain)
    payload = sdk_pay(chain, req)
    real_send = facilitator.sender._send_raw

    async def send_then_drop(raw_tx: str) -> Any:
        await real_send(raw_tx)
        raise ChainError("eth_sendRawTransaction: ReadTimeout", transport=True)

    monkeypatch.setattr(facilitator.sender, "_send_raw", send_then_drop)
    start = gas_nonce(chain)
    pending = await facilitator.settle(payload, req)
    assert (pending.success, pending.error_reason) == (False, ERR_SETTLEMENT_PENDING)
    assert pending.transaction.startswith("0x") and len(pending.transaction) == 66
    monkeypatch.undo()
    resumed = await facilitator.settle(payload, req)
    assert resumed.success and resumed.transaction == pending.transaction
    nxt = await facilitator.settle(sdk_pay(chain, req), req)
    assert nxt.success
    assert gas_nonce(chain) == start + 2


async def test_receipt_timeout_is_settlement_pending_then_seen_on_chain(
    chain: RunningDevChain,
) -> None:
    info = chain.info
    fac = LocalFacilitator(
        rpc_url=info.rpc_url,
        chain_id=info.chain_id,
        private_key=chain.keys.facilitator,
        receipt_timeout_s=0.3,
    )
    req = requirements(chain)
    payload = sdk_pay(chain, req)
    nonce = nonce_of(payload)
    with rpc_of(chain) as rpc:
        rpc.call("evm_setAutomine", [False])
        try:
            result = await fac.settle(payload, req)
            assert (result.success, result.error_reason) == (False, ERR_SETTLEMENT_PENDING)
            assert result.transaction
            assert not await fac.reader.authorization_state(
                info.token_address, info.payer_address, nonce
            )
            assert (
                await fac.reader.transfer_succeeded(
                    result.transaction,
                    info.token_address,
                    info.payer_address,
                    info.pay_to_address,
                    PRICE,
                )
                is None
            )
            rpc.call("evm_mine", [])
        finally:
            rpc.call("evm_setAutomine", [True])
    assert await fac.reader.authorization_state(info.token_address, info.payer_address, nonce)
    tx = await fac.reader.find_authorization_tx(info.token_address, info.payer_address, nonce)
    assert tx == result.transaction
    assert await fac.reader.transfer_succeeded(
        tx, info.token_address, info.payer_address, info.pay_to_address, PRICE
    )
    again = await fac.settle(payload, req)
    assert again.success and again.transaction == result.transaction
    await fac.aclose()


async def test_unreachable_node_raises_chain_error(chain: RunningDevChain) -> None:
    fac = LocalFacilitator(
        rpc_url="http://127.0.0.1:9",
        chain_id=chain.info.chain_id,
        private_key=chain.keys.facilitator,
        rpc_timeout_s=1,
    )
    req = requirements(chain)
    with pytest.raises(ChainError):
        await fac.verify(sdk_pay(chain, req), req)
    with pytest.raises(ChainError):
        await fac.settle(sdk_pay(chain, req), req)
    await fac.aclose()


async def test_wrong_chain_id_is_a_config_error(chain: RunningDevChain) -> None:
    fac = LocalFacilitator(
        rpc_url=chain.info.rpc_url, chain_id=8453, private_key=chain.keys.facilitator
    )
    req = requirements(chain).model_copy(update={"network": "eip155:8453"})
    with pytest.raises(ConfigError, match="serves chain 31337"):
        await fac.verify(sdk_pay(chain, requirements(chain)), req)
    await fac.aclose()
