"""Each way a SIWX proof can be wrong raises its own error code."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address

from studio402.auth.nonces import MemoryNonceStore, SignedNonces
from studio402.auth.siwx import (
    SiwxBadSignatureError,
    SiwxDomainMismatchError,
    SiwxExpiredError,
    SiwxForeignNonceError,
    SiwxIssuedAtInvalidError,
    SiwxMalformedError,
    SiwxNonceReusedError,
    SiwxNotYetValidError,
    SiwxUnsupportedChainError,
    SiwxUriMismatchError,
    SiwxVerifier,
)
from studio402.clock import FrozenClock
from studio402.errors import AuthError, ConfigError

from .conftest import (
    ADDRESS,
    ISSUED_AT,
    LOCAL_ORIGIN,
    OTHER_KEY,
    SECRET,
    Info,
    encode,
    sign_fields,
)


async def verify_fields(verifier: SiwxVerifier, fields: dict[str, Any]) -> str:
    return await verifier.verify(encode(fields))


async def test_valid_proof_returns_checksummed_address(
    verifier: SiwxVerifier, local_info: Info
) -> None:
    assert await verify_fields(verifier, sign_fields(local_info)) == ADDRESS


async def test_lowercase_claimed_address_returns_checksummed(
    verifier: SiwxVerifier, local_info: Info
) -> None:
    assert (
        await verify_fields(verifier, sign_fields(local_info, address=ADDRESS.lower())) == ADDRESS
    )


async def test_fresh_challenge_round_trip(verifier: SiwxVerifier, clock: FrozenClock) -> None:
    challenge = verifier.challenge("/api/jobs/job9?wait=5", "Sign in to poll your studio402 job")
    clock.advance(200)
    assert await verify_fields(verifier, sign_fields(challenge["info"])) == ADDRESS


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"domain": "evil.example"}, SiwxDomainMismatchError),
        ({"domain": "127.0.0.1:8403"}, SiwxDomainMismatchError),
        ({"uri": "http://127.0.0.1:9999/api/jobs/job123"}, SiwxUriMismatchError),
        ({"uri": "https://127.0.0.1:8402/api/jobs/job123"}, SiwxUriMismatchError),
        ({"uri": "not a uri"}, SiwxUriMismatchError),
        ({"chainId": "eip155:1"}, SiwxUnsupportedChainError),
        ({"type": "ed25519"}, SiwxUnsupportedChainError),
        ({"issuedAt": "2026-01-15T10:40:00.000Z"}, SiwxIssuedAtInvalidError),
        ({"issuedAt": "yesterday"}, SiwxIssuedAtInvalidError),
        ({"issuedAt": "2026-01-15T10:30:00"}, SiwxIssuedAtInvalidError),
        ({"issuedAt": "2026-01-15T10:20:00.000Z"}, SiwxExpiredError),
        ({"expirationTime": "2026-01-15T10:30:10.000Z"}, SiwxExpiredError),
        ({"notBefore": "2026-01-15T10:45:00.000Z"}, SiwxNotYetValidError),
        ({"notBefore": "soon"}, SiwxMalformedError),
        ({"version": "2"}, SiwxMalformedError),
    ],
)
async def test_each_check_has_its_code(
    verifier: SiwxVerifier, local_info: Info, overrides: dict[str, Any], error: type[AuthError]
) -> None:
    with pytest.raises(error) as caught:
        await verify_fields(verifier, sign_fields(local_info, **overrides))
    assert caught.value.status == 401
    assert caught.value.code.startswith("siwx_")


async def test_non_evm_chain_is_unsupported(verifier: SiwxVerifier, local_info: Info) -> None:
    fields = {**sign_fields(local_info), "chainId": "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"}
    with pytest.raises(SiwxUnsupportedChainError):
        await verify_fields(verifier, fields)


def test_error_codes() -> None:
    codes = {error.code for error in (
        SiwxMalformedError, SiwxDomainMismatchError, SiwxUriMismatchError, SiwxExpiredError,
        SiwxNotYetValidError, SiwxIssuedAtInvalidError, SiwxUnsupportedChainError,
        SiwxForeignNonceError, SiwxNonceReusedError, SiwxBadSignatureError,
    )}  # fmt: skip
    assert codes == {
        "siwx_malformed", "siwx_domain_mismatch", "siwx_uri_mismatch", "siwx_expired",
        "siwx_not_yet_valid", "siwx_issued_at_invalid", "siwx_unsupported_chain",
        "siwx_foreign_nonce", "siwx_nonce_reused", "siwx_bad_signature",
    }  # fmt: skip


async def test_expired_once_the_challenge_lifetime_passed(
    verifier: SiwxVerifier, local_info: Info, clock: FrozenClock
) -> None:
    fields = sign_fields(local_info)
    clock.advance(300)
    with pytest.raises(SiwxExpiredError):
        await verify_fields(verifier, fields)


async def test_expired_by_the_nonce_even_without_expiration_time(
    verifier: SiwxVerifier, local_info: Info, clock: FrozenClock
) -> None:
    fields = sign_fields(local_info, expirationTime=None, issuedAt="2026-01-15T10:34:00.000Z")
    clock.set(ISSUED_AT + timedelta(seconds=310))  # nonce expired at +300 s, 5 s skew allowed
    with pytest.raises(SiwxExpiredError):
        await verify_fields(verifier, fields)


@pytest.mark.parametrize(
    "nonce",
    [
        secrets.token_hex(24),  # right shape, not ours
        secrets.token_hex(16),  # what the x402 SDK servers issue
        "abcdefgh12345678",
        SignedNonces(b"x" * 32).mint(ISSUED_AT),  # another server's secret
    ],
)
async def test_foreign_nonce(verifier: SiwxVerifier, local_info: Info, nonce: str) -> None:
    with pytest.raises(SiwxForeignNonceError):
        await verify_fields(verifier, sign_fields(local_info, nonce=nonce))


@pytest.mark.parametrize("position", [0, 17, 20, -1])
async def test_tampered_nonce(verifier: SiwxVerifier, local_info: Info, position: int) -> None:
    nonce = local_info["nonce"]
    flipped = "0" if nonce[position] != "0" else "1"
    tampered = nonce[:position] + flipped + (nonce[position + 1 :] if position != -1 else "")
    with pytest.raises(SiwxForeignNonceError):
        await verify_fields(verifier, sign_fields(local_info, nonce=tampered))


async def test_extending_the_nonce_expiry_is_detected(
    verifier: SiwxVerifier, local_info: Info
) -> None:
    nonce = local_info["nonce"]
    later = f"{int(nonce[16:24], 16) + 3600:08x}"
    with pytest.raises(SiwxForeignNonceError):
        await verify_fields(
            verifier, sign_fields(local_info, nonce=nonce[:16] + later + nonce[24:])
        )


async def test_replayed_nonce(verifier: SiwxVerifier, local_info: Info) -> None:
    header = encode(sign_fields(local_info))
    assert await verifier.verify(header) == ADDRESS
    with pytest.raises(SiwxNonceReusedError):
        await verifier.verify(header)


async def test_replay_with_another_wallet_on_the_same_nonce(
    verifier: SiwxVerifier, local_info: Info
) -> None:
    await verify_fields(verifier, sign_fields(local_info))
    with pytest.raises(SiwxNonceReusedError):
        await verify_fields(verifier, sign_fields(local_info, key=OTHER_KEY))


async def test_concurrent_replays_succeed_once(verifier: SiwxVerifier, local_info: Info) -> None:
    header = encode(sign_fields(local_info))
    results = await asyncio.gather(*(verifier.verify(header) for _ in range(5)),
                                   return_exceptions=True)  # fmt: skip
    assert results.count(ADDRESS) == 1
    assert all(isinstance(r, SiwxNonceReusedError) for r in results if r != ADDRESS)


async def test_failed_proof_does_not_burn_the_nonce(
    verifier: SiwxVerifier, local_info: Info
) -> None:
    forged = {**sign_fields(local_info), "address": Account.from_key(OTHER_KEY).address}
    with pytest.raises(SiwxBadSignatureError):
        await verify_fields(verifier, forged)
    assert await verify_fields(verifier, sign_fields(local_info)) == ADDRESS


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: {**f, "address": Account.from_key(OTHER_KEY).address},  # someone else's claim
        lambda f: {**f, "statement": "Sign in to poll every job"},  # edited after signing
        lambda f: {**f, "resources": None},
        lambda f: {**f, "signature": f["signature"][:-2]},  # truncated
        lambda f: {**f, "signature": "0x" + "zz" * 65},  # not hex
        lambda f: {**f, "signature": "0x" + "00" * 65},  # unrecoverable
        lambda f: {**f, "signature": f["signature"][:-2] + "05"},  # bad v
    ],
)
async def test_bad_signature(
    verifier: SiwxVerifier, local_info: Info, mutate: Callable[[Info], Info]
) -> None:
    fields = {k: v for k, v in mutate(sign_fields(local_info)).items() if v is not None}
    with pytest.raises(SiwxBadSignatureError):
        await verify_fields(verifier, fields)


async def test_signature_v_may_be_0_or_1(verifier: SiwxVerifier, local_info: Info) -> None:
    fields = sign_fields(local_info)
    v = int(fields["signature"][-2:], 16)
    fields["signature"] = fields["signature"][:-2] + f"{v - 27:02x}"
    assert await verify_fields(verifier, fields) == ADDRESS


async def test_contract_wallet_verifier_consulted_after_eoa_recovery_fails(
    make_verifier: Callable[..., SiwxVerifier], local_info: Info
) -> None:
    calls: list[tuple[str, str, bytes]] = []
    wallet = "0x" + "ab" * 20

    async def contract_verifier(address: str, message: str, signature: bytes) -> bool:
        calls.append((address, message, signature))
        return signature == b"\x01" * 100

    verifier = make_verifier(contract_verifier=contract_verifier)
    fields = {**sign_fields(local_info), "address": wallet, "signature": "0x" + "01" * 100}
    assert await verify_fields(verifier, fields) == to_checksum_address(wallet)
    assert calls[0][1].startswith(
        f"127.0.0.1:8402 wants you to sign in with your Ethereum account:\n{wallet}\n"
    )
    with pytest.raises(SiwxBadSignatureError):
        await verify_fields(verifier, {**fields, "signature": "0x" + "02" * 100})


@pytest.mark.parametrize(
    ("origin", "chains"),
    [
        ("ftp://127.0.0.1", ["eip155:8453"]),
        ("http://127.0.0.1:8402/api", ["eip155:8453"]),
        ("http://user:pw@127.0.0.1:8402", ["eip155:8453"]),
        (LOCAL_ORIGIN, []),
        (LOCAL_ORIGIN, ["solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"]),
    ],
)
def test_unusable_configuration(origin: str, chains: list[str]) -> None:
    with pytest.raises(ConfigError):
        SiwxVerifier(SECRET, origin, chains, MemoryNonceStore(), FrozenClock(ISSUED_AT))


def test_short_secret_refused() -> None:
    with pytest.raises(ConfigError):
        SiwxVerifier(b"short", LOCAL_ORIGIN, [8453], MemoryNonceStore(), FrozenClock(ISSUED_AT))
