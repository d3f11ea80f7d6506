"""Schemathesis: property-based requests built from our own /openapi.json, sent to the served app.

The app runs under uvicorn on 127.0.0.1 with a scripted facilitator (no chain), so nothing can be
paid: every generated request (valid and invalid bodies, parameters and headers) meets the
paywall, the SIWX gate or validation. Checked on every answer: no server error, and the status
code, content type, headers and body are the ones the document declares for that operation.
``STUDIO402_SCHEMATHESIS_EXAMPLES`` raises the examples per operation (default 12).

The document is built when this module is imported (Schemathesis needs it to parametrize, and
its fixture-based loader does not support pytest 9); a test checks that the served
``/openapi.json`` is that very document.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from studio402.api.guidance import Context
from studio402.api.openapi import openapi_document
from studio402.app import create_app
from studio402.catalog import Catalog
from studio402.chain.wiring import ChainRuntime
from studio402.payments.x402 import Rail
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.testing.facilitators import ScriptedFacilitator
from studio402.testing.server import free_port, serve_in_thread

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PAY_TO = "0x1111111111111111111111111111111111111111"
PORT = free_port()
BASE_URL = f"http://127.0.0.1:{PORT}"
EXAMPLES = int(os.environ.get("STUDIO402_SCHEMATHESIS_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _settings(data_dir: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        chain={"embedded": False},
        api={"public_url": BASE_URL},
        worker={"in_process": False},
    )


def _document() -> dict[str, Any]:
    settings = _settings(".unused")
    app = create_app(settings)
    catalog = Catalog.load(
        max_prompt_chars=settings.api.max_prompt_chars, overrides=settings.catalog
    )
    context = Context(
        catalog,
        BASE_URL,
        settings.network,
        TOKEN,
        PAY_TO,
        upload_price_atomic=settings.media.upload_price_atomic,
    )
    return openapi_document(app, context)


async def _scripted_services(settings: Settings, catalog: Catalog) -> Services:
    rail = Rail(settings.network, TOKEN, PAY_TO, "USD Coin", "2", 300)
    chain = ChainRuntime(rail.network, rail.asset, rail.pay_to, ScriptedFacilitator(), None)
    return await build_services(settings, catalog=catalog, chain=chain)


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real ASGI app under uvicorn, listening where the document says it is."""
    settings = _settings(str(tmp_path_factory.mktemp("contract")))
    app = create_app(settings, services_factory=_scripted_services)
    with serve_in_thread(app, port=PORT) as base_url:
        yield base_url


def test_the_served_document_is_the_one_under_test(served: str) -> None:
    assert httpx.get(served + "/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_matches_the_document(case: schemathesis.Case, served: str) -> None:
    case.call_and_validate(base_url=served, checks=CHECKS, timeout=30)
