"""Signed, expiring URLs for files we serve ourselves (``GET /files/<key>?exp=&sig=``).

The signature is ``HMAC-SHA256(secret, "studio402/files/v1\\n" + key + "\\n" + exp)``, written
in URL-safe base64 without padding, so it binds both the key and the expiry: changing either one
invalidates the URL. ``exp`` is a Unix time in seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

from studio402.errors import Studio402Error
from studio402.storage.keys import validate_key

__all__ = ["MIN_SECRET_BYTES", "SignedUrlError", "SignedUrlExpiredError", "UrlSigner"]

MIN_SECRET_BYTES = 32
"""Shortest accepted signing secret."""

_DOMAIN = b"studio402/files/v1"


class SignedUrlError(Studio402Error):
    """The file URL is not valid: its signature does not match."""

    code = "invalid_signature"
    status = 403


class SignedUrlExpiredError(SignedUrlError):
    """The file URL has expired: poll the job again for a fresh one."""

    code = "url_expired"


class UrlSigner:
    """Mint and check ``/files/<key>?exp=<unix>&sig=<mac>`` URLs with one HMAC secret."""

    def __init__(self, secret: bytes, *, route_prefix: str = "/files") -> None:
        """Use ``secret`` (at least 32 bytes) to sign paths under ``route_prefix``.

        Raises:
            ValueError: the secret is too short.
        """
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the URL signing secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._route_prefix = route_prefix.rstrip("/")

    def signature(self, key: str, expires_at: int) -> str:
        """Return the URL-safe base64 HMAC that binds ``key`` to ``expires_at``."""
        message = b"\n".join((_DOMAIN, key.encode(), str(int(expires_at)).encode()))
        mac = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def sign(self, path_key: str, expires_at: int) -> str:
        """Return the relative URL ``<prefix>/<key>?exp=<expires_at>&sig=<mac>``.

        ``expires_at`` is a Unix time in seconds; join the result to the public base URL.

        Raises:
            ValueError: ``path_key`` is not a valid object key.
        """
        validate_key(path_key)
        sig = self.signature(path_key, expires_at)
        return f"{self._route_prefix}/{quote(path_key, safe='/')}?exp={int(expires_at)}&sig={sig}"

    def verify(self, key: str, exp: int, sig: str, now: float) -> None:
        """Check a signed URL's parts at Unix time ``now`` (seconds).

        The signature is compared in constant time before the expiry is looked at, so an
        expired-URL answer only ever goes to someone who held a genuine URL.

        Raises:
            SignedUrlError: the signature does not match ``key`` and ``exp``.
            SignedUrlExpiredError: the signature matches but ``now >= exp``.
        """
        expected = self.signature(key, exp).encode("ascii")
        if not hmac.compare_digest(expected, sig.encode("utf-8", "replace")):
            raise SignedUrlError()
        if now >= exp:
            raise SignedUrlExpiredError(expired_at=exp)
