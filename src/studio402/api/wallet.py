"""Who is calling: a SIGN-IN-WITH-X proof or a session token; without either, a SIWX challenge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from x402.http.utils import safe_base64_encode

from studio402.api.deps import ServicesDep
from studio402.auth.siwx import HEADER_NAME
from studio402.errors import ForbiddenError, Studio402Error
from studio402.payments.x402 import PAYMENT_REQUIRED_HEADER

SESSION_HEADER = "X-Session-Token"
SESSION_EXPIRES_HEADER = "X-Session-Expires-At"
STATEMENT = "Sign in to studio402 to read the jobs this wallet paid for"
_URI_SAFE = "/%:@!$&'()*+,;=-._~"


class SignInRequiredError(Studio402Error):
    """Sign in with the wallet that paid (SIGN-IN-WITH-X) to read this."""

    code = "sign_in_required"
    status = 402

    def __init__(self, challenge: dict[str, Any]) -> None:
        super().__init__()
        self.challenge = challenge


@dataclass(frozen=True)
class Caller:
    """An authenticated wallet, and the session token issued if it just signed in."""

    address: str
    session_token: str | None = None
    session_expires_at: datetime | None = None

    def owns(self, payer: str) -> None:
        """Raise :class:`ForbiddenError` unless this wallet is ``payer``."""
        if self.address.lower() != payer.lower():
            raise ForbiddenError(
                "this wallet did not pay for the job; sign in with the wallet that paid"
            )

    def annotate(self, response: Response) -> None:
        """Hand a freshly issued session token back in response headers."""
        if self.session_token and self.session_expires_at:
            response.headers[SESSION_HEADER] = self.session_token
            response.headers[SESSION_EXPIRES_HEADER] = self.session_expires_at.isoformat()


async def authenticate(request: Request, services: ServicesDep) -> Caller:
    """The caller's wallet from ``Authorization: Bearer`` or ``SIGN-IN-WITH-X``."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return Caller(services.sessions.verify(authorization[7:].strip()))
    proof = request.headers.get(HEADER_NAME)
    if proof:
        address = await services.siwx.verify(proof)
        token, expires_at = services.sessions.issue(address)
        return Caller(address, token, expires_at)
    resource = services.settings.resolved_public_url + _raw_path(request)
    if request.url.query:
        resource += "?" + quote(request.url.query, safe=_URI_SAFE + "?")
    raise SignInRequiredError(
        challenge_document(services.siwx.challenge(resource, STATEMENT), resource)
    )


def _raw_path(request: Request) -> str:
    """The request path percent-encoded as sent: a SIWX resource must be a valid URI."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path
    return quote(path, safe=_URI_SAFE)


def challenge_document(extension: dict[str, Any], resource: str) -> dict[str, Any]:
    """The x402 ``PaymentRequired`` of an auth-only route: no ``accepts``, one SIWX extension."""
    return {
        "x402Version": 2,
        "error": "Sign in with the wallet that paid (SIGN-IN-WITH-X)",
        "resource": {"url": resource, "mimeType": "application/json"},
        "accepts": [],
        "extensions": {"sign-in-with-x": extension},
    }


def challenge_headers(document: dict[str, Any]) -> dict[str, str]:
    """``PAYMENT-REQUIRED`` carrying the SIWX challenge."""
    return {
        PAYMENT_REQUIRED_HEADER: safe_base64_encode(json.dumps(document, separators=(",", ":"))),
        "Cache-Control": "no-store",
    }


CallerDep = Annotated[Caller, Depends(authenticate)]
