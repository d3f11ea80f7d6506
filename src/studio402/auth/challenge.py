"""The ``sign-in-with-x`` challenge a 402/401 answer carries, and the origin and chain rules.

The object has the x402 SDK shape (``{info, supportedChains, schema}``); see
:mod:`studio402.auth.siwx` for why ``info.domain`` is the origin's ``host[:port]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from studio402.auth.nonces import SignedNonces
from studio402.clock import utc
from studio402.errors import ConfigError

__all__ = [
    "CHALLENGE_TTL_S",
    "SIGNATURE_TYPE",
    "SIGN_IN_WITH_X",
    "SiwxChallenge",
    "normalize_chain_id",
    "normalize_origin",
    "origin_of",
]

SIGN_IN_WITH_X = "sign-in-with-x"
"""The extension key in ``PaymentRequired.extensions`` (and the header name, in upper case)."""
CHALLENGE_TTL_S = 300
SIGNATURE_TYPE = "eip191"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHAIN_RE = re.compile(r"(?:eip155:)?([1-9][0-9]{0,17})")
# EIP-4361 ``statement = *( reserved / unreserved / " " )``; the Python SDK client enforces it.
_STATEMENT_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;= ]+")
# What an RFC 3986 URI may hold; the Python SDK client refuses to sign anything else.
_URI_CHARS_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def normalize_origin(origin: str) -> tuple[str, str]:
    """Split a public origin into ``(origin, domain)``, lowercased, default port dropped.

    ``"https://API.example.com:443/"`` gives ``("https://api.example.com", "api.example.com")``;
    ``"http://127.0.0.1:8402"`` gives ``("http://127.0.0.1:8402", "127.0.0.1:8402")``.
    Raises :class:`~studio402.errors.ConfigError` for anything but ``http(s)://host[:port]``.
    """
    parts = urlsplit(origin)
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError(f"SIWX origin {origin!r} must be http(s)://host[:port] and no more")
    normalized = origin_of(origin)
    if normalized is None:
        raise ConfigError(f"SIWX origin {origin!r} must be http(s)://host[:port]")
    return normalized, normalized.split("://", 1)[1]


def origin_of(uri: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URI, normalised; ``None`` if not one."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or not _URI_CHARS_RE.fullmatch(uri):
        return None
    host = f"[{host}]" if ":" in host else host
    authority = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{authority}"


def normalize_chain_id(chain_id: str | int) -> str:
    """``8453``, ``"8453"`` or ``"eip155:8453"`` give ``"eip155:8453"``; else ``ValueError``."""
    match = _CHAIN_RE.fullmatch(str(chain_id))
    if match is None:
        raise ValueError(f"not an EVM chain id: {chain_id!r}")
    return f"eip155:{match.group(1)}"


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as JavaScript's ``toISOString()``: ``...T10:30:00.000Z``."""
    return utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def proof_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of the proof the client sends back, as the x402 SDKs publish it."""
    text = {"type": "string"}
    time = {"type": "string", "format": "date-time"}
    uri = {"type": "string", "format": "uri"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "domain": text, "address": text, "statement": text, "uri": uri, "version": text,
            "chainId": text, "type": text, "nonce": text, "issuedAt": time,
            "expirationTime": time, "notBefore": time, "requestId": text,
            "resources": {"type": "array", "items": uri}, "signature": text,
        },
        "required": ["domain", "address", "uri", "version", "chainId", "type", "nonce",
                     "issuedAt", "signature"],
    }  # fmt: skip


class SiwxChallenge:
    """Builds ``sign-in-with-x`` challenges whose nonces only this secret recognises."""

    def __init__(self, secret: bytes, *, ttl_s: int = CHALLENGE_TTL_S) -> None:
        if ttl_s <= 0:
            raise ConfigError("the SIWX challenge lifetime must be positive")
        self.nonces = SignedNonces(secret)
        self.ttl_s = ttl_s

    def issue_challenge(
        self,
        origin: str,
        resource_uri: str,
        statement: str,
        chain_ids: Iterable[str | int],
        now: datetime,
    ) -> dict[str, Any]:
        """The ``extensions["sign-in-with-x"]`` object: ``{info, supportedChains, schema}``.

        ``info`` holds ``domain`` (the origin's host[:port]), ``uri`` and ``resources``
        (``[uri]``), ``version`` ``"1"``, a fresh HMAC-bound ``nonce``, ``issuedAt`` = ``now``,
        ``expirationTime`` = ``now`` + ``ttl_s`` and ``statement``. ``resource_uri`` must be an
        absolute, percent-encoded URI on ``origin``: build it from the configured origin and the
        raw request path, never from ``Host``. ``statement`` must fit the EIP-4361 grammar
        (printable ASCII without newline, ``%`` or ``"``). Raises ``ValueError`` otherwise.
        """
        base, domain = normalize_origin(origin)
        if origin_of(resource_uri) != base:
            raise ValueError(f"resource {resource_uri!r} is not a URI on origin {base!r}")
        if not _STATEMENT_RE.fullmatch(statement):
            raise ValueError("the statement must be non-empty EIP-4361 text (ASCII, no newline)")
        chains = list(dict.fromkeys(normalize_chain_id(chain_id) for chain_id in chain_ids))
        if not chains:
            raise ValueError("at least one chain id is needed")
        issued_at = utc(now)
        expires_at = issued_at + timedelta(seconds=self.ttl_s)
        info = {
            "domain": domain,
            "uri": resource_uri,
            "version": "1",
            "nonce": self.nonces.mint(expires_at),
            "issuedAt": format_time(issued_at),
            "expirationTime": format_time(expires_at),
            "statement": statement,
            "resources": [resource_uri],
        }
        supported = [{"chainId": chain, "type": SIGNATURE_TYPE} for chain in chains]
        return {"info": info, "supportedChains": supported, "schema": proof_schema()}
