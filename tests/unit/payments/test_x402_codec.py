"""Header codecs and authorization parsing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from x402.http.utils import decode_payment_required_header
from x402.schemas import ResourceInfo

from studio402.errors import MalformedPaymentError
from studio402.payments.x402 import (
    Rail,
    decode_payment,
    encode_challenge,
    extract_authorization,
    idempotency_key_of,
    payload_digest,
)


def b64(value: object) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_challenge_round_trips_through_the_sdk_decoder(rail: Rail) -> None:
    header = encode_challenge([rail.requirements(240000)], ResourceInfo(url="http://h/r"))
    decoded = decode_payment_required_header(header)
    assert decoded.x402_version == 2
    assert decoded.accepts[0].amount == "240000"
    assert decoded.accepts[0].extra == {"name": "USD Coin", "version": "2"}


def test_signed_payload_decodes_to_a_normalised_authorization(sign: Callable[..., str]) -> None:
    payload = decode_payment(sign(134000))
    auth = extract_authorization(payload)
    assert auth.value == 134000
    assert auth.payer == auth.payer.lower() and auth.nonce.startswith("0x")
    assert auth.valid_before > auth.valid_after


def test_digest_differs_between_two_signatures(sign: Callable[..., str]) -> None:
    assert payload_digest(decode_payment(sign())) != payload_digest(decode_payment(sign()))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda a: a.pop("nonce"),
        lambda a: a.update(nonce="0x1234"),
        lambda a: a.update(value="lots"),
        lambda a: a.update(to="0xnothex"),
    ],
)
def test_malformed_authorizations_are_refused(sign: Callable[..., str], mutate: object) -> None:
    data = json.loads(base64.b64decode(sign()))
    mutate(data["payload"]["authorization"])  # type: ignore[operator]
    with pytest.raises(MalformedPaymentError):
        extract_authorization(decode_payment(b64(data)))


def test_oversized_header_is_refused() -> None:
    with pytest.raises(MalformedPaymentError, match="too large"):
        decode_payment("A" * 20_000)


def test_payment_identifier_extension_is_read_and_checked(sign: Callable[..., str]) -> None:
    data = json.loads(base64.b64decode(sign()))
    data["extensions"] = {"payment-identifier": {"info": {"id": "pay_0123456789abcdef"}}}
    assert idempotency_key_of(decode_payment(b64(data))) == "pay_0123456789abcdef"
    data["extensions"]["payment-identifier"]["info"]["id"] = "short"
    with pytest.raises(MalformedPaymentError):
        idempotency_key_of(decode_payment(b64(data)))
