"""Decoding SIGN-IN-WITH-X values: base64 or legacy JSON, and what counts as malformed."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from studio402.auth.siwx import SiwxMalformedError, SiwxVerifier, parse_siwx_header

from .conftest import ADDRESS, VECTORS, Info, encode, sign_fields

_FIRST_LETTER = next(i for i, c in enumerate(ADDRESS) if i > 1 and c.isalpha())
BAD_CHECKSUM = (
    ADDRESS[:_FIRST_LETTER] + ADDRESS[_FIRST_LETTER].swapcase() + ADDRESS[_FIRST_LETTER + 1 :]
)


def test_parse_maps_every_field() -> None:
    proof = parse_siwx_header(VECTORS["py"]["all_fields"]["header"])
    assert proof.chain_id == "eip155:8453"
    assert proof.issued_at == "2026-01-15T10:30:00.000Z"
    assert proof.not_before == "2026-01-15T10:29:00.000Z"
    assert proof.request_id == "req-42"
    assert proof.resources is not None and len(proof.resources) == 2
    assert proof.type == "eip191"
    assert proof.signature_scheme is None


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("%%%not-base64%%%", "base64"),
        ("eyJub3QiOiJ9x", "base64"),  # one character too many
        (base64.b64encode(b"\xff\xfe").decode(), "base64"),  # not UTF-8
        (base64.b64encode(b"not json").decode(), "json"),
        (base64.b64encode(b"[1, 2]").decode(), "json"),
        ("{not json", "json"),
        ("A" * 9000, "too_long"),
    ],
)
async def test_malformed_header(verifier: SiwxVerifier, header: str, reason: str) -> None:
    with pytest.raises(SiwxMalformedError) as caught:
        await verifier.verify(header)
    assert caught.value.details["reason"] == reason


@pytest.mark.parametrize(
    "field", ["domain", "address", "uri", "version", "chainId", "type", "nonce", "issuedAt",
              "signature"],
)  # fmt: skip
async def test_missing_field(verifier: SiwxVerifier, local_info: Info, field: str) -> None:
    fields = sign_fields(local_info)
    del fields[field]
    with pytest.raises(SiwxMalformedError) as caught:
        await verifier.verify(encode(fields))
    assert caught.value.details == {"reason": "missing", "field": field}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("chainId", 8453, "type"),
        ("nonce", ["a"], "type"),
        ("statement", 5, "type"),
        ("resources", "http://127.0.0.1:8402/", "type"),
        ("resources", [1], "type"),
        ("statement", "line one\nURI: http://evil.example", "value"),
        ("address", "0x1234", "value"),
        ("address", BAD_CHECKSUM, "value"),
    ],
)
async def test_wrong_field_type_or_value(
    verifier: SiwxVerifier, local_info: Info, field: str, value: Any, reason: str
) -> None:
    fields = {**sign_fields(local_info), field: value}
    with pytest.raises(SiwxMalformedError) as caught:
        await verifier.verify(json.dumps(fields))
    assert caught.value.details == {"reason": reason, "field": field}


async def test_null_optional_fields_are_absent(verifier: SiwxVerifier, local_info: Info) -> None:
    fields = {**sign_fields(local_info), "notBefore": None, "requestId": None}
    assert await verifier.verify(json.dumps(fields)) == ADDRESS
