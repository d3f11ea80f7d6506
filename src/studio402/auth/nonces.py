"""SIWX nonces: minted and recognised statelessly, consumed exactly once.

Two halves:

* :class:`SignedNonces` mints the nonce a challenge carries and later tells, with no table,
  whether we issued it and when it expires. A nonce is 48 lowercase hex characters,
  alphanumeric as EIP-4361 wants (``8*( ALPHA / DIGIT )``; JS ``siwe`` 2.3.2 and Python
  ``signinwithethereum`` 5 check ``[a-zA-Z0-9]{8,}`` and set no maximum)::

      <16 hex random> <8 hex expiry, unix seconds> <24 hex HMAC-SHA256 truncated to 96 bits>

* a :class:`NonceStore` remembers consumed nonces until they expire, so a signed proof works
  once. :class:`MemoryNonceStore` is for tests and single-process runs; :class:`SqlNonceStore`
  uses an ``INSERT`` that fails on the primary key, which is atomic on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Table, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from studio402.clock import utc
from studio402.errors import ConfigError

__all__ = [
    "NONCE_LENGTH",
    "MemoryNonceStore",
    "NonceStore",
    "SignedNonces",
    "SqlNonceStore",
]

_RANDOM_HEX = 16
_EXPIRY_HEX = 8
_MAC_HEX = 24
NONCE_LENGTH = _RANDOM_HEX + _EXPIRY_HEX + _MAC_HEX
_NONCE_RE = re.compile(rf"[0-9a-f]{{{NONCE_LENGTH}}}")
_KEY_LABEL = b"studio402/siwx-nonce/v1"
MIN_SECRET_BYTES = 32


class SignedNonces:
    """Mints HMAC-bound nonces and recognises our own (uses a key derived for this purpose only)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ConfigError(f"the SIWX secret must be at least {MIN_SECRET_BYTES} bytes")
        self._key = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()

    def mint(self, expires_at: datetime) -> str:
        """A fresh nonce that expires at ``expires_at`` (rounded up to the whole second)."""
        expiry = utc(expires_at).timestamp()
        expiry_s = int(expiry) + (0 if expiry == int(expiry) else 1)
        if not 0 < expiry_s < 16**_EXPIRY_HEX:
            raise ValueError("nonce expiry out of range")
        body = secrets.token_hex(_RANDOM_HEX // 2) + f"{expiry_s:0{_EXPIRY_HEX}x}"
        return body + self._mac(body)

    def expiry_of(self, nonce: str) -> datetime | None:
        """When our nonce expires, or ``None`` if ``nonce`` was not minted with this secret."""
        if not _NONCE_RE.fullmatch(nonce):
            return None
        body, mac = nonce[:-_MAC_HEX], nonce[-_MAC_HEX:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        return datetime.fromtimestamp(int(body[_RANDOM_HEX:], 16), UTC)

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).hexdigest()[:_MAC_HEX]


class NonceStore(Protocol):
    """Remembers consumed nonces until they expire."""

    async def consume(self, nonce: str, expires_at: datetime) -> bool:
        """Mark ``nonce`` used; ``True`` the first time, ``False`` on every later call."""
        ...

    async def purge_expired(self, now: datetime) -> int:
        """Forget nonces that expired before ``now``; return how many were removed."""
        ...


class MemoryNonceStore:
    """An in-process :class:`NonceStore` (tests, single-process runs)."""

    def __init__(self) -> None:
        self._used: dict[str, datetime] = {}
        self._lock = asyncio.Lock()

    async def consume(self, nonce: str, expires_at: datetime) -> bool:
        """Mark ``nonce`` used; ``True`` the first time, ``False`` on every later call."""
        async with self._lock:
            if nonce in self._used:
                return False
            self._used[nonce] = utc(expires_at)
            return True

    async def purge_expired(self, now: datetime) -> int:
        """Forget nonces that expired before ``now``; return how many were removed."""
        cutoff = utc(now)
        async with self._lock:
            stale = [nonce for nonce, expires_at in self._used.items() if expires_at < cutoff]
            for nonce in stale:
                del self._used[nonce]
            return len(stale)


class SqlNonceStore:
    """A :class:`NonceStore` on the app database (table from :func:`~.tables.siwx_nonces_table`).

    ``consume`` is one ``INSERT`` in its own transaction: the primary key makes a second insert of
    the same nonce fail, on SQLite and PostgreSQL alike, even across processes.
    """

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self._engine = engine
        self._table = table

    async def consume(self, nonce: str, expires_at: datetime) -> bool:
        """Mark ``nonce`` used; ``True`` the first time, ``False`` on every later call."""
        statement = insert(self._table).values(nonce=nonce, expires_at=utc(expires_at))
        try:
            async with self._engine.begin() as connection:
                await connection.execute(statement)
        except IntegrityError:
            return False
        return True

    async def purge_expired(self, now: datetime) -> int:
        """Delete nonces that expired before ``now``; return how many rows went."""
        statement = delete(self._table).where(self._table.c.expires_at < utc(now))
        async with self._engine.begin() as connection:
            result = await connection.execute(statement)
        return int(result.rowcount)
