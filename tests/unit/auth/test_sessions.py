"""Wallet-bound bearer session tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from studio402.auth.sessions import SessionExpiredError, SessionInvalidError, SessionTokens
from studio402.clock import FrozenClock
from studio402.errors import AuthError, ConfigError

from .conftest import ADDRESS, ISSUED_AT, SECRET


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(ISSUED_AT)


@pytest.fixture
def tokens(clock: FrozenClock) -> SessionTokens:
    return SessionTokens(SECRET, 600, clock)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_issue_then_verify(tokens: SessionTokens) -> None:
    token, expires_at = tokens.issue(ADDRESS.lower())
    assert expires_at == ISSUED_AT + timedelta(seconds=600)
    assert token.startswith("s402.")
    assert all(c.isalnum() or c in "._-" for c in token)
    assert tokens.verify(token) == ADDRESS


def test_payload_claims(tokens: SessionTokens) -> None:
    token, _ = tokens.issue(ADDRESS)
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims == {"v": 1, "sub": ADDRESS, "iat": int(ISSUED_AT.timestamp()),
                      "exp": int(ISSUED_AT.timestamp()) + 600}  # fmt: skip


def test_expiry(tokens: SessionTokens, clock: FrozenClock) -> None:
    token, _ = tokens.issue(ADDRESS)
    clock.advance(599)
    assert tokens.verify(token) == ADDRESS
    clock.advance(1)
    with pytest.raises(SessionExpiredError) as caught:
        tokens.verify(token)
    assert caught.value.code == "session_expired"
    assert caught.value.status == 401


def test_tampered_payload(tokens: SessionTokens) -> None:
    token, _ = tokens.issue(ADDRESS)
    prefix, _payload, mac = token.split(".")
    forged = {"v": 1, "sub": "0x" + "ab" * 20, "iat": 0, "exp": 2**40}
    with pytest.raises(SessionInvalidError) as caught:
        tokens.verify(f"{prefix}.{b64(json.dumps(forged).encode())}.{mac}")
    assert caught.value.code == "session_invalid"
    assert isinstance(caught.value, AuthError)


def test_tampered_mac(tokens: SessionTokens) -> None:
    token, _ = tokens.issue(ADDRESS)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(SessionInvalidError):
        tokens.verify(flipped)


def test_other_secret(clock: FrozenClock, tokens: SessionTokens) -> None:
    token, _ = SessionTokens(b"z" * 32, 600, clock).issue(ADDRESS)
    with pytest.raises(SessionInvalidError):
        tokens.verify(token)


def test_key_is_separated_from_the_raw_secret(tokens: SessionTokens) -> None:
    claims = {"v": 1, "sub": ADDRESS, "iat": 0, "exp": 2**40}
    signed = f"s402.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(SECRET, signed.encode(), hashlib.sha256).digest()
    with pytest.raises(SessionInvalidError):
        tokens.verify(f"{signed}.{b64(mac)}")


def test_unknown_version_refused(tokens: SessionTokens) -> None:
    claims = {"v": 2, "sub": ADDRESS, "iat": 0, "exp": 2**40}
    signed = f"s402.{b64(json.dumps(claims).encode())}"
    token = f"{signed}.{b64(tokens._mac(signed))}"
    with pytest.raises(SessionInvalidError):
        tokens.verify(token)


@pytest.mark.parametrize(
    "token",
    ["", "s402", "s402..", "s402.a.b.c", "jwt.a.b", "s402.!!!.???", "s402.é.é",
     "s402." + "a" * 600 + ".b", "Bearer s402.a.b"],
)  # fmt: skip
def test_garbage_refused(tokens: SessionTokens, token: str) -> None:
    with pytest.raises(SessionInvalidError):
        tokens.verify(token)


def test_issue_refuses_a_non_address(tokens: SessionTokens) -> None:
    with pytest.raises(ValueError):
        tokens.issue("not-an-address")


@pytest.mark.parametrize(("secret", "ttl_s"), [(b"short", 600), (SECRET, 0)])
def test_unusable_configuration(clock: FrozenClock, secret: bytes, ttl_s: int) -> None:
    with pytest.raises(ConfigError):
        SessionTokens(secret, ttl_s, clock)
