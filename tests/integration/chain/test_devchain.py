"""Dev chain lifecycle: anvil process, keys, deployment, persistence, chain ids."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
from pathlib import Path

import pytest

from studio402.chain.anvil import Anvil, find_anvil_binary
from studio402.chain.devchain import (
    DEVCHAIN_FILE,
    MULTICALL3_ADDRESS,
    load_devchain_info,
    mint,
    refuse_real_usdc_domain,
    start_devchain,
)
from studio402.chain.devkeys import DEV_KEYS_FILE, load_dev_keys
from studio402.chain.rpc import JsonRpc
from studio402.errors import ConfigError
from studio402.testing.chain import RunningDevChain, running_devchain

from .conftest import Token, require_anvil

pytestmark = pytest.mark.chain

# anvil's well-known `test test ... junk` accounts 0-2: never used for our roles.
ANVIL_DEFAULT_ADDRESSES = {
    "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_fresh_chain_has_token_minted_payer_and_public_info(devchain: RunningDevChain) -> None:
    info = devchain.info
    assert info.network == "eip155:31337"
    assert (info.token_name, info.token_version, info.token_decimals) == ("USD Coin", "2", 6)
    with devchain.rpc() as rpc:
        assert Token(devchain, rpc).balance(info.payer_address) >= 0
        assert rpc.call("eth_getCode", [MULTICALL3_ADDRESS, "latest"]) != "0x"
        assert int(rpc.call("eth_getBalance", [info.facilitator_address, "latest"]), 16) > 10**18
    written = json.loads((devchain.data_dir / DEVCHAIN_FILE).read_text())
    assert written["token_address"] == info.token_address
    assert not any("key" in name for name in written)
    assert load_devchain_info(devchain.data_dir) == info


def test_dev_keys_are_private_random_and_not_anvil_defaults(devchain: RunningDevChain) -> None:
    path = devchain.data_dir / DEV_KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = load_dev_keys(devchain.data_dir)
    addresses = {
        keys.address(role).lower() for role in ("deployer", "payer", "facilitator", "pay_to")
    }
    assert len(addresses) == 4
    assert not addresses & ANVIL_DEFAULT_ADDRESSES
    assert keys.payer not in repr(keys)


def test_mint_adds_to_a_balance(devchain: RunningDevChain) -> None:
    with devchain.rpc() as rpc:
        token = Token(devchain, rpc)
        before = token.balance(devchain.info.pay_to_address)
        mint(devchain.info, devchain.info.pay_to_address, 5_000_000)
        assert token.balance(devchain.info.pay_to_address) == before + 5_000_000


def test_state_persists_across_restart(tmp_path: Path) -> None:
    require_anvil()
    anvil, info = start_devchain(tmp_path, persist_state=True)
    try:
        mint(info, info.pay_to_address, 777)
    finally:
        anvil.stop()
    anvil2, info2 = start_devchain(tmp_path, persist_state=True)
    try:
        assert info2.token_address == info.token_address
        with JsonRpc(info2.rpc_url) as rpc:
            chain = RunningDevChain(anvil2, info2, load_dev_keys(tmp_path), tmp_path)
            token = Token(chain, rpc)
            assert token.balance(info.payer_address) == 1_000_000_000
            assert token.balance(info.pay_to_address) == 777
    finally:
        anvil2.stop()


def test_state_interval_survives_sigkill(tmp_path: Path) -> None:
    require_anvil()
    anvil, info = start_devchain(tmp_path, persist_state=True)
    try:
        mint(info, info.pay_to_address, 4242)
        time.sleep(1.5)  # one --state-interval tick writes the state file
        assert anvil.pid is not None
        os.kill(anvil.pid, signal.SIGKILL)
    finally:
        anvil.stop()
    anvil2, info2 = start_devchain(tmp_path, persist_state=True)
    try:
        assert info2.token_address == info.token_address
        with JsonRpc(info2.rpc_url) as rpc:
            chain = RunningDevChain(anvil2, info2, load_dev_keys(tmp_path), tmp_path)
            assert Token(chain, rpc).balance(info.pay_to_address) == 4242
    finally:
        anvil2.stop()


def test_process_is_gone_after_stop(tmp_path: Path) -> None:
    require_anvil()
    with running_devchain(tmp_path) as chain:
        pid = chain.anvil.pid
        assert pid is not None and _alive(pid)
    assert not _alive(pid)
    assert not chain.anvil.is_running


def test_non_persistent_start_is_always_fresh(tmp_path: Path) -> None:
    require_anvil()
    anvil, first = start_devchain(tmp_path, persist_state=False)
    anvil.stop()
    anvil, second = start_devchain(tmp_path, persist_state=False)
    anvil.stop()
    assert first.token_address == second.token_address  # same deployer nonce, fresh chain
    assert not (tmp_path / "anvil-state-31337.json").exists()


def test_chain_8453_uses_a_non_canonical_token(tmp_path: Path) -> None:
    require_anvil()
    with running_devchain(tmp_path, chain_id=8453) as chain:
        assert chain.info.network == "eip155:8453"
        assert chain.info.token_address.lower() != "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"
        with chain.rpc() as rpc:
            assert int(rpc.call("eth_chainId"), 16) == 8453


def test_real_usdc_domain_is_refused() -> None:
    with pytest.raises(ConfigError, match="real USDC"):
        refuse_real_usdc_domain(8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")
    refuse_real_usdc_domain(31337, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913")
    refuse_real_usdc_domain(8453, "0x5FbDB2315678afecb367f032d93F642f64180aa3")


def test_anvil_retries_when_its_port_is_taken() -> None:
    require_anvil()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        anvil = Anvil(find_anvil_binary(), port=port)
        with pytest.raises(Exception, match="did not start"):
            anvil.start(timeout_s=3)
        assert anvil.pid is None


def test_missing_binary_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not exist"):
        find_anvil_binary(tmp_path / "nope")
    with pytest.raises(ConfigError, match="install it with"):
        find_anvil_binary(search_from=[tmp_path])
