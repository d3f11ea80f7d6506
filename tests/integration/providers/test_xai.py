"""The xAI adapter against the fake gRPC services: exact request messages and every scenario."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from studio402.errors import ProviderRejectedError, ProviderUnavailableError
from studio402.providers.base import generate
from studio402.providers.errors import UpstreamOutputExpiredError
from studio402.providers.references import Reference
from studio402.providers.xai import XAIProvider
from studio402.testing.fake_upstreams import Scenario
from studio402.testing.fake_upstreams.xai import FakeXAI
from tests.integration.providers.conftest import FAST, REFERENCE_PNG, make_request, read_reference

IMAGE = "grok-imagine-image"
VIDEO = "grok-imagine-video"
DATA_URI = Reference(REFERENCE_PNG, "image/png", 40, 30, "k").data_uri


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeXAI]:
    with FakeXAI().serve() as server:
        yield server


@pytest.fixture
async def provider(fake: FakeXAI) -> AsyncIterator[XAIProvider]:
    fake.set_scenario(Scenario.SUCCESS)
    fake.requests.clear()
    async with httpx.AsyncClient() as http:
        adapter = XAIProvider(
            api_key="xai-key",
            api_host=fake.grpc_target,
            insecure=True,
            http=http,
            references=read_reference,
            policy=FAST,
        )
        yield adapter
        await adapter.aclose()


async def test_image_request_message_and_output(fake: FakeXAI, provider: XAIProvider) -> None:
    [image] = await generate(
        provider, make_request("grok", "generate", IMAGE, aspect_ratio="19.5:9")
    )
    [call] = fake.calls("/xai_api.Image/GenerateImage")
    assert call.headers["authorization"] == "Bearer xai-key"
    assert call.json() == {
        "prompt": "a red fox in the snow",
        "model": IMAGE,
        "n": 1,
        "format": "IMG_FORMAT_URL",
        "aspect_ratio": "IMG_ASPECT_RATIO_19_5_9",
    }
    assert (image.data, image.width, image.height) == (fake.image, 72, 40)
    assert image.metadata["upstreamCost"] == {
        "usd": "0.02",
        "source": "usage.cost_in_usd_ticks",
        "ticks": 200_000_000,
    }


async def test_edit_sends_references_as_data_uris(fake: FakeXAI, provider: XAIProvider) -> None:
    await generate(
        provider, make_request("grok", "edit", IMAGE, references=1, images=["https://x"])
    )
    assert fake.calls("GenerateImage")[0].json()["image"] == {
        "image_url": DATA_URI,
        "detail": "DETAIL_AUTO",
    }
    fake.requests.clear()
    await generate(provider, make_request("grok", "edit", IMAGE, references=2, images=["a", "b"]))
    body = fake.calls("GenerateImage")[0].json()
    assert [item["image_url"] for item in body["images"]] == [DATA_URI, DATA_URI]


async def test_video_is_started_then_polled(fake: FakeXAI, provider: XAIProvider) -> None:
    fake.set_scenario(Scenario.SLOW)
    request = make_request(
        "grok-video",
        "generate",
        VIDEO,
        references=1,
        image="https://x/a.png",
        duration="6",
        aspect_ratio="9:16",
        resolution="720p",
    )
    video, thumbnail = await generate(provider, request)
    [start] = fake.calls("/xai_api.Video/GenerateVideo")
    assert start.json() == {
        "prompt": "a red fox in the snow",
        "model": VIDEO,
        "image": {"image_url": DATA_URI, "detail": "DETAIL_AUTO"},
        "duration": 6,
        "aspect_ratio": "VIDEO_ASPECT_RATIO_9_16",
        "resolution": "VIDEO_RESOLUTION_720P",
    }
    polls = fake.calls("/xai_api.Video/GetDeferredVideo")
    assert len(polls) == fake.slow_polls + 1
    assert polls[0].json() == {"request_id": "vid-1"}
    assert video.data == fake.video and thumbnail.kind == "thumbnail"
    assert video.metadata["upstreamCost"]["usd"] == "0.35"


async def test_moderated_image_is_content_refused(fake: FakeXAI, provider: XAIProvider) -> None:
    fake.set_scenario(Scenario.REFUSAL)
    with pytest.raises(ProviderRejectedError) as caught:
        await generate(provider, make_request("grok", "generate", IMAGE))
    assert (caught.value.code, caught.value.retryable) == ("content_refused", False)
    assert "respect_moderation=false" in caught.value.message


async def test_moderated_video_is_content_refused(fake: FakeXAI, provider: XAIProvider) -> None:
    fake.set_scenario(Scenario.REFUSAL)
    with pytest.raises(ProviderRejectedError):
        await generate(provider, make_request("grok-video", "generate", VIDEO, duration="3"))


async def test_resource_exhausted_then_success(fake: FakeXAI, provider: XAIProvider) -> None:
    fake.set_scenario(Scenario.RATE_LIMITED)
    [image] = await generate(provider, make_request("grok", "generate", IMAGE))
    assert image.data == fake.image
    assert len(fake.calls("GenerateImage")) == 2


async def test_unavailable_is_retryable(fake: FakeXAI, provider: XAIProvider) -> None:
    fake.set_scenario(Scenario.SERVER_ERROR)
    with pytest.raises(ProviderUnavailableError) as caught:
        await generate(provider, make_request("grok-video", "generate", VIDEO, duration="3"))
    assert caught.value.retryable and "UNAVAILABLE" in caught.value.message
    assert len(fake.calls("GenerateVideo")) == FAST.attempts


async def test_expired_output_url_is_a_retryable_expiry(
    fake: FakeXAI, provider: XAIProvider
) -> None:
    fake.set_scenario(Scenario.EXPIRED)
    with pytest.raises(UpstreamOutputExpiredError):
        await generate(provider, make_request("grok", "generate", IMAGE))
    with pytest.raises(UpstreamOutputExpiredError):
        await generate(provider, make_request("grok-video", "generate", VIDEO, duration="3"))
