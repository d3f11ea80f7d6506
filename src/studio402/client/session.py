"""Free, wallet-signed requests: answer a SIGN-IN-WITH-X challenge once, then reuse the session
token the server hands back (``X-Session-Token``) until it expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from x402.http.constants import PAYMENT_REQUIRED_HEADER

from studio402.client._http import api_error, send_free
from studio402.client.errors import ApiError, SignInError
from studio402.client.payer import decode_challenge
from studio402.client.siwx import HEADER_NAME, sign_in_with_x
from studio402.client.wallet import Wallet

__all__ = ["SESSION_EXPIRES_HEADER", "SESSION_HEADER", "SignedSession"]

SESSION_HEADER = "X-Session-Token"
SESSION_EXPIRES_HEADER = "X-Session-Expires-At"
_EARLY_S = 30.0


class SignedSession:
    """Sends requests as ``wallet``: bearer token when one is valid, else a SIWX sign-in."""

    def __init__(self, wallet: Wallet, preferred_chain: str | None = None) -> None:
        self.wallet = wallet
        self.preferred_chain = preferred_chain
        self.token: str | None = None
        self.expires_at: datetime | None = None
        self.sign_ins = 0
        self._lock = asyncio.Lock()

    def _valid_token(self) -> str | None:
        if self.token is None or self.expires_at is None:
            return None
        if datetime.now(UTC) + timedelta(seconds=_EARLY_S) >= self.expires_at:
            return None
        return self.token

    def bearer(self) -> dict[str, str]:
        """``Authorization`` for the current token, or ``{}``."""
        token = self._valid_token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def remember(self, response: httpx.Response) -> None:
        """Keep a session token the server issued."""
        token = response.headers.get(SESSION_HEADER)
        expires = response.headers.get(SESSION_EXPIRES_HEADER)
        if not token:
            return
        try:
            expires_at = datetime.fromisoformat(expires) if expires else None
        except ValueError:
            expires_at = None
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        self.token = token
        self.expires_at = expires_at or datetime.now(UTC) + timedelta(minutes=5)

    async def request(
        self, http: httpx.AsyncClient, method: str, url: str, **kwargs: Any
    ) -> httpx.Response:
        """Send ``method url`` authenticated; :class:`SignInError` if the server refuses the
        wallet (401/403), :class:`ApiError` for any other error answer."""
        extra = kwargs.pop("headers", {}) or {}
        response = await self._send(http, method, url, extra, kwargs, self.bearer())
        if response.status_code == 401 and "Authorization" in response.request.headers:
            self.token = None
            response = await self._send(http, method, url, extra, kwargs, {})
        if response.status_code == 402:
            async with self._lock:  # one sign-in at a time; others reuse its token
                auth = self.bearer()
                if auth:
                    response = await self._send(http, method, url, extra, kwargs, auth)
                if response.status_code == 402:
                    proof = self.sign(response)
                    response = await self._send(
                        http, method, url, extra, kwargs, {HEADER_NAME: proof}
                    )
                    self.sign_ins += 1
            if response.status_code == 402:
                refused = api_error(response, "sign-in refused")
                raise SignInError(refused.message, status=402, code=refused.code)
        if not response.is_success:
            raise api_error(response)
        self.remember(response)
        return response

    def sign(self, response: httpx.Response) -> str:
        """The ``SIGN-IN-WITH-X`` header answering the challenge in a 402 ``response``."""
        challenge = decode_challenge(response.headers.get(PAYMENT_REQUIRED_HEADER))
        extension = (challenge.extensions or {}).get("sign-in-with-x")
        if not isinstance(extension, dict) or "info" not in extension:
            raise ApiError(
                "this route asks for payment, not a sign-in", status=402, code="payment_required"
            )
        try:
            return sign_in_with_x(extension, self.wallet.private_key, chain_id=self.preferred_chain)
        except (KeyError, TypeError, ValueError) as exc:
            raise SignInError(f"cannot answer the sign-in challenge: {exc}", status=402) from exc

    async def _send(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str,
        extra: dict[str, str],
        kwargs: dict[str, Any],
        auth: dict[str, str],
    ) -> httpx.Response:
        return await send_free(http, method, url, headers={**extra, **auth}, **kwargs)
