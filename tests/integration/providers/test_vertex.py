"""The Vertex (Veo) adapter against the fake Vertex API: exact bodies, the operation, scenarios."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from studio402.errors import ProviderRejectedError, ProviderUnavailableError
from studio402.providers.base import generate
from studio402.providers.errors import UpstreamOutputExpiredError
from studio402.providers.vertex import VertexProvider
from studio402.testing.fake_upstreams import Scenario
from studio402.testing.fake_upstreams.vertex import RAI_REASON, FakeVertex
from tests.integration.providers.conftest import FAST, REFERENCE_PNG, make_request, read_reference

VEO = "veo-3.1-generate-001"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeVertex]:
    with FakeVertex().serve() as server:
        yield server


@pytest.fixture
def provider(fake: FakeVertex) -> VertexProvider:
    fake.set_scenario(Scenario.SUCCESS)
    fake.requests.clear()
    return VertexProvider(
        api_key="vertex-key", base_url=fake.base_url, references=read_reference, policy=FAST
    )


def veo(**fields: object):  # type: ignore[no-untyped-def]
    return make_request("veo-3.1", "generate", VEO, **fields)


async def test_text_to_video_body_operation_and_outputs(
    fake: FakeVertex, provider: VertexProvider
) -> None:
    request = veo(
        durationSeconds="8",
        aspectRatio="9:16",
        resolution="1080p",
        negativePrompt="blurry",
        imageMode="none",
    )
    video, thumbnail = await generate(provider, request)
    [submit] = fake.calls(":predictLongRunning")
    assert submit.path == f"/v1beta1/publishers/google/models/{VEO}:predictLongRunning"
    assert submit.headers["x-goog-api-key"] == "vertex-key"
    assert submit.json() == {
        "instances": [{"prompt": "a red fox in the snow"}],
        "parameters": {
            "sampleCount": 1,
            "durationSeconds": 8,
            "aspectRatio": "9:16",
            "resolution": "1080p",
            "negativePrompt": "blurry",
        },
    }
    [fetch] = fake.calls(":fetchPredictOperation")
    assert fetch.path.endswith(f"/publishers/google/models/{VEO}:fetchPredictOperation")
    assert fetch.json()["operationName"].endswith(f"/models/{VEO}/operations/op-1")
    assert video.data == fake.video and video.content_type == "video/mp4"
    assert (video.width, video.height, video.duration_s) == (64, 36, 1.0)
    assert thumbnail.kind == "thumbnail"
    await provider.aclose()


async def test_interpolation_sends_first_and_last_frames(
    fake: FakeVertex, provider: VertexProvider
) -> None:
    request = veo(
        references=2,
        imageMode="interpolation",
        image="https://x/a.png",
        lastFrame="https://x/b.png",
        durationSeconds="6",
    )
    await generate(provider, request)
    body = fake.calls(":predictLongRunning")[0].json()
    encoded = base64.b64encode(REFERENCE_PNG).decode()
    image = {"bytesBase64Encoded": encoded, "mimeType": "image/png"}
    assert body == {
        "instances": [{"prompt": "a red fox in the snow", "image": image, "lastFrame": image}],
        "parameters": {"sampleCount": 1, "durationSeconds": 6},
    }
    await provider.aclose()


async def test_reference_mode_sends_asset_references(
    fake: FakeVertex, provider: VertexProvider
) -> None:
    request = veo(references=3, imageMode="reference", referenceImages=["https://x/a.png"] * 3)
    await generate(provider, request)
    instance = fake.calls(":predictLongRunning")[0].json()["instances"][0]
    encoded = base64.b64encode(REFERENCE_PNG).decode()
    assert (
        instance["referenceImages"]
        == [
            {
                "image": {"bytesBase64Encoded": encoded, "mimeType": "image/png"},
                "referenceType": "ASSET",
            }
        ]
        * 3
    )
    await provider.aclose()


async def test_slow_operation_is_polled_until_done(
    fake: FakeVertex, provider: VertexProvider
) -> None:
    fake.set_scenario(Scenario.SLOW)
    video, _ = await generate(provider, veo(durationSeconds="4"))
    assert video.data == fake.video
    assert len(fake.calls(":fetchPredictOperation")) == fake.slow_polls + 1
    await provider.aclose()


async def test_rai_filtered_operation_is_content_refused(
    fake: FakeVertex, provider: VertexProvider
) -> None:
    fake.set_scenario(Scenario.REFUSAL)
    with pytest.raises(ProviderRejectedError) as caught:
        await generate(provider, veo(durationSeconds="4"))
    assert (caught.value.code, caught.value.retryable) == ("content_refused", False)
    assert RAI_REASON in caught.value.message
    await provider.aclose()


async def test_429_then_success(fake: FakeVertex, provider: VertexProvider) -> None:
    fake.set_scenario(Scenario.RATE_LIMITED)
    video, _ = await generate(provider, veo(durationSeconds="4"))
    assert video.data == fake.video
    assert len(fake.calls(":predictLongRunning")) == 2
    await provider.aclose()


async def test_5xx_is_retryable(fake: FakeVertex, provider: VertexProvider) -> None:
    fake.set_scenario(Scenario.SERVER_ERROR)
    with pytest.raises(ProviderUnavailableError) as caught:
        await generate(provider, veo(durationSeconds="4"))
    assert caught.value.retryable and "503" in caught.value.message
    await provider.aclose()


async def test_done_without_a_video_is_a_retryable_missing_output(
    fake: FakeVertex, provider: VertexProvider
) -> None:
    fake.set_scenario(Scenario.EXPIRED)
    with pytest.raises(UpstreamOutputExpiredError) as caught:
        await generate(provider, veo(durationSeconds="4"))
    assert caught.value.retryable is True
    await provider.aclose()
