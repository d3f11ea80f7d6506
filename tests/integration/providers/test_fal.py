"""The fal adapter against the fake fal queue: exact inputs, polling and every scenario."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from studio402.errors import ProviderRejectedError, ProviderUnavailableError
from studio402.providers.base import UnsupportedRequestError, generate
from studio402.providers.errors import UpstreamOutputExpiredError
from studio402.providers.fal import FalProvider
from studio402.providers.local_video import probe_video
from studio402.testing.fake_upstreams import Scenario
from studio402.testing.fake_upstreams.fal import REFUSAL_MESSAGE, FakeFal
from tests.integration.providers.conftest import FAST, REFERENCE_PNG, make_request, read_reference

SEEDANCE = "bytedance/seedance-2.0"
WAN = "wan/v2.6"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeFal]:
    with FakeFal().serve() as server:
        yield server


@pytest.fixture
async def provider(fake: FakeFal) -> AsyncIterator[FalProvider]:
    fake.set_scenario(Scenario.SUCCESS)
    fake.requests.clear()
    async with httpx.AsyncClient() as http:
        yield FalProvider(
            api_key="fal-key",
            base_url=fake.base_url,
            http=http,
            references=read_reference,
            policy=FAST,
        )


def data_uri() -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(REFERENCE_PNG).decode()


async def test_seedance_t2v_body_and_outputs(fake: FakeFal, provider: FalProvider) -> None:
    request = make_request(
        "seedance", "t2v", SEEDANCE, duration="5", aspectRatio="16:9", outputResolution="720p"
    )
    video, thumbnail = await generate(provider, request)
    [submit] = fake.calls(method="POST")
    assert submit.path == "/bytedance/seedance-2.0/text-to-video"
    assert submit.headers["authorization"] == "Key fal-key"
    assert submit.json() == {
        "prompt": "a red fox in the snow",
        "duration": "5",
        "aspect_ratio": "16:9",
        "resolution": "720p",
    }
    assert [c.path for c in fake.calls(method="GET")] == [
        "/bytedance/seedance-2.0/requests/req-1/status",
        "/bytedance/seedance-2.0/requests/req-1",
        "/files/req-1.mp4",
    ]
    assert video.data == fake.video and video.content_type == "video/mp4"
    assert (video.width, video.height, video.duration_s) == (64, 36, 1.0)
    assert thumbnail.kind == "thumbnail" and thumbnail.content_type == "image/jpeg"
    assert video.metadata["upstreamCost"] == {
        "usd": None,
        "source": "metrics",
        "inference_time": 12.5,
    }


async def test_seedance_fast_i2v_sends_first_and_last_frames(
    fake: FakeFal, provider: FalProvider
) -> None:
    request = make_request(
        "seedance-fast",
        "i2v",
        f"{SEEDANCE}/fast",
        references=2,
        image="https://example.com/a.png",
        duration="4",
    )
    await generate(provider, request)
    [submit] = fake.calls(method="POST")
    assert submit.path == "/bytedance/seedance-2.0/fast/image-to-video"
    assert submit.json() == {
        "prompt": "a red fox in the snow",
        "duration": "4",
        "image_url": data_uri(),
        "end_image_url": data_uri(),
    }
    assert fake.calls("/bytedance/seedance-2.0/requests/")


async def test_wan_t2v_maps_size_to_resolution_and_ratio(
    fake: FakeFal, provider: FalProvider
) -> None:
    request = make_request(
        "wan-2.6",
        "t2v",
        WAN,
        size="720*1280",
        duration="10",
        negativePrompt="blurry",
        enablePromptExpansion=True,
        multiShots=False,
        seed=7,
    )
    await generate(provider, request)
    [submit] = fake.calls(method="POST")
    assert submit.path == "/wan/v2.6/text-to-video"
    assert submit.json() == {
        "prompt": "a red fox in the snow",
        "resolution": "720p",
        "aspect_ratio": "9:16",
        "duration": "10",
        "negative_prompt": "blurry",
        "enable_prompt_expansion": True,
        "multi_shots": False,
        "seed": 7,
    }


async def test_wan_i2v_sends_the_image(fake: FakeFal, provider: FalProvider) -> None:
    request = make_request(
        "wan-2.6",
        "i2v",
        WAN,
        references=1,
        image="https://x/a.png",
        resolution="1080p",
        duration="5",
    )
    await generate(provider, request)
    assert fake.calls(method="POST")[0].json() == {
        "prompt": "a red fox in the snow",
        "resolution": "1080p",
        "duration": "5",
        "image_url": data_uri(),
    }


async def test_slow_request_is_polled_through_the_queue(
    fake: FakeFal, provider: FalProvider
) -> None:
    fake.set_scenario(Scenario.SLOW)
    video, _ = await generate(provider, make_request("seedance", "t2v", SEEDANCE, duration="4"))
    assert probe_video(video.data).codec == "h264"
    assert len(fake.calls("/status")) == fake.slow_polls + 1


async def test_content_policy_violation_is_content_refused(
    fake: FakeFal, provider: FalProvider
) -> None:
    fake.set_scenario(Scenario.REFUSAL)
    with pytest.raises(ProviderRejectedError) as caught:
        await generate(provider, make_request("seedance", "t2v", SEEDANCE, duration="4"))
    assert (caught.value.code, caught.value.retryable) == ("content_refused", False)
    assert REFUSAL_MESSAGE in caught.value.message


async def test_429_then_success(fake: FakeFal, provider: FalProvider) -> None:
    fake.set_scenario(Scenario.RATE_LIMITED)
    await generate(provider, make_request("seedance", "t2v", SEEDANCE, duration="4"))
    assert len(fake.calls(method="POST")) == 2


async def test_5xx_is_retryable(fake: FakeFal, provider: FalProvider) -> None:
    fake.set_scenario(Scenario.SERVER_ERROR)
    with pytest.raises(ProviderUnavailableError) as caught:
        await generate(provider, make_request("seedance", "t2v", SEEDANCE, duration="4"))
    assert caught.value.retryable and "500" in caught.value.message


async def test_expired_output_url_is_a_retryable_expiry(
    fake: FakeFal, provider: FalProvider
) -> None:
    fake.set_scenario(Scenario.EXPIRED)
    with pytest.raises(UpstreamOutputExpiredError) as caught:
        await generate(provider, make_request("seedance", "t2v", SEEDANCE, duration="4"))
    assert caught.value.retryable is True


async def test_failed_poll_cancels_upstream(fake: FakeFal, provider: FalProvider) -> None:
    fake.set_scenario(Scenario.EXPIRED)
    with pytest.raises(UpstreamOutputExpiredError):
        await generate(provider, make_request("seedance", "t2v", SEEDANCE, duration="4"))
    [cancel] = fake.calls("/cancel")
    assert cancel.method == "PUT" and cancel.headers["authorization"] == "Key fal-key"


@pytest.mark.parametrize(
    ("model", "upstream", "fields", "message"),
    [
        ("seedance", SEEDANCE, {"upscaleResolution": "4k"}, "upscaleResolution"),
        ("wan-2.6", WAN, {"size": "1000*1000"}, "cannot render size"),
        ("wan-2.6", WAN, {}, "needs a reference image"),
    ],
)
async def test_unmappable_requests_are_refused_before_any_call(
    fake: FakeFal,
    provider: FalProvider,
    model: str,
    upstream: str,
    fields: dict[str, object],
    message: str,
) -> None:
    operation = "i2v" if not fields else "t2v"
    with pytest.raises(UnsupportedRequestError, match=message):
        await generate(provider, make_request(model, operation, upstream, **fields))
    assert fake.calls() == []
