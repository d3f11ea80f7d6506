"""The sign-in-with-x challenge: SDK shape, domain convention, argument checks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from studio402.auth.challenge import (
    SiwxChallenge,
    normalize_chain_id,
    normalize_origin,
    origin_of,
)
from studio402.auth.siwx import SiwxVerifier
from studio402.errors import ConfigError

from .conftest import ISSUED_AT, SECRET, VECTORS


def test_challenge_has_the_x402_sdk_shape(verifier: SiwxVerifier) -> None:
    challenge = verifier.challenge("/api/jobs/job123", "Sign in to poll your studio402 job")
    assert set(challenge) == {"info", "supportedChains", "schema"}
    info = challenge["info"]
    assert list(info) == ["domain", "uri", "version", "nonce", "issuedAt", "expirationTime",
                          "statement", "resources"]  # fmt: skip
    assert info["domain"] == "127.0.0.1:8402"
    assert info["uri"] == "http://127.0.0.1:8402/api/jobs/job123"
    assert info["resources"] == [info["uri"]]
    assert info["version"] == "1"
    assert info["issuedAt"] == "2026-01-15T10:30:30.000Z"
    assert info["expirationTime"] == "2026-01-15T10:35:30.000Z"
    assert re.fullmatch(r"[0-9a-f]{48}", info["nonce"])
    assert challenge["supportedChains"] == [
        {"chainId": "eip155:8453", "type": "eip191"},
        {"chainId": "eip155:84532", "type": "eip191"},
    ]
    schema = challenge["schema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["domain", "address", "uri", "version", "chainId", "type",
                                  "nonce", "issuedAt", "signature"]  # fmt: skip


def test_challenge_matches_the_vectors() -> None:
    challenge = SiwxChallenge(SECRET).issue_challenge(
        "http://127.0.0.1:8402",
        "http://127.0.0.1:8402/api/jobs/job123",
        "Sign in to poll your studio402 job",
        ["eip155:8453"],
        ISSUED_AT,
    )
    expected = VECTORS["challenges"]["local"]
    assert {**challenge["info"], "nonce": "n"} == {**expected["info"], "nonce": "n"}
    assert challenge["supportedChains"] == expected["supportedChains"]
    assert challenge["schema"] == expected["schema"]


def test_every_challenge_has_a_new_nonce(verifier: SiwxVerifier) -> None:
    nonces = {verifier.challenge("/j", "Sign in")["info"]["nonce"] for _ in range(50)}
    assert len(nonces) == 50


def test_nonce_expires_with_the_challenge() -> None:
    challenge = SiwxChallenge(SECRET, ttl_s=60)
    info = challenge.issue_challenge("https://a.example", "https://a.example/x", "Hi", [1],
                                     ISSUED_AT)["info"]  # fmt: skip
    assert challenge.nonces.expiry_of(info["nonce"]) == ISSUED_AT + timedelta(seconds=60)
    assert info["expirationTime"] == "2026-01-15T10:31:00.000Z"


def test_challenge_accepts_an_absolute_uri_on_our_origin(verifier: SiwxVerifier) -> None:
    info = verifier.challenge("http://127.0.0.1:8402/v1/jobs/j%201?wait=3", "Sign in")["info"]
    assert info["uri"] == "http://127.0.0.1:8402/v1/jobs/j%201?wait=3"


@pytest.mark.parametrize(
    ("resource", "statement", "chains"),
    [
        ("https://evil.example/api/jobs/1", "Sign in", [8453]),  # another origin
        ("http://127.0.0.1:8403/api/jobs/1", "Sign in", [8453]),  # another port
        ("http://127.0.0.1:8402/a b", "Sign in", [8453]),  # not an RFC 3986 URI
        ("http://127.0.0.1:8402/a", "two\nlines", [8453]),
        ("http://127.0.0.1:8402/a", "", [8453]),
        ("http://127.0.0.1:8402/a", '100% "sure"', [8453]),
        ("http://127.0.0.1:8402/a", "Sign in", []),
        ("http://127.0.0.1:8402/a", "Sign in", ["solana:mainnet"]),
    ],
)
def test_issue_challenge_refuses_bad_arguments(
    resource: str, statement: str, chains: list[str | int]
) -> None:
    with pytest.raises(ValueError):
        SiwxChallenge(SECRET).issue_challenge(
            "http://127.0.0.1:8402", resource, statement, chains, ISSUED_AT
        )


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("http://127.0.0.1:8402", ("http://127.0.0.1:8402", "127.0.0.1:8402")),
        ("https://API.Example.com:443/", ("https://api.example.com", "api.example.com")),
        ("http://example.com:80", ("http://example.com", "example.com")),
        ("https://example.com:8443", ("https://example.com:8443", "example.com:8443")),
        ("http://[::1]:8402", ("http://[::1]:8402", "[::1]:8402")),
        ("http://localhost:8402", ("http://localhost:8402", "localhost:8402")),
    ],
)
def test_normalize_origin(origin: str, expected: tuple[str, str]) -> None:
    assert normalize_origin(origin) == expected


@pytest.mark.parametrize(
    "origin",
    ["127.0.0.1:8402", "ftp://a.example", "https://a.example/v1", "https://a.example?x=1",
     "https://u:p@a.example", "https://a.example:99999", "https://"],
)  # fmt: skip
def test_normalize_origin_refuses(origin: str) -> None:
    with pytest.raises(ConfigError):
        normalize_origin(origin)


def test_origin_of() -> None:
    assert origin_of("HTTPS://A.example:443/x?y=1#z") == "https://a.example"
    assert origin_of("mailto:a@b.example") is None
    assert origin_of("http://a.example/x y") is None


@pytest.mark.parametrize(("raw", "caip2"), [(8453, "eip155:8453"), ("84532", "eip155:84532"),
                                            ("eip155:31337", "eip155:31337")])  # fmt: skip
def test_normalize_chain_id(raw: str | int, caip2: str) -> None:
    assert normalize_chain_id(raw) == caip2


@pytest.mark.parametrize("raw", ["eip155:", "0", "eip155:0x2105", "base", "solana:abc", -1])
def test_normalize_chain_id_refuses(raw: str | int) -> None:
    with pytest.raises(ValueError):
        normalize_chain_id(raw)
