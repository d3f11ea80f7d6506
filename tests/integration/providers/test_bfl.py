"""The BFL adapter against the fake BFL API: exact request bodies, polling and every scenario."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from studio402.errors import ProviderRejectedError, ProviderUnavailableError
from studio402.providers.base import generate
from studio402.providers.bfl import BFLProvider, flux_dimensions
from studio402.providers.errors import UpstreamOutputExpiredError
from studio402.testing.fake_upstreams import Scenario
from studio402.testing.fake_upstreams.bfl import MODERATION_REASON, FakeBFL
from tests.integration.providers.conftest import FAST, REFERENCE_PNG, make_request, read_reference


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBFL]:
    with FakeBFL().serve() as server:
        yield server


@pytest.fixture
async def provider(fake: FakeBFL):  # type: ignore[no-untyped-def]
    fake.set_scenario(Scenario.SUCCESS)
    fake.requests.clear()
    async with httpx.AsyncClient() as http:
        yield BFLProvider(
            api_key="bfl-key",
            base_url=fake.base_url,
            http=http,
            references=read_reference,
            policy=FAST,
        )


def flux(operation: str = "generate", model: str = "flux-2-pro", **fields: object):  # type: ignore[no-untyped-def]
    return make_request(model, operation, model, **fields)


@pytest.mark.parametrize(
    ("ratio", "resolution", "size"),
    [
        ("1:1", "1 MP", (1024, 1024)),
        ("16:9", "1 MP", (1360, 768)),
        ("9:16", "2 MP", (1088, 1920)),
        ("1:1", "4 MP", (2048, 2048)),
        ("4:5", "0.5 MP", (640, 800)),
    ],
)
def test_flux_dimensions_are_multiples_of_16_within_the_budget(
    ratio: str, resolution: str, size: tuple[int, int]
) -> None:
    width, height = flux_dimensions(ratio, resolution)
    assert (width, height) == size
    assert width % 16 == 0 and height % 16 == 0
    assert width * height <= float(resolution.split()[0]) * 1024 * 1024


async def test_generate_submits_the_documented_body_and_polls(
    fake: FakeBFL, provider: BFLProvider
) -> None:
    request = flux(
        aspect_ratio="16:9",
        resolution="1 MP",
        output_format="png",
        safety_tolerance=2,
        prompt_upsampling=False,
    )
    [image] = await generate(provider, request)
    [submit] = fake.calls("/v1/flux-2-pro", method="POST")
    assert submit.headers["x-key"] == "bfl-key"
    assert submit.json() == {
        "prompt": "a red fox in the snow",
        "width": 1360,
        "height": 768,
        "output_format": "png",
        "safety_tolerance": 2,
        "prompt_upsampling": False,
    }
    polls = fake.calls("/v1/get_result")
    assert len(polls) == 1
    assert polls[0].query["id"].startswith("task-")
    assert polls[0].headers["x-key"] == "bfl-key"
    assert (image.width, image.height, image.data) == (80, 48, fake.image)
    assert image.metadata["upstreamCost"] == {
        "usd": "0.045",
        "source": "cost",
        "credits": 4.5,
        "input_mp": 1.0,
        "output_mp": 1.0,
    }


async def test_edit_sends_references_as_input_image_fields(
    fake: FakeBFL, provider: BFLProvider
) -> None:
    await generate(
        provider, flux("edit", "flux-2-max", references=3, images=["https://x/a.png"] * 3)
    )
    body = fake.calls("/v1/flux-2-max", method="POST")[0].json()
    encoded = base64.b64encode(REFERENCE_PNG).decode()
    assert body == {
        "prompt": "a red fox in the snow",
        "input_image": encoded,
        "input_image_2": encoded,
        "input_image_3": encoded,
    }


async def test_slow_task_is_polled_until_ready(fake: FakeBFL, provider: BFLProvider) -> None:
    fake.set_scenario(Scenario.SLOW)
    [image] = await generate(provider, flux())
    assert image.data == fake.image
    assert len(fake.calls("/v1/get_result")) == fake.slow_polls + 1


async def test_moderated_task_is_content_refused(fake: FakeBFL, provider: BFLProvider) -> None:
    fake.set_scenario(Scenario.REFUSAL)
    with pytest.raises(ProviderRejectedError) as caught:
        await generate(provider, flux())
    assert (caught.value.code, caught.value.retryable) == ("content_refused", False)
    assert "Request Moderated" in caught.value.message and MODERATION_REASON in caught.value.message


async def test_429_then_success(fake: FakeBFL, provider: BFLProvider) -> None:
    fake.set_scenario(Scenario.RATE_LIMITED)
    [image] = await generate(provider, flux())
    assert image.data == fake.image
    assert len(fake.calls("/v1/flux-2-pro", method="POST")) == 2


async def test_5xx_is_retryable(fake: FakeBFL, provider: BFLProvider) -> None:
    fake.set_scenario(Scenario.SERVER_ERROR)
    with pytest.raises(ProviderUnavailableError) as caught:
        await generate(provider, flux())
    assert caught.value.retryable and "503" in caught.value.message
    assert len(fake.calls("/v1/flux-2-pro", method="POST")) == FAST.attempts


async def test_expired_output_url_is_a_retryable_expiry(
    fake: FakeBFL, provider: BFLProvider
) -> None:
    fake.set_scenario(Scenario.EXPIRED)
    with pytest.raises(UpstreamOutputExpiredError) as caught:
        await generate(provider, flux())
    assert caught.value.code == "upstream_output_expired"
    assert caught.value.retryable is True
    assert "404" in caught.value.message
    assert len(fake.calls("/files/")) == 1
