"""Sign-In-With-X (x402 ``sign-in-with-x``, CAIP-122 / EIP-4361): poll a paid job without paying.

A request without proof gets a challenge (:meth:`SiwxVerifier.challenge`: server-issued,
HMAC-bound, 5-minute, single-use nonce); the client signs the EIP-4361 text
(:func:`build_siwe_message`) with EIP-191 ``personal_sign`` and retries with
``SIGN-IN-WITH-X: base64(JSON)`` (or raw JSON, as pre-2026 clients do); :meth:`SiwxVerifier.verify`
returns the EIP-55 signer or raises an :class:`~studio402.errors.AuthError` whose ``code`` says why.

Domain convention: ``info.domain`` is the authority of the configured public origin, host plus
port, the port dropped when it is the scheme's default (``https://api.example.com`` gives
``api.example.com``, ``http://127.0.0.1:8402`` gives ``127.0.0.1:8402``). No client computes it:
``@x402/extensions`` 2.9.0 ``createSIWxPayload`` (called by agentcash 0.14.4 on the spread
challenge ``info``) and x402 2.25.0 ``create_siwx_payload`` copy ``domain`` verbatim, but the
Python SDK client (like newer TS and Go ones) refuses a challenge whose ``domain`` is not the
host[:port] of the URL that answered, so the bare host of the StableStudio router
(``new URL(uri).hostname``) fails there on a non-default port; host:port suits every client and
is an RFC 3986 authority as EIP-4361 asks. On default ports (production) it is the bare host,
as StableStudio sends. ``uri`` must be on the configured origin; neither is taken from ``Host``.

Limitation: only EOA signatures are recovered locally. Smart wallets (EIP-1271 / EIP-6492) pass
only if an async ``contract_verifier(address, message, signature)`` is given (an RPC call).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from eth_utils.address import to_checksum_address

from studio402.auth.challenge import (
    CHALLENGE_TTL_S,
    SIGN_IN_WITH_X,
    SIGNATURE_TYPE,
    SiwxChallenge,
    normalize_chain_id,
    normalize_origin,
    origin_of,
)
from studio402.auth.nonces import NonceStore
from studio402.auth.siwe import (
    ContractSignatureVerifier,
    SiwxProof,
    build_siwe_message,
    is_evm_address,
    recover_personal_sign,
    siwe_message_variants,
)
from studio402.clock import Clock, utc
from studio402.errors import AuthError, ConfigError

__all__ = [
    "HEADER_NAME", "SIGN_IN_WITH_X", "ContractSignatureVerifier", "SiwxBadSignatureError",
    "SiwxChallenge", "SiwxDomainMismatchError", "SiwxExpiredError", "SiwxForeignNonceError",
    "SiwxIssuedAtInvalidError", "SiwxMalformedError", "SiwxNonceReusedError",
    "SiwxNotYetValidError", "SiwxProof", "SiwxUnsupportedChainError", "SiwxUriMismatchError",
    "SiwxVerifier", "build_siwe_message", "parse_siwx_header",
]  # fmt: skip

HEADER_NAME = "SIGN-IN-WITH-X"
MAX_HEADER_CHARS = 8192
_REQUIRED = ("domain", "address", "uri", "version", "chainId", "type", "nonce", "issuedAt",
             "signature")  # fmt: skip
_OPTIONAL = ("statement", "expirationTime", "notBefore", "requestId", "signatureScheme")


class SiwxMalformedError(AuthError):
    """The SIGN-IN-WITH-X header cannot be decoded."""

    code = "siwx_malformed"


class SiwxDomainMismatchError(AuthError):
    """The SIWX domain is not this server's."""

    code = "siwx_domain_mismatch"


class SiwxUriMismatchError(AuthError):
    """The SIWX URI is not on this server's origin."""

    code = "siwx_uri_mismatch"


class SiwxExpiredError(AuthError):
    """The SIWX message expired: request a new challenge."""

    code = "siwx_expired"


class SiwxNotYetValidError(AuthError):
    """The SIWX message is not valid yet (notBefore is in the future)."""

    code = "siwx_not_yet_valid"


class SiwxIssuedAtInvalidError(AuthError):
    """The SIWX issuedAt is unreadable or in the future."""

    code = "siwx_issued_at_invalid"


class SiwxUnsupportedChainError(AuthError):
    """The SIWX chain or signature type is not accepted here."""

    code = "siwx_unsupported_chain"


class SiwxForeignNonceError(AuthError):
    """The SIWX nonce was not issued by this server: request a new challenge."""

    code = "siwx_foreign_nonce"


class SiwxNonceReusedError(AuthError):
    """The SIWX nonce was already used: request a new challenge."""

    code = "siwx_nonce_reused"


class SiwxBadSignatureError(AuthError):
    """The SIWX signature does not belong to the claimed address."""

    code = "siwx_bad_signature"


def parse_siwx_header(value: str) -> SiwxProof:
    """Decode a ``SIGN-IN-WITH-X`` value: base64 (standard or URL-safe, padding optional) of a
    JSON object, or that JSON object itself (legacy clients).

    Raises :class:`SiwxMalformedError` with ``details["reason"]`` one of ``empty``,
    ``too_long``, ``base64``, ``json``, ``missing``, ``type`` or ``value`` (and ``field``).
    """
    text = value.strip()
    if not text or len(text) > MAX_HEADER_CHARS:
        reason = "too_long" if text else "empty"
        raise SiwxMalformedError(f"the SIGN-IN-WITH-X header is {reason}", reason=reason)
    if not text.startswith("{"):
        altchars = b"-_" if "-" in text or "_" in text else None
        try:
            padded = text + "=" * (-len(text) % 4)
            text = base64.b64decode(padded, altchars=altchars, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise SiwxMalformedError("SIGN-IN-WITH-X is not base64", reason="base64") from None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise SiwxMalformedError("SIGN-IN-WITH-X is not a JSON object", reason="json")
    fields = {name: _string_field(payload, name, required=True) for name in _REQUIRED}
    fields |= {name: _string_field(payload, name, required=False) for name in _OPTIONAL}
    resources = payload.get("resources")
    if resources is not None:
        if not isinstance(resources, list):
            raise SiwxMalformedError("resources is not a list", reason="type", field="resources")
        resources = tuple(_string_field({"resources": item}, "resources") for item in resources)
    address = str(fields["address"])
    if not is_evm_address(address):
        raise SiwxMalformedError("address is not an EVM address", reason="value", field="address")
    return SiwxProof(
        domain=str(fields["domain"]), address=address, uri=str(fields["uri"]),
        version=str(fields["version"]), chain_id=str(fields["chainId"]), type=str(fields["type"]),
        nonce=str(fields["nonce"]), issued_at=str(fields["issuedAt"]),
        signature=str(fields["signature"]), statement=fields["statement"],
        expiration_time=fields["expirationTime"], not_before=fields["notBefore"],
        request_id=fields["requestId"], resources=resources,
        signature_scheme=fields["signatureScheme"],
    )  # fmt: skip


def _string_field(payload: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = payload.get(name)
    if value is None:
        if required:
            raise SiwxMalformedError(f"{name} is missing", reason="missing", field=name)
        return None
    if not isinstance(value, str):
        raise SiwxMalformedError(f"{name} must be a string", reason="type", field=name)
    if "\n" in value or "\r" in value:  # a line break could shift the signed text's fields
        raise SiwxMalformedError(f"{name} holds a line break", reason="value", field=name)
    return value


def _parse_time(name: str, value: str | None, error: type[AuthError]) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise error(f"{name} is not an RFC 3339 time", reason="value", field=name)
    return utc(moment)


class SiwxVerifier:
    """Checks ``SIGN-IN-WITH-X`` proofs against our origin, chains, nonces and clock.

    ``secret`` (32+ bytes) keys the nonce HMAC; ``origin`` is the public ``http(s)://host[:port]``;
    ``nonce_store`` makes each proof single-use; ``clock_skew_s`` tolerates other replicas'
    clocks. Raises :class:`~studio402.errors.ConfigError` for an unusable configuration.
    """

    def __init__(
        self,
        secret: bytes,
        origin: str,
        supported_chain_ids: Iterable[str | int],
        nonce_store: NonceStore,
        clock: Clock,
        *,
        ttl_s: int = CHALLENGE_TTL_S,
        clock_skew_s: float = 5.0,
        contract_verifier: ContractSignatureVerifier | None = None,
    ) -> None:
        self.origin, self.domain = normalize_origin(origin)
        try:
            self.chain_ids = tuple(dict.fromkeys(map(normalize_chain_id, supported_chain_ids)))
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        if not self.chain_ids:
            raise ConfigError("SIWX needs at least one supported chain id")
        self._challenges = SiwxChallenge(secret, ttl_s=ttl_s)
        self._nonce_store = nonce_store
        self._clock = clock
        self._max_age = timedelta(seconds=ttl_s)
        self._skew = timedelta(seconds=clock_skew_s)
        self._contract_verifier = contract_verifier

    def challenge(self, resource: str, statement: str) -> dict[str, Any]:
        """A fresh challenge for ``resource``: a raw path (``/v1/jobs/j1?x=1``) or a URI on
        our origin. ``ValueError`` if it is neither (see :meth:`SiwxChallenge.issue_challenge`)."""
        uri = self.origin + resource if resource.startswith("/") else resource
        return self._challenges.issue_challenge(
            self.origin, uri, statement, self.chain_ids, self._clock.now()
        )

    async def verify(self, header_value: str) -> str:
        """Verify a ``SIGN-IN-WITH-X`` value, consume its nonce, return the EIP-55 signer.

        Checks in order, raising the first failure: malformed (incl. version), unsupported chain
        or signature type, domain, URI origin, foreign nonce, issuedAt (unreadable, future),
        expired (issuedAt too old, expirationTime or nonce past), not yet valid, bad signature,
        reused nonce. The nonce is consumed only when all else passed.
        """
        proof = parse_siwx_header(header_value)
        if proof.version != "1":
            raise SiwxMalformedError("unsupported SIWX version", reason="value", field="version")
        if proof.type != SIGNATURE_TYPE or proof.chain_id not in self.chain_ids:
            raise SiwxUnsupportedChainError(chain_id=proof.chain_id, type=proof.type)
        if proof.domain.lower() != self.domain:
            raise SiwxDomainMismatchError(expected=self.domain, got=proof.domain)
        if origin_of(proof.uri) != self.origin:
            raise SiwxUriMismatchError(expected=self.origin, got=proof.uri)
        nonce_expires_at = self._challenges.nonces.expiry_of(proof.nonce)
        if nonce_expires_at is None:
            raise SiwxForeignNonceError()
        self._check_times(proof, nonce_expires_at)
        address = await self._check_signature(proof)
        if not await self._nonce_store.consume(proof.nonce, nonce_expires_at):
            raise SiwxNonceReusedError()
        return address

    def _check_times(self, proof: SiwxProof, nonce_expires_at: datetime) -> None:
        now, skew = utc(self._clock.now()), self._skew
        issued_at = _parse_time("issuedAt", proof.issued_at, SiwxIssuedAtInvalidError)
        if issued_at is None or issued_at > now + skew:
            raise SiwxIssuedAtInvalidError("issuedAt is in the future", issued_at=proof.issued_at)
        expires_at = _parse_time("expirationTime", proof.expiration_time, SiwxMalformedError)
        if (
            now - issued_at > self._max_age + skew
            or now > nonce_expires_at + skew
            or (expires_at is not None and now > expires_at + skew)
        ):
            raise SiwxExpiredError()
        not_before = _parse_time("notBefore", proof.not_before, SiwxMalformedError)
        if not_before is not None and not_before > now + skew:
            raise SiwxNotYetValidError()

    async def _check_signature(self, proof: SiwxProof) -> str:
        try:
            signature = bytes.fromhex(proof.signature.removeprefix("0x"))
        except ValueError:
            raise SiwxBadSignatureError("the SIWX signature is not hex") from None
        for message in siwe_message_variants(proof):
            recovered = recover_personal_sign(message, signature)
            if recovered is not None and recovered.lower() == proof.address.lower():
                return recovered
        if self._contract_verifier is not None and await self._contract_verifier(
            proof.address, build_siwe_message(proof), signature
        ):
            return str(to_checksum_address(proof.address))
        raise SiwxBadSignatureError()
