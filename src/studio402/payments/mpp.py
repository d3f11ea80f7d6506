"""MPP (the ``Payment`` HTTP authentication scheme), method ``evm``, intent ``charge``, via pympp.

Every paid 402 offers MPP beside x402 for the same amount of the same token
(``WWW-Authenticate: Payment id=…, realm=…, method="evm", intent="charge", request=…, expires=…,
digest=…, opaque=…``). The id is pympp's stateless HMAC-SHA256 over every other parameter, under
a key of our own; ``digest`` binds the request body and the request's ``_mppx_scope`` binds the
route. A credential (``Authorization: Payment <b64url JSON>``) carries an EIP-3009
``transferWithAuthorization`` signed with ``nonce = challenge hash``. :meth:`MppMethod.verify`
checks everything the echo binds, then hands back the authorization in x402 ``exact`` form, so the
payment gate claims, verifies and settles it exactly like an x402 payment (same ledger row key,
same facilitator, same idempotency); the facilitator checks signature, time window and balance.

Challenge hash: pympp 0.16 (and mppx ``main``) sign ``keccak256(JSON.stringify([id, realm]))``;
the published mppx 0.11.0 and the spec text sign ``keccak256(id ‖ realm)``. Both are accepted: an
id is a fixed-length HMAC, so either form binds the authorization to exactly one challenge.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from mpp import BodyDigest, Challenge, Credential, Receipt, generate_challenge_id
from mpp._parsing import ParseError  # raised by Credential.from_authorization, not re-exported
from mpp.methods.evm import challenge_hash
from x402.schemas import PaymentPayload

from studio402.clock import Clock
from studio402.errors import MalformedPaymentError, PaymentRequiredError
from studio402.payments.x402 import Authorization, Rail, extract_authorization

__all__ = [
    "AUTHORIZATION_HEADER",
    "INTENT",
    "METHOD",
    "PAYMENT_RECEIPT_HEADER",
    "WWW_AUTHENTICATE_HEADER",
    "MppCharge",
    "MppMethod",
    "legacy_challenge_hash",
    "payment_credential",
    "route_scope",
]

METHOD = "evm"
INTENT = "charge"
CREDENTIAL_TYPE = "authorization"
WWW_AUTHENTICATE_HEADER = "WWW-Authenticate"
AUTHORIZATION_HEADER = "Authorization"
PAYMENT_RECEIPT_HEADER = "Payment-Receipt"
MAX_CREDENTIAL_CHARS = 64 * 1024

_PKH = re.compile(r"^did:pkh:eip155:([0-9]{1,16}):(0x[0-9a-fA-F]{40})$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")


@dataclass(frozen=True)
class MppCharge:
    """A credential that passed every MPP check, ready for the payment gate."""

    challenge_id: str
    payload: PaymentPayload
    authorization: Authorization


def payment_credential(authorization_header: str | None) -> str | None:
    """The ``Payment …`` credential inside an ``Authorization`` value (RFC 9110 list), if any."""
    if not authorization_header:
        return None
    for part in authorization_header.split(","):
        scheme = part.strip()
        if scheme[:8].lower() == "payment ":
            return scheme
    return None


def route_scope(route: str, http_method: str = "POST") -> dict[str, str]:
    """The route identity bound into challenges (pympp's ``_mppx_scope``)."""
    return {"http_method": http_method.upper(), "resource": route}


def legacy_challenge_hash(challenge_id: str, realm: str) -> str:
    """``keccak256(id ‖ realm)``: the EIP-3009 nonce mppx 0.11.0 and the spec text sign."""
    return "0x" + keccak(text=challenge_id + realm).hex()


class MppMethod:
    """Issues and verifies MPP ``evm/charge`` challenges for one token on one chain."""

    def __init__(
        self,
        rail: Rail,
        *,
        secret: bytes,
        realm: str,
        chain_id: int,
        decimals: int,
        clock: Clock,
        ttl_s: int = 300,
        max_validity_s: int = 3600,
    ) -> None:
        self.rail = rail
        self.realm = realm
        self.chain_id = chain_id
        self.decimals = decimals
        self.clock = clock
        self.ttl_s = ttl_s
        self.max_validity_s = max_validity_s
        self._key = secret.hex()
        self._currency = to_checksum_address(rail.asset)
        self._recipient = to_checksum_address(rail.pay_to)

    def request(self, amount_atomic: int, route: str, http_method: str = "POST") -> dict[str, Any]:
        """The ``evm/charge`` request a challenge for ``route`` at ``amount_atomic`` carries."""
        return {
            "_mppx_scope": route_scope(route, http_method),
            "amount": str(amount_atomic),
            "currency": self._currency,
            "recipient": self._recipient,
            "methodDetails": {
                "chainId": self.chain_id,
                "credentialTypes": [CREDENTIAL_TYPE],
                "decimals": self.decimals,
            },
        }

    def challenge(
        self, amount_atomic: int, route: str, body: bytes, description: str | None = None
    ) -> Challenge:
        """A fresh challenge (unique id) for this amount, route and exact request body."""
        expires = self.clock.now() + timedelta(seconds=self.ttl_s)
        return Challenge.create(
            secret_key=self._key,
            realm=self.realm,
            method=METHOD,
            intent=INTENT,
            request=self.request(amount_atomic, route),
            expires=expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
            digest=BodyDigest.compute(body),
            description=description,
            meta={"_mpp_nonce": secrets.token_hex(16)},
        )

    def www_authenticate(self, challenge: Challenge) -> str:
        """The ``WWW-Authenticate`` value of a challenge."""
        return challenge.to_www_authenticate(self.realm)

    def verify(
        self, credential_value: str, amount_atomic: int, route: str, body: bytes
    ) -> MppCharge:
        """Check a ``Payment`` credential against this route, price and body.

        Raises :class:`PaymentRequiredError` with an MPP reason (``malformed_credential``,
        ``invalid_challenge``, ``payment_expired``, ``verification_failed``) so the caller
        answers a fresh 402; nothing has been claimed or charged at that point.
        """
        credential = _parse(credential_value)
        echo = credential.challenge
        request, opaque = _decode_echo(echo.request, echo.opaque)
        expected_id = generate_challenge_id(
            secret_key=self._key,
            realm=echo.realm,
            method=echo.method,
            intent=echo.intent,
            request=request,
            expires=echo.expires,
            digest=echo.digest,
            opaque=opaque,
            header=echo.header,
        )
        if not hmac.compare_digest(echo.id.encode(), expected_id.encode()):
            raise _refuse("invalid_challenge", "challenge was not issued by this server")
        if (echo.realm, echo.method, echo.intent) != (self.realm, METHOD, INTENT):
            raise _refuse("invalid_challenge", "credential does not match this route's method")
        if request != self.request(amount_atomic, route):
            raise _refuse(
                "invalid_challenge", "credential request does not match this route and body's price"
            )
        if not echo.digest or not BodyDigest.verify(echo.digest, body):
            raise _refuse("invalid_challenge", "body digest mismatch: send the same body")
        expires = _instant(echo.expires)
        now = self.clock.now()
        if expires <= now:
            raise _refuse("payment_expired", f"challenge expired at {echo.expires}")
        payload = self._authorization_payload(credential, echo.id, expires, now)
        x402_payload = PaymentPayload(
            x402_version=2,
            accepted=self.rail.requirements(amount_atomic),
            payload={
                "authorization": {
                    key: payload[key]
                    for key in ("from", "to", "value", "validAfter", "validBefore", "nonce")
                },
                "signature": payload["signature"],
            },
        )
        try:
            authorization = extract_authorization(x402_payload)
        except MalformedPaymentError as exc:
            raise _refuse("invalid_payload", exc.message) from exc
        return MppCharge(echo.id, x402_payload, authorization)

    def receipt(self, reference: str, challenge_id: str | None = None) -> str:
        """The ``Payment-Receipt`` value of a settled payment (``reference`` = tx hash)."""
        extensions: dict[str, Any] = {"chainId": self.chain_id}
        if challenge_id:
            extensions["challengeId"] = challenge_id
        return Receipt(
            status="success",
            timestamp=self.clock.now(),
            reference=reference,
            method=METHOD,
            extensions=extensions,
        ).to_payment_receipt()

    def _authorization_payload(
        self, credential: Credential, challenge_id: str, expires: datetime, now: datetime
    ) -> dict[str, str]:
        payload = credential.payload
        if not isinstance(payload, dict) or payload.get("type") != CREDENTIAL_TYPE:
            raise _refuse(
                "verification_failed", "payload must be an EIP-3009 'authorization' credential"
            )
        fields = ("from", "to", "value", "validAfter", "validBefore", "nonce", "signature")
        if not all(isinstance(payload.get(key), str) for key in fields):
            raise _refuse("verification_failed", f"authorization needs string fields {fields}")
        values = {key: str(payload[key]) for key in fields}
        if not _SIGNATURE.match(values["signature"]):
            raise _refuse("verification_failed", "signature must be 65 bytes of hex")
        nonce = values["nonce"].lower()
        if nonce not in (
            challenge_hash(challenge_id, self.realm),
            legacy_challenge_hash(challenge_id, self.realm),
        ):
            raise _refuse("verification_failed", "EVM authorization challenge hash mismatch")
        limit = max(int(now.timestamp()) + self.max_validity_s, int(expires.timestamp()))
        if values["validBefore"].isdigit() and int(values["validBefore"]) > limit:
            raise _refuse("verification_failed", "authorization is valid for too long")
        if credential.source is not None:
            match = _PKH.match(credential.source)
            if (
                match is None
                or int(match.group(1)) != self.chain_id
                or match.group(2).lower() != values["from"].lower()
            ):
                raise _refuse("verification_failed", "credential source is not the payer")
        return values


def _parse(credential_value: str) -> Credential:
    if len(credential_value) > MAX_CREDENTIAL_CHARS:
        raise _refuse("malformed_credential", "Authorization header is too large")
    try:
        return Credential.from_authorization(credential_value)
    except (ParseError, ValueError, TypeError, KeyError) as exc:
        raise _refuse("malformed_credential", f"not a Payment credential: {exc}") from exc


def _decode_echo(
    request_b64: str, opaque_b64: str | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    request = _b64url_json(request_b64)
    opaque = _b64url_json(opaque_b64) if opaque_b64 else None
    if not isinstance(request, dict) or (opaque is not None and not isinstance(opaque, dict)):
        raise _refuse("malformed_credential", "challenge request and opaque must be objects")
    return request, opaque


def _b64url_json(value: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise _refuse("malformed_credential", "challenge echo is not base64url JSON") from exc


def _instant(value: str | None) -> datetime:
    try:
        parsed = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _refuse("invalid_challenge", "challenge has no valid expires")
    return parsed


def _refuse(reason: str, message: str) -> PaymentRequiredError:
    return PaymentRequiredError(f"MPP credential refused: {message}", reason=reason)
