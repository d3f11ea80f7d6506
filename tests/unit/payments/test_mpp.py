"""MPP evm/charge: challenge shape, HMAC-bound ids, digest, expiry, both challenge-hash forms."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime

import pytest
from eth_account import Account
from mpp import Challenge, Credential, Receipt, canonical_b64url
from mpp.methods.evm import challenge_hash

from studio402.clock import FrozenClock
from studio402.errors import PaymentRequiredError
from studio402.payments.mpp import (
    MppMethod,
    legacy_challenge_hash,
    payment_credential,
)
from studio402.payments.x402 import Rail
from studio402.testing.mpp import sign_credential

from .conftest import PAY_TO, PAYER, PAYER_KEY, TOKEN

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = b'{"prompt":"a cat"}'
SECRET = b"k" * 32


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))


@pytest.fixture
def mpp(rail: Rail, clock: FrozenClock) -> MppMethod:
    return MppMethod(
        rail,
        secret=SECRET,
        realm="127.0.0.1:8402",
        chain_id=31337,
        decimals=6,
        clock=clock,
        ttl_s=300,
        max_validity_s=10**9,
    )


def issued(mpp: MppMethod, amount: int = 134000, body: bytes = BODY) -> Challenge:
    """A challenge as a client reads it back from the WWW-Authenticate header."""
    header = mpp.www_authenticate(mpp.challenge(amount, ROUTE, body, "Nano Banana Pro"))
    return Challenge.from_www_authenticate(header)


def refusal(
    mpp: MppMethod, credential: str, *, amount: int = 134000, route: str = ROUTE, body: bytes = BODY
) -> PaymentRequiredError:
    with pytest.raises(PaymentRequiredError) as caught:
        mpp.verify(credential, amount, route, body)
    return caught.value


def test_challenge_offers_evm_charge_for_the_exact_amount_token_and_payee(mpp: MppMethod) -> None:
    challenge = issued(mpp)
    assert (challenge.method, challenge.intent, challenge.realm) == (
        "evm",
        "charge",
        "127.0.0.1:8402",
    )
    assert challenge.request == {
        "_mppx_scope": {"http_method": "POST", "resource": ROUTE},
        "amount": "134000",
        "currency": TOKEN,
        "recipient": PAY_TO,
        "methodDetails": {"chainId": 31337, "credentialTypes": ["authorization"], "decimals": 6},
    }
    assert challenge.expires == "2026-11-25T12:05:00Z"
    assert challenge.digest is not None and challenge.digest.startswith("sha-256=")
    assert challenge.verify(SECRET.hex(), "127.0.0.1:8402")
    assert challenge.id != issued(mpp).id  # unique per challenge: one authorization each


def test_credential_yields_the_authorization_in_x402_form(mpp: MppMethod, rail: Rail) -> None:
    challenge = issued(mpp)
    charge = mpp.verify(sign_credential(challenge, PAYER_KEY), 134000, ROUTE, BODY)
    assert charge.challenge_id == challenge.id
    assert charge.authorization.payer == PAYER.lower()
    assert charge.authorization.to == PAY_TO.lower()
    assert charge.authorization.value == 134000
    assert charge.authorization.nonce == challenge_hash(challenge.id, challenge.realm)
    assert charge.payload.accepted == rail.requirements(134000)
    assert set(charge.payload.payload) == {"authorization", "signature"}


@pytest.mark.parametrize("legacy", [False, True], ids=["pympp-json-hash", "mppx-0.11-concat"])
def test_both_challenge_hash_derivations_are_accepted(mpp: MppMethod, legacy: bool) -> None:
    challenge = issued(mpp)
    charge = mpp.verify(
        sign_credential(challenge, PAYER_KEY, legacy_hash=legacy), 134000, ROUTE, BODY
    )
    derive = legacy_challenge_hash if legacy else challenge_hash
    assert charge.authorization.nonce == derive(challenge.id, challenge.realm)


def test_the_two_derivations_differ_and_legacy_is_keccak_of_the_concatenation() -> None:
    from eth_utils.crypto import keccak

    assert legacy_challenge_hash("abc", "host") == "0x" + keccak(text="abchost").hex()
    assert legacy_challenge_hash("abc", "host") != challenge_hash("abc", "host")


def test_tampered_challenge_id_is_refused(mpp: MppMethod) -> None:
    challenge = dataclasses.replace(issued(mpp), id="A" * 43)
    assert refusal(mpp, sign_credential(challenge, PAYER_KEY)).reason == "invalid_challenge"


def test_tampered_amount_breaks_the_hmac(mpp: MppMethod) -> None:
    challenge = issued(mpp)
    request = {**challenge.request, "amount": "1"}
    cheaper = dataclasses.replace(challenge, request=request, request_b64=canonical_b64url(request))
    error = refusal(mpp, sign_credential(cheaper, PAYER_KEY))
    assert error.reason == "invalid_challenge"
    assert "not issued by this server" in error.message


def test_challenge_from_another_secret_is_refused(
    mpp: MppMethod, rail: Rail, clock: FrozenClock
) -> None:
    other = MppMethod(
        rail, secret=b"z" * 32, realm="127.0.0.1:8402", chain_id=31337, decimals=6, clock=clock
    )
    assert refusal(mpp, sign_credential(issued(other), PAYER_KEY)).reason == "invalid_challenge"


def test_expired_challenge_is_refused(mpp: MppMethod, clock: FrozenClock) -> None:
    credential = sign_credential(issued(mpp), PAYER_KEY)
    clock.advance(301)
    error = refusal(mpp, credential)
    assert error.reason == "payment_expired"
    assert "expired" in error.message


def test_wrong_body_digest_is_refused(mpp: MppMethod) -> None:
    credential = sign_credential(issued(mpp), PAYER_KEY)
    error = refusal(mpp, credential, body=b'{"prompt":"a dog"}')
    assert error.reason == "invalid_challenge"
    assert "digest" in error.message


def test_credential_for_another_route_or_price_is_refused(mpp: MppMethod) -> None:
    credential = sign_credential(issued(mpp), PAYER_KEY)
    assert refusal(mpp, credential, route="/api/generate/grok/generate").reason == (
        "invalid_challenge"
    )
    assert refusal(mpp, credential, amount=240000).reason == "invalid_challenge"


def test_nonce_not_bound_to_the_challenge_is_refused(mpp: MppMethod) -> None:
    credential = sign_credential(issued(mpp), PAYER_KEY, nonce="0x" + "11" * 32)
    error = refusal(mpp, credential)
    assert (error.reason, "challenge hash mismatch" in error.message) == (
        "verification_failed",
        True,
    )


def test_source_naming_another_wallet_is_refused(mpp: MppMethod) -> None:
    value = sign_credential(issued(mpp), PAYER_KEY)
    credential = Credential.from_authorization(value)
    other = Account.create().address
    forged = dataclasses.replace(credential, source=f"did:pkh:eip155:31337:{other}")
    assert refusal(mpp, forged.to_authorization()).reason == "verification_failed"


@pytest.mark.parametrize("value", ["Payment", "Payment !!!", "Payment " + "e30"])
def test_malformed_credentials_are_refused_with_a_fresh_challenge(
    mpp: MppMethod, value: str
) -> None:
    assert refusal(mpp, value).reason == "malformed_credential"


def test_payment_credential_is_found_in_an_authorization_list() -> None:
    assert payment_credential(None) is None
    assert payment_credential("Bearer abc") is None
    assert payment_credential("Bearer abc, Payment eyJ9") == "Payment eyJ9"
    assert payment_credential("payment eyJ9") == "payment eyJ9"


def test_receipt_names_the_transaction_chain_and_challenge(mpp: MppMethod) -> None:
    value = mpp.receipt("0x" + "ab" * 32, "challenge-1")
    receipt = Receipt.from_payment_receipt(value)
    assert (receipt.status, receipt.method, receipt.reference) == (
        "success",
        "evm",
        "0x" + "ab" * 32,
    )
    decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    assert decoded["chainId"] == 31337 and decoded["challengeId"] == "challenge-1"
