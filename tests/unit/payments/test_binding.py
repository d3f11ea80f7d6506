"""x402 route binding (mppx's extensions.mppx) in pympp's "resource" mode."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import pytest
from mpp import BodyDigest

from studio402.errors import PaymentRequiredError
from studio402.payments.binding import ROUTE_BINDING, binding_extension, check_binding
from studio402.payments.mpp import route_scope
from studio402.payments.x402 import Rail
from studio402.testing.payments import sign_payment

from .conftest import PAYER_KEY

ROUTE = "/api/generate/nano-banana-pro/generate"
URL = "http://127.0.0.1:8402" + ROUTE
BODY = b'{"prompt":"a cat"}'


def expected(route: str = ROUTE, body: bytes = BODY) -> dict[str, Any]:
    return binding_extension("POST", route_scope(route), BodyDigest.compute(body))


def bound_header(
    rail: Rail,
    *,
    extensions: dict[str, Any] | None = None,
    nonce: str | None = None,
    url: str = URL,
) -> str:
    """A payment as mppx signs one: the extension echoed with a salt, nonce = route hash."""
    from mpp.x402._server import route_nonce

    echoed = json.loads(json.dumps(extensions or expected()))
    echoed["mppx"]["info"]["nonce"] = secrets.token_hex(32)
    accepted = rail.requirements(134000).model_dump(by_alias=True, exclude_none=True)
    resource = {"url": url, "mimeType": "application/json"}
    payload = {
        "x402Version": 2,
        "accepted": accepted,
        "resource": resource,
        "extensions": echoed,
        "payload": {
            "authorization": {
                "nonce": nonce
                or route_nonce(accepted=accepted, resource=resource, extensions=echoed),
            },
            "signature": "0x00",
        },
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_we_run_resource_mode() -> None:
    assert ROUTE_BINDING == "resource"


def test_official_client_payment_without_binding_is_accepted(rail: Rail) -> None:
    header = sign_payment(PAYER_KEY, rail.requirements(134000))
    check_binding(header, resource_url=URL, expected=expected())


def test_required_mode_would_refuse_the_official_client(rail: Rail) -> None:
    header = sign_payment(PAYER_KEY, rail.requirements(134000))
    with pytest.raises(PaymentRequiredError) as caught:
        check_binding(header, resource_url=URL, expected=expected(), mode="required")
    assert caught.value.reason == "route_binding_required"


def test_bound_payment_for_this_route_and_body_is_accepted(rail: Rail) -> None:
    check_binding(bound_header(rail), resource_url=URL, expected=expected())


@pytest.mark.parametrize("case", ["other_body", "other_route", "nonce", "resource"])
def test_bound_payment_that_does_not_match_is_refused(rail: Rail, case: str) -> None:
    header = {
        "other_body": lambda: bound_header(rail, extensions=expected(body=b"{}")),
        "other_route": lambda: bound_header(rail, extensions=expected("/api/generate/grok/edit")),
        "nonce": lambda: bound_header(rail, nonce="0x" + "22" * 32),
        "resource": lambda: bound_header(rail, url="http://127.0.0.1:8402/elsewhere"),
    }[case]()
    with pytest.raises(PaymentRequiredError) as caught:
        check_binding(header, resource_url=URL, expected=expected())
    assert caught.value.reason == "route_binding_mismatch"


@pytest.mark.parametrize("header", ["%%%", base64.b64encode(b"[1]").decode(), ""])
def test_undecodable_headers_are_left_to_the_gate(header: str) -> None:
    check_binding(header, resource_url=URL, expected=expected())
