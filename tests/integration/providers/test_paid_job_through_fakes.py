"""A paid job end to end through real adapters and fake upstreams: pay on the dev chain, the
worker runs the job through the adapter the settings configure, the output is re-hosted, and the
job completes (or fails with ``content_refused``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from x402.http.clients.httpx import x402AsyncTransport

from studio402.app import create_app
from studio402.client.payer import official_x402_client
from studio402.jobs.models import JobStatus
from studio402.providers.bfl import BFLProvider
from studio402.providers.gemini import GeminiProvider
from studio402.services import Services, build_services
from studio402.settings import Settings
from studio402.testing.chain import RunningDevChain
from studio402.testing.fake_upstreams import Scenario
from studio402.testing.fake_upstreams.bfl import MODERATION_REASON, FakeBFL
from studio402.testing.fake_upstreams.gemini import REFUSAL_TEXT, FakeGemini
from tests.integration.payments.conftest import chain_settings

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeBFL, FakeGemini]]:
    with FakeBFL().serve() as bfl, FakeGemini().serve() as gemini:
        yield bfl, gemini


def settings_with_fakes(
    devchain: RunningDevChain, tmp_path: Path, bfl: FakeBFL, gemini: FakeGemini
) -> Settings:
    base = chain_settings(devchain, tmp_path).model_dump()
    fast = {"max_attempts": 2, "poll_min_s": 0.01, "poll_max_s": 0.05}
    base["providers"] = {
        "bfl": {"api_key": "bfl-key", "base_url": bfl.base_url, **fast},
        "gemini": {"api_key": "gemini-key", "base_url": gemini.base_url, **fast},
    }
    base["worker"] = {"in_process": False, "backoff_base_s": 0.01, "max_attempts": 2}
    base["secret"] = "dev-insecure-secret-change-me"
    base["payments"]["facilitator_key"] = devchain.keys.facilitator
    return Settings.model_validate(base)


@pytest.fixture
async def services(
    devchain: RunningDevChain, tmp_path: Path, fakes: tuple[FakeBFL, FakeGemini]
) -> AsyncIterator[Services]:
    bfl, gemini = fakes
    bfl.set_scenario(Scenario.SUCCESS)
    gemini.set_scenario(Scenario.SUCCESS)
    built = await build_services(settings_with_fakes(devchain, tmp_path, bfl, gemini))
    yield built
    await built.aclose()


async def pay(
    services: Services, devchain: RunningDevChain, route: str, body: dict[str, Any]
) -> str:
    info = devchain.info
    client = official_x402_client(devchain.keys.payer, info.network, info.token_address, 10**7)
    app = create_app(services=services)
    transport = x402AsyncTransport(client, transport=httpx.ASGITransport(app=app))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8402") as http:
        response = await http.post(route, json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["jobId"])


async def test_settings_route_configured_vendors_to_their_adapters(services: Services) -> None:
    assert isinstance(services.providers.resolve("flux-2-pro")[0], BFLProvider)
    assert isinstance(services.providers.resolve("nano-banana-pro")[0], GeminiProvider)
    assert services.providers.resolve("veo-3.1")[0].name == "local"


async def test_paid_flux_job_runs_through_the_bfl_fake_and_is_rehosted(
    services: Services, devchain: RunningDevChain, fakes: tuple[FakeBFL, FakeGemini]
) -> None:
    bfl, _ = fakes
    bfl.set_scenario(Scenario.SLOW)
    job_id = await pay(
        services,
        devchain,
        "/api/generate/flux-2-pro/generate",
        {"prompt": "a lighthouse", "aspect_ratio": "16:9", "resolution": "1 MP"},
    )
    assert await services.worker().run_until_idle() == 1
    job = await services.queue.get(job_id)
    assert job is not None and job.status is JobStatus.COMPLETE, job and job.error
    submit = bfl.calls("/v1/flux-2-pro", method="POST")[-1]
    assert submit.json()["prompt"] == "a lighthouse"
    assert (submit.json()["width"], submit.json()["height"]) == (1360, 768)
    assert job.result is not None
    assert (job.result["width"], job.result["height"]) == (80, 48)
    assert await services.store.get(job.result["imageKey"]) == bfl.image


async def test_a_refusal_fails_the_paid_job_with_content_refused(
    services: Services, devchain: RunningDevChain, fakes: tuple[FakeBFL, FakeGemini]
) -> None:
    _, gemini = fakes
    gemini.set_scenario(Scenario.REFUSAL)
    job_id = await pay(
        services,
        devchain,
        "/api/generate/nano-banana-pro/generate",
        {"prompt": "something refused", "aspectRatio": "1:1", "imageSize": "1K"},
    )
    await services.worker().run_until_idle()
    job = await services.queue.get(job_id)
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error is not None
    assert job.error["code"] == "content_refused"
    assert job.error["retryable"] is False
    assert REFUSAL_TEXT in job.error["message"]
    assert job.attempts == 1


async def test_a_moderated_async_job_fails_without_retrying(
    services: Services, devchain: RunningDevChain, fakes: tuple[FakeBFL, FakeGemini]
) -> None:
    bfl, _ = fakes
    bfl.set_scenario(Scenario.REFUSAL)
    job_id = await pay(
        services,
        devchain,
        "/api/generate/flux-2-pro/generate",
        {"prompt": "moderated", "aspect_ratio": "1:1", "resolution": "1 MP"},
    )
    await services.worker().run_until_idle()
    job = await services.queue.get(job_id)
    assert job is not None and job.status is JobStatus.FAILED and job.error is not None
    assert job.error["code"] == "content_refused" and MODERATION_REASON in job.error["message"]
