"""SIWX fixtures: golden vectors, a frozen clock, a verifier, and an SDK-style proof signer."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from studio402.auth.nonces import MemoryNonceStore
from studio402.auth.siwe import SiwxProof, build_siwe_message
from studio402.auth.siwx import SiwxVerifier
from studio402.clock import FrozenClock

Info = dict[str, Any]
VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "siwx_vectors.json").read_text())
SECRET = bytes.fromhex(VECTORS["secret_hex"])
ISSUED_AT = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
LOCAL_ORIGIN = "http://127.0.0.1:8402"
PROD_ORIGIN = "https://api.studio402.example"
KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32
ADDRESS = Account.from_key(KEY).address

_SNAKE = {"chainId": "chain_id", "issuedAt": "issued_at", "expirationTime": "expiration_time",
          "notBefore": "not_before", "requestId": "request_id",
          "signatureScheme": "signature_scheme"}  # fmt: skip


def proof_from_fields(fields: dict[str, Any]) -> SiwxProof:
    """A SiwxProof from camelCase header fields (``signature`` may be missing)."""
    values = {_SNAKE.get(name, name): value for name, value in fields.items()}
    values.setdefault("signature", "")
    if values.get("resources") is not None:
        values["resources"] = tuple(values["resources"])
    return SiwxProof(**values)


def encode(fields: dict[str, Any]) -> str:
    """The header value as both official clients send it: base64 of compact JSON."""
    return base64.b64encode(json.dumps(fields).encode()).decode()


def sign_fields(info: dict[str, Any], key: str = KEY, **overrides: Any) -> dict[str, Any]:
    """Sign a challenge's info as the x402 clients do: spread info, add chain, type, address,
    EIP-191-sign the EIP-4361 text. ``overrides`` change fields before signing; a value of
    ``None`` drops the field."""
    fields = {**info, "chainId": "eip155:8453", "type": "eip191"}
    fields["address"] = Account.from_key(key).address
    fields.update(overrides)
    fields = {name: value for name, value in fields.items() if value is not None}
    message = build_siwe_message(proof_from_fields(fields))
    signed = Account.sign_message(encode_defunct(text=message), private_key=key)
    return {**fields, "signature": "0x" + bytes(signed.signature).hex()}


@pytest.fixture
def clock() -> FrozenClock:
    """Thirty seconds after the vectors' challenges were issued."""
    return FrozenClock(ISSUED_AT + timedelta(seconds=30))


@pytest.fixture
def store() -> MemoryNonceStore:
    return MemoryNonceStore()


@pytest.fixture
def make_verifier(clock: FrozenClock, store: MemoryNonceStore) -> Callable[..., SiwxVerifier]:
    def _make(origin: str = LOCAL_ORIGIN, **kwargs: Any) -> SiwxVerifier:
        chains = kwargs.pop("chains", ["eip155:8453", "eip155:84532"])
        return SiwxVerifier(SECRET, origin, chains, store, clock, **kwargs)

    return _make


@pytest.fixture
def verifier(make_verifier: Callable[..., SiwxVerifier]) -> SiwxVerifier:
    return make_verifier()


@pytest.fixture
def local_info() -> dict[str, Any]:
    """The info of the vectors' challenge for http://127.0.0.1:8402/api/jobs/job123."""
    return dict(VECTORS["challenges"]["local"]["info"])
