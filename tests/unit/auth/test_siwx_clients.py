"""Proofs made by the real clients verify; the EIP-4361 text matches theirs byte for byte."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from studio402.auth.nonces import MemoryNonceStore
from studio402.auth.siwe import build_siwe_message, siwe_message_variants
from studio402.auth.siwx import SiwxDomainMismatchError, SiwxVerifier, parse_siwx_header
from studio402.clock import FrozenClock

from .conftest import LOCAL_ORIGIN, PROD_ORIGIN, VECTORS, Info, sign_fields

CASES = ["local", "prod", "no_statement", "all_fields", "empty_statement", "empty_request_id"]


def origin_for(case: str) -> str:
    return PROD_ORIGIN if case == "prod" else LOCAL_ORIGIN


@pytest.mark.parametrize("case", CASES)
async def test_verify_accepts_official_python_sdk_proof(
    case: str, make_verifier: Callable[..., SiwxVerifier]
) -> None:
    header = VECTORS["py"][case]["header"]
    assert await make_verifier(origin_for(case)).verify(header) == VECTORS["py_address"]


@pytest.mark.parametrize("case", CASES)
async def test_verify_accepts_agentcash_js_proof(
    case: str, make_verifier: Callable[..., SiwxVerifier]
) -> None:
    header = VECTORS["js"][case]["header"]
    assert await make_verifier(origin_for(case)).verify(header) == VECTORS["js_address"]


@pytest.mark.parametrize("client", ["agentcash_cli", "x402_httpx_client"])
async def test_verify_accepts_headers_recorded_from_real_clients(client: str) -> None:
    recorded = VECTORS["recorded"]
    issued_at = datetime.fromisoformat(recorded[client]["issued_at"])
    verifier = SiwxVerifier(
        bytes.fromhex(recorded["secret_hex"]),
        recorded["origin"],
        recorded["chain_ids"],
        MemoryNonceStore(),
        FrozenClock(issued_at + timedelta(seconds=5)),
    )
    assert await verifier.verify(recorded[client]["header"]) == recorded[client]["address"]


def test_agentcash_echoes_the_challenge_domain_with_port() -> None:
    header = VECTORS["recorded"]["agentcash_cli"]["header"]
    proof = parse_siwx_header(header)
    assert proof.domain == "127.0.0.1:8402"
    assert proof.uri == "http://127.0.0.1:8402/api/jobs/job123"


@pytest.mark.parametrize("case", CASES)
def test_build_siwe_message_matches_python_sdk_byte_for_byte(case: str) -> None:
    vector = VECTORS["py"][case]
    assert build_siwe_message(parse_siwx_header(vector["header"])) == vector["message"]


@pytest.mark.parametrize("case", CASES)
def test_message_variants_contain_js_siwe_text(case: str) -> None:
    vector = VECTORS["js"][case]
    variants = siwe_message_variants(parse_siwx_header(vector["header"]))
    assert vector["message"] in variants
    if case not in ("empty_statement", "empty_request_id"):
        assert variants == [vector["message"]]


def test_message_without_statement_has_three_line_breaks_after_address() -> None:
    message = VECTORS["js"]["no_statement"]["message"]
    assert f"{VECTORS['js_address']}\n\n\nURI: " in message
    proof = parse_siwx_header(VECTORS["js"]["no_statement"]["header"])
    assert build_siwe_message(proof) == message


def test_message_field_order() -> None:
    lines = VECTORS["py"]["all_fields"]["message"].split("\n")
    keys = [line.split(":")[0] for line in lines[5:] if not line.startswith("- ")]
    assert keys == ["URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time",
                    "Not Before", "Request ID", "Resources"]  # fmt: skip
    assert lines[7] == "Chain ID: 8453"


async def test_legacy_raw_json_header_accepted(verifier: SiwxVerifier) -> None:
    raw = base64.b64decode(VECTORS["js"]["local"]["header"]).decode()
    assert raw.startswith("{")
    assert await verifier.verify(raw) == VECTORS["js_address"]


async def test_urlsafe_unpadded_base64_accepted(verifier: SiwxVerifier, local_info: Info) -> None:
    fields = sign_fields(local_info, statement="Sign in? yes>>>")
    encoded = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
    assert "-" in encoded or "_" in encoded
    assert await verifier.verify(encoded) == fields["address"]


async def test_bare_host_domain_rejected_when_origin_has_a_port(
    verifier: SiwxVerifier, local_info: Info
) -> None:
    """The StableStudio-router style (hostname only, port kept in the URI) is not what we
    issue on a non-default port, and the Python SDK client would refuse such a challenge."""
    fields = sign_fields(local_info, domain="127.0.0.1")
    with pytest.raises(SiwxDomainMismatchError):
        await verifier.verify(json.dumps(fields))


async def test_bare_host_is_the_domain_on_default_ports(
    make_verifier: Callable[..., SiwxVerifier],
) -> None:
    verifier = make_verifier("https://api.studio402.example:443")
    info = verifier.challenge("/v1/jobs/j_01", "Sign in")["info"]
    assert info["domain"] == "api.studio402.example"
    assert info["uri"] == "https://api.studio402.example/v1/jobs/j_01"
    fields = sign_fields(info)
    assert await verifier.verify(json.dumps(fields)) == fields["address"]
