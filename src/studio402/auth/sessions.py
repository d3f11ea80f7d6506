"""Short-lived bearer session tokens bound to a wallet, so a client signs in with SIWX once and
then polls with ``Authorization: Bearer <token>``.

A token is stateless and URL-safe: ``s402.<payload>.<mac>``, where ``payload`` is unpadded
base64url of ``{"v": 1, "sub": <EIP-55 address>, "iat": <unix s>, "exp": <unix s>}`` and
``mac`` is unpadded base64url of HMAC-SHA256 over ``s402.<payload>``. The HMAC key is derived
from the secret with its own label, so it never equals the SIWX nonce key. There is no
revocation: keep ``ttl_s`` short (minutes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import to_checksum_address

from studio402.auth.nonces import MIN_SECRET_BYTES
from studio402.auth.siwe import is_evm_address
from studio402.clock import Clock
from studio402.errors import AuthError, ConfigError

__all__ = ["SessionExpiredError", "SessionInvalidError", "SessionTokens"]

PREFIX = "s402"
TOKEN_VERSION = 1
MAX_TOKEN_CHARS = 512
_KEY_LABEL = b"studio402/session/v1"


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class SessionExpiredError(AuthError):
    """The session token expired: sign in again."""

    code = "session_expired"


class SessionInvalidError(AuthError):
    """The session token is not one of ours."""

    code = "session_invalid"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


class SessionTokens:
    """Issues and checks wallet-bound bearer tokens that live ``ttl_s`` seconds."""

    def __init__(self, secret: bytes, ttl_s: int, clock: Clock) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ConfigError(f"the session secret must be at least {MIN_SECRET_BYTES} bytes")
        if ttl_s <= 0:
            raise ConfigError("the session lifetime must be positive")
        self._key = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()
        self.ttl_s = ttl_s
        self._clock = clock

    def issue(self, address: str) -> tuple[str, datetime]:
        """A token for ``address`` and the aware UTC time it expires (whole seconds).

        Raises ``ValueError`` if ``address`` is not an EVM address.
        """
        if not is_evm_address(address):
            raise ValueError(f"not an EVM address: {address!r}")
        issued_at = int(self._clock.now().timestamp())
        expires_at = issued_at + self.ttl_s
        claims = {
            "v": TOKEN_VERSION,
            "sub": str(to_checksum_address(address)),
            "iat": issued_at,
            "exp": expires_at,
        }
        payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        signed = f"{PREFIX}.{payload}"
        token = f"{signed}.{_b64encode(self._mac(signed))}"
        return token, datetime.fromtimestamp(expires_at, UTC)

    def verify(self, token: str) -> str:
        """The EIP-55 address ``token`` was issued to.

        Raises :class:`SessionInvalidError` if it is malformed, forged or altered, and
        :class:`SessionExpiredError` if it is ours but past its expiry.
        """
        parts = token.strip().split(".")
        if len(token) > MAX_TOKEN_CHARS or len(parts) != 3 or parts[0] != PREFIX:
            raise SessionInvalidError("not a studio402 session token")
        try:
            if not hmac.compare_digest(_b64decode(parts[2]), self._mac(f"{PREFIX}.{parts[1]}")):
                raise SessionInvalidError()
            claims: Any = json.loads(_b64decode(parts[1]))
        except (binascii.Error, ValueError):  # also bad UTF-8 / ASCII and bad JSON
            raise SessionInvalidError() from None
        if (
            not isinstance(claims, dict)
            or claims.get("v") != TOKEN_VERSION
            or not isinstance(claims.get("sub"), str)
            or not _ADDRESS.fullmatch(claims["sub"])
            or type(claims.get("exp")) is not int
        ):
            raise SessionInvalidError("unsupported session token")
        if self._clock.now().timestamp() >= claims["exp"]:
            raise SessionExpiredError()
        # The MAC proves we wrote ``sub``, already EIP-55 checksummed by issue().
        return str(claims["sub"])

    def _mac(self, signed: str) -> bytes:
        return hmac.new(self._key, signed.encode("ascii"), hashlib.sha256).digest()
