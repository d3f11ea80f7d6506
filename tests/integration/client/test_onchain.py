"""Wallet balances and dev funding on a real anvil chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account

from studio402.client import load_wallet
from studio402.client.onchain import fund_on_devchain, read_balance
from studio402.testing.chain import RunningDevChain, anvil_unavailable_reason, running_devchain


@pytest.fixture(scope="module")
def chain() -> Iterator[RunningDevChain]:
    reason = anvil_unavailable_reason()
    if reason:
        pytest.skip(f"no local chain: {reason}")
    with running_devchain() as running:
        yield running


async def test_dev_wallet_reads_its_balance(chain: RunningDevChain) -> None:
    wallet = load_wallet(f"dev:{chain.data_dir}", environ={})
    assert wallet.dev_chain() == chain.info
    found = await read_balance(chain.info.rpc_url, wallet.address, chain.info.token_address)
    assert found.network == "eip155:31337" and found.token_atomic == 1_000_000_000
    assert found.to_dict()["usd"] == "1000" and found.eth_wei > 0


async def test_fund_mints_on_the_dev_chain(chain: RunningDevChain) -> None:
    stranger = Account.create().address
    tx_hash = await fund_on_devchain(chain.info, stranger, 2_500_000, eth_wei=10**16)
    assert tx_hash.startswith("0x")
    found = await read_balance(chain.info.rpc_url, stranger, chain.info.token_address)
    assert found.token_atomic == 2_500_000 and found.eth_wei == 10**16
