"""The OpenAI adapter against the fake Images API: exact request bodies and every scenario."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from studio402.errors import ProviderRejectedError, ProviderUnavailableError
from studio402.providers.base import generate
from studio402.providers.openai import OpenAIProvider
from studio402.testing.fake_upstreams import Scenario
from studio402.testing.fake_upstreams.openai import REFUSAL_MESSAGE, FakeOpenAI
from tests.integration.providers.conftest import FAST, REFERENCE_PNG, make_request, read_reference


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().serve() as server:
        yield server


@pytest.fixture
def provider(fake: FakeOpenAI) -> Iterator[OpenAIProvider]:
    fake.set_scenario(Scenario.SUCCESS)
    fake.requests.clear()
    yield OpenAIProvider(
        api_key="sk-test", base_url=f"{fake.base_url}/v1", references=read_reference, policy=FAST
    )


def gpt(operation: str = "generate", model: str = "gpt-image-1.5", **fields: object):  # type: ignore[no-untyped-def]
    return make_request(model, operation, model, **fields)


async def test_generate_sends_the_documented_json(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    request = gpt(
        size="1024x1536", quality="high", background="opaque", output_format="png", moderation="low"
    )
    [image] = await generate(provider, request)
    [call] = fake.calls("/v1/images/generations")
    assert call.headers["authorization"] == "Bearer sk-test"
    assert call.json() == {
        "model": "gpt-image-1.5",
        "prompt": "a red fox in the snow",
        "n": 1,
        "size": "1024x1536",
        "quality": "high",
        "background": "opaque",
        "output_format": "png",
        "moderation": "low",
    }
    assert (image.content_type, image.width, image.height) == ("image/png", 64, 96)
    assert image.metadata["upstreamCost"] == {
        "usd": None,
        "source": "usage",
        "input_tokens": 50,
        "output_tokens": 4160,
        "total_tokens": 4210,
    }
    await provider.aclose()


async def test_edit_sends_multipart_with_every_reference(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    request = gpt(
        "edit",
        references=3,
        images=["https://example.com/a.png"] * 3,
        size="1024x1024",
        quality="medium",
        input_fidelity="high",
    )
    [image] = await generate(provider, request)
    [call] = fake.calls("/v1/images/edits")
    assert call.headers["content-type"].startswith("multipart/form-data")
    form = call.form
    assert {k: v for k, v in form.items() if k != "image[]"} == {
        "model": ["gpt-image-1.5"],
        "prompt": ["a red fox in the snow"],
        "n": ["1"],
        "size": ["1024x1024"],
        "quality": ["medium"],
        "input_fidelity": ["high"],
    }
    assert [(f["filename"], f["content_type"], f["data"]) for f in form["image[]"]] == [
        (f"image-{i}.png", "image/png", REFERENCE_PNG) for i in range(3)
    ]
    assert image.data == fake.image
    await provider.aclose()


async def test_gpt_image_2_edit_passes_moderation_as_a_form_field(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    await generate(provider, gpt("edit", "gpt-image-2", references=1, moderation="low"))
    form = fake.calls("/v1/images/edits")[0].form
    assert form["model"] == ["gpt-image-2"]
    assert form["moderation"] == ["low"]
    await provider.aclose()


async def test_slow_answer_still_succeeds(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.set_scenario(Scenario.SLOW)
    [image] = await generate(provider, gpt())
    assert image.data == fake.image
    await provider.aclose()


async def test_moderation_blocked_is_content_refused(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    fake.set_scenario(Scenario.REFUSAL)
    with pytest.raises(ProviderRejectedError) as caught:
        await generate(provider, gpt())
    assert (caught.value.code, caught.value.retryable) == ("content_refused", False)
    assert "moderation_blocked" in caught.value.message
    assert REFUSAL_MESSAGE in caught.value.message
    assert len(fake.calls("/v1/images")) == 1
    await provider.aclose()


async def test_429_then_success(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.set_scenario(Scenario.RATE_LIMITED)
    [image] = await generate(provider, gpt())
    assert image.data == fake.image
    assert len(fake.calls("/v1/images/generations")) == 2
    await provider.aclose()


async def test_5xx_is_retryable_after_bounded_retries(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    fake.set_scenario(Scenario.SERVER_ERROR)
    with pytest.raises(ProviderUnavailableError) as caught:
        await generate(provider, gpt())
    assert caught.value.retryable is True
    assert "500" in caught.value.message
    assert len(fake.calls("/v1/images/generations")) == FAST.attempts
    await provider.aclose()


async def test_expired_scenario_does_not_apply_to_base64_output(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    fake.set_scenario(Scenario.EXPIRED)
    [image] = await generate(provider, gpt())
    assert image.data == fake.image
    await provider.aclose()
