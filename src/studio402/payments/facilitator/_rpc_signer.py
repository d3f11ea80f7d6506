"""The x402 SDK's ``FacilitatorEvmSigner`` over our JSON-RPC client, for verification only.

The SDK's verify logic is synchronous; it runs in worker threads and calls these methods there.
Each read is handed to the event loop's :class:`AsyncJsonRpc`, so it shares the facilitator's
single connection pool and is batched with concurrent calls; the thread just waits. Signature
recovery goes through eth_keys, which uses coincurve when it is installed.

The SDK turns RPC outages into payment reasons (an unreachable node looks like a bad
signature), so every infrastructure failure is also recorded per thread: the caller reads
:meth:`RpcFacilitatorSigner.take_failures` after a verify and raises instead.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from x402.mechanisms.evm.types import TransactionReceipt, TypedDataDomain, TypedDataField
from x402.mechanisms.evm.verify import verify_typed_data_strict

from studio402.chain.abi import (
    decode_result,
    encode_abi_call,
    encode_call,
    find_function,
    hex_to_bytes,
    to_hex,
)
from studio402.chain.rpc import is_revert
from studio402.errors import ChainError

RpcCall = Callable[[str, list[Any]], Any]
"""A blocking JSON-RPC call: (method, params) -> result; raises ChainError."""

_ZERO_ADDRESS = "0x" + "0" * 40


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def call_key(method: str, params: list[Any]) -> str:
    """Identity of a read, insensitive to hex/address letter case."""
    return json.dumps([method, _canonical(params)], sort_keys=True)


_CODE_CACHE_TTL_S = 900.0


class RpcFacilitatorSigner:
    """Read-side ``FacilitatorEvmSigner`` bound to one chain; it never sends transactions."""

    def __init__(self, call: RpcCall, chain_id: int, address: str) -> None:
        self._rpc_call = call
        self._chain_id = chain_id
        self._address = address
        self._local = threading.local()
        self._cache_lock = threading.Lock()
        self._asset_code: dict[str, tuple[bytes, float]] = {}
        self._assets: set[str] = set()

    @property
    def address(self) -> str:
        """The facilitator gas address (the ``from`` of simulations)."""
        return self._address

    def note_asset(self, address: str) -> None:
        """Mark ``address`` as a token contract whose (non-empty) code may be cached."""
        with self._cache_lock:
            self._assets.add(address.lower())

    def start_tracking(self, prefetched: dict[str, Any] | None = None) -> None:
        """Begin a verification in this thread: reset the failure record and install answers
        already fetched for it (keyed by :func:`call_key`; an exception value is re-raised)."""
        self._local.failures = []
        self._local.prefetched = dict(prefetched or {})

    def take_failures(self) -> list[ChainError]:
        """Infrastructure failures since :meth:`start_tracking` in this thread (and reset)."""
        failures: list[ChainError] = getattr(self._local, "failures", [])
        self._local.failures = []
        return failures

    def _call(self, method: str, params: list[Any]) -> Any:
        prefetched: dict[str, Any] = getattr(self._local, "prefetched", {})
        key = call_key(method, params)
        if key in prefetched:
            answer = prefetched.pop(key)
            if isinstance(answer, Exception):
                raise answer
            return answer
        try:
            return self._rpc_call(method, params)
        except ChainError as exc:
            if not is_revert(exc):
                getattr(self._local, "failures", []).append(exc)
            raise

    def get_addresses(self) -> list[str]:
        """The facilitator gas address."""
        return [self._address]

    def get_chain_id(self) -> int:
        """The chain id this facilitator settles on."""
        return self._chain_id

    def get_code(self, address: str) -> bytes:
        """``eth_getCode``; cached for 15 minutes for addresses marked by :meth:`note_asset`."""
        key = address.lower()
        now = time.monotonic()
        with self._cache_lock:
            cached = self._asset_code.get(key)
            if cached is not None and cached[1] > now:
                return cached[0]
            is_asset = key in self._assets
        code = hex_to_bytes(str(self._call("eth_getCode", [address, "latest"])))
        if is_asset and code:
            with self._cache_lock:
                self._asset_code[key] = (code, now + _CODE_CACHE_TTL_S)
        return code

    def read_contract(
        self, address: str, abi: list[dict[str, Any]], function_name: str, *args: Any
    ) -> Any:
        """``eth_call`` of ``function_name(*args)``; a revert raises :class:`ChainError`."""
        fn = find_function(abi, function_name, len(args))
        call = {"from": self._address, "to": address, "data": to_hex(encode_abi_call(fn, args))}
        result = self._call("eth_call", [call, "latest"])
        return decode_result(fn, hex_to_bytes(str(result)))

    def verify_typed_data(
        self,
        address: str,
        domain: TypedDataDomain,
        types: dict[str, list[TypedDataField]],
        primary_type: str,
        message: dict[str, Any],
        signature: bytes,
    ) -> bool:
        """EIP-712 check as on-chain SignatureChecker does it (ecrecover or EIP-1271)."""
        widened: dict[str, list[TypedDataField | dict[str, Any]]] = {
            name: list(entries) for name, entries in types.items()
        }
        return verify_typed_data_strict(
            self, address, domain, widened, primary_type, message, signature
        )

    def get_balance(self, address: str, token_address: str) -> int:
        """Native balance for the zero/empty token address, else the ERC-20 balance."""
        if not token_address or token_address == _ZERO_ADDRESS:
            return int(str(self._call("eth_getBalance", [address, "latest"])), 16)
        data = to_hex(encode_call("balanceOf(address)", address))
        result = self._call("eth_call", [{"to": token_address, "data": data}, "latest"])
        return int.from_bytes(hex_to_bytes(str(result)))

    def write_contract(
        self,
        address: str,
        abi: list[dict[str, Any]],
        function_name: str,
        *args: Any,
        data_suffix: str | None = None,
    ) -> str:
        """Not used: LocalFacilitator settles with its own nonce-safe async sender."""
        raise NotImplementedError("LocalFacilitator sends transactions itself")

    def send_transaction(self, to: str, data: bytes) -> str:
        """Not used: LocalFacilitator settles with its own nonce-safe async sender."""
        raise NotImplementedError("LocalFacilitator sends transactions itself")

    def wait_for_transaction_receipt(self, tx_hash: str) -> TransactionReceipt:
        """Not used: LocalFacilitator awaits receipts asynchronously."""
        raise NotImplementedError("LocalFacilitator awaits receipts itself")
