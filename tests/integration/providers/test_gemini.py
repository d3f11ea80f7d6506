"""The Gemini adapter against the fake Gemini API: exact request bodies and every scenario."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from studio402.errors import ProviderError, ProviderRejectedError, ProviderUnavailableError
from studio402.providers.base import generate
from studio402.providers.gemini import GeminiProvider
from studio402.testing.fake_upstreams import Scenario
from studio402.testing.fake_upstreams.gemini import REFUSAL_TEXT, FakeGemini
from tests.integration.providers.conftest import FAST, REFERENCE_PNG, make_request, read_reference


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGemini]:
    with FakeGemini().serve() as server:
        yield server


@pytest.fixture
def provider(fake: FakeGemini) -> GeminiProvider:
    fake.set_scenario(Scenario.SUCCESS)
    fake.requests.clear()
    return GeminiProvider(
        api_key="test-key", base_url=fake.base_url, references=read_reference, policy=FAST
    )


async def test_generate_sends_the_documented_body(
    fake: FakeGemini, provider: GeminiProvider
) -> None:
    request = make_request(
        "nano-banana-pro", "generate", "gemini-3-pro-image", aspectRatio="16:9", imageSize="2K"
    )
    [image] = await generate(provider, request)
    [call] = fake.calls(":generateContent")
    assert call.path.endswith("/models/gemini-3-pro-image:generateContent")
    assert call.headers["x-goog-api-key"] == "test-key"
    assert call.json() == {
        "contents": [{"role": "user", "parts": [{"text": "a red fox in the snow"}]}],
        "generationConfig": {
            "responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
        },
    }
    assert (image.kind, image.content_type, image.width, image.height) == (
        "image",
        "image/png",
        96,
        64,
    )
    assert image.data == fake.image
    assert image.metadata["upstreamCost"] == {
        "usd": None,
        "source": "usageMetadata",
        "promptTokenCount": 14,
        "candidatesTokenCount": 1120,
        "totalTokenCount": 1134,
    }
    await provider.aclose()


async def test_edit_sends_references_inline_and_thinking_level(
    fake: FakeGemini, provider: GeminiProvider
) -> None:
    request = make_request(
        "nano-banana",
        "edit",
        "gemini-3.1-flash-image",
        references=2,
        images=["https://example.com/a.png", "https://example.com/b.png"],
        aspectRatio="1:4",
        imageSize="512",
        thinkingLevel="minimal",
    )
    await generate(provider, request)
    body = fake.calls(":generateContent")[0].json()
    # google-genai writes bytes as URL-safe base64 and keeps ``mime_type`` in snake case
    # inside ``inlineData``; Google's JSON parser accepts both spellings.
    encoded = base64.urlsafe_b64encode(REFERENCE_PNG).decode()
    inline = {"inlineData": {"data": encoded, "mime_type": "image/png"}}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "a red fox in the snow"}, inline, inline]}
    ]
    assert body["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "1:4", "imageSize": "512"},
        "thinkingConfig": {"thinking_level": "MINIMAL"},  # snake case, as the SDK sends it
    }
    assert "example.com" not in fake.calls()[0].body.decode()
    await provider.aclose()


async def test_slow_answer_still_succeeds(fake: FakeGemini, provider: GeminiProvider) -> None:
    fake.set_scenario(Scenario.SLOW)
    [image] = await generate(
        provider, make_request("nano-banana-pro", "generate", "gemini-3-pro-image")
    )
    assert image.width == 96
    await provider.aclose()


async def test_refusal_is_content_refused_with_the_reason(
    fake: FakeGemini, provider: GeminiProvider
) -> None:
    fake.set_scenario(Scenario.REFUSAL)
    with pytest.raises(ProviderRejectedError) as caught:
        await generate(provider, make_request("nano-banana-pro", "generate", "gemini-3-pro-image"))
    assert caught.value.code == "content_refused"
    assert caught.value.retryable is False
    assert "IMAGE_SAFETY" in caught.value.message
    assert REFUSAL_TEXT in caught.value.message
    await provider.aclose()


async def test_429_then_success_is_retried_inside_the_adapter(
    fake: FakeGemini, provider: GeminiProvider
) -> None:
    fake.set_scenario(Scenario.RATE_LIMITED)
    [image] = await generate(
        provider, make_request("nano-banana-pro", "generate", "gemini-3-pro-image")
    )
    assert image.data == fake.image
    assert len(fake.calls(":generateContent")) == 2
    await provider.aclose()


async def test_5xx_is_a_retryable_unavailable_error(
    fake: FakeGemini, provider: GeminiProvider
) -> None:
    fake.set_scenario(Scenario.SERVER_ERROR)
    with pytest.raises(ProviderUnavailableError) as caught:
        await generate(provider, make_request("nano-banana-pro", "generate", "gemini-3-pro-image"))
    assert caught.value.retryable is True
    assert "503" in caught.value.message and "overloaded" in caught.value.message
    assert len(fake.calls(":generateContent")) == FAST.attempts
    await provider.aclose()


async def test_expired_scenario_does_not_apply_to_inline_bytes(
    fake: FakeGemini, provider: GeminiProvider
) -> None:
    fake.set_scenario(Scenario.EXPIRED)
    [image] = await generate(
        provider, make_request("nano-banana-pro", "generate", "gemini-3-pro-image")
    )
    assert image.data == fake.image
    await provider.aclose()


async def test_unreachable_upstream_is_translated() -> None:
    from studio402.testing.server import free_port

    provider = GeminiProvider(api_key="k", base_url=f"http://127.0.0.1:{free_port()}", policy=FAST)
    with pytest.raises(ProviderError) as caught:
        await generate(provider, make_request("nano-banana-pro", "generate", "gemini-3-pro-image"))
    assert type(caught.value) is ProviderUnavailableError
    await provider.aclose()
