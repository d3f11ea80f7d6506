"""Route binding of x402 payments: pympp/mppx's ``extensions.mppx``, in ``"resource"`` mode.

Every paid 402 advertises, in ``PAYMENT-REQUIRED.extensions.mppx``, the route it quotes (HTTP
method, path scope, body digest), built by pympp's :func:`~mpp.x402._server.route_extensions`. An
x402 client that understands it (mppx) echoes it with a random salt and signs the EIP-3009 nonce
``sha256(jcs(accepted) | jcs(resource) | jcs(extensions))``; such a *bound* payment is checked
here exactly: same resource URL, same route info, and the nonce must be that hash.

Other x402 clients (the official SDKs, agentcash) cannot produce the binding. pympp's default,
``route_binding="required"``, refuses them on every framework route ("does not bind required
route metadata"); we run ``"resource"`` so they are accepted, bound by the echoed ``accepted``
terms (the exact price of this body, to our ``payTo``; the gate checks those). Unlike pympp we do
not refuse an unbound payment whose echoed ``resource`` names another URL: the resource sits
outside the signature, and a job belongs to the wallet that paid, so it cannot be misused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from mpp.x402._server import (
    ROUTE_BINDING_EXTENSION,
    RouteBinding,
    route_extensions,
    route_nonce,
)

from studio402.errors import PaymentRequiredError

__all__ = ["ROUTE_BINDING", "ROUTE_BINDING_EXTENSION", "binding_extension", "check_binding"]

ROUTE_BINDING: RouteBinding = "resource"
"""pympp's ``route_binding`` mode we run: official x402 clients need ``"resource"``."""


def binding_extension(http_method: str, scope: Mapping[str, Any], digest: str) -> dict[str, Any]:
    """The ``extensions`` entry (``{"mppx": {...}}``) describing one route and body."""
    return route_extensions(http_method=http_method, scope=dict(scope), digest=digest)


def check_binding(
    header_value: str,
    *,
    resource_url: str,
    expected: Mapping[str, Any],
    mode: RouteBinding = ROUTE_BINDING,
) -> None:
    """Refuse an x402 payment whose route binding does not match this route and body.

    ``expected`` is :func:`binding_extension` for this request. An undecodable header is left
    to the payment gate, which reports it. Raises :class:`PaymentRequiredError`
    (reason ``route_binding_mismatch`` or ``route_binding_required``).
    """
    payment = _decode(header_value)
    if payment is None:
        return
    extensions = _object(payment.get("extensions"))
    binding = _object(extensions.get(ROUTE_BINDING_EXTENSION))
    info = _object(binding.get("info"))
    if not isinstance(info.get("nonce"), str):
        if mode == "required":
            raise _refuse("route_binding_required", "payment does not bind this route")
        return
    wanted = expected[ROUTE_BINDING_EXTENSION]
    resource = payment.get("resource")
    if not isinstance(resource, dict) or resource.get("url") != resource_url:
        raise _refuse("route_binding_mismatch", "payment resource is not this route")
    echoed_info = {key: value for key, value in info.items() if key != "nonce"}
    if echoed_info != wanted["info"] or binding.get("schema") != wanted["schema"]:
        raise _refuse("route_binding_mismatch", "payment binds another route or body")
    authorization = _object(_object(payment.get("payload")).get("authorization"))
    nonce = str(authorization.get("nonce", "")).lower()
    accepted = payment.get("accepted")
    if not isinstance(accepted, dict) or nonce != route_nonce(
        accepted=accepted, resource=resource, extensions=extensions
    ):
        raise _refuse("route_binding_mismatch", "authorization nonce does not match the binding")


def _decode(header_value: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(base64.b64decode(header_value.strip(), validate=False))
    except (binascii.Error, ValueError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _refuse(reason: str, message: str) -> PaymentRequiredError:
    return PaymentRequiredError(f"x402 route binding refused: {message}", reason=reason)
