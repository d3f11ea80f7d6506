"""Opt-in smoke tests against the real upstream APIs, one per provider (they cost money).

Run with ``STUDIO402_LIVE=1`` and the provider's key in its usual variable (or
``STUDIO402_PROVIDERS__<VENDOR>__API_KEY``), e.g.
``STUDIO402_LIVE=1 OPENAI_API_KEY=sk-... pytest -m live tests/integration/providers``.
Each makes the cheapest request the model allows and checks the shape of what comes back, to
catch contract drift. The environment is read at import, before the suite's env cleaner runs.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from studio402.providers.base import GenerationRequest, Output, Provider, generate
from studio402.providers.local_video import probe_video

LIVE = os.environ.get("STUDIO402_LIVE") == "1"


def _key(vendor: str, *names: str) -> str:
    for name in (f"STUDIO402_PROVIDERS__{vendor.upper()}__API_KEY", *names):
        if os.environ.get(name):
            return os.environ[name]
    return ""


KEYS = {
    "gemini": _key("gemini", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openai": _key("openai", "OPENAI_API_KEY"),
    "bfl": _key("bfl", "BFL_API_KEY"),
    "xai": _key("xai", "XAI_API_KEY"),
    "vertex": _key("vertex", "VERTEX_API_KEY"),
    "fal": _key("fal", "FAL_KEY"),
}
VERTEX_PROJECT = os.environ.get("STUDIO402_PROVIDERS__VERTEX__PROJECT") or os.environ.get(
    "GOOGLE_CLOUD_PROJECT", ""
)


def needs(vendor: str) -> pytest.MarkDecorator:
    """Skip unless live tests are on and the vendor's key is set."""
    have = KEYS[vendor] or (vendor == "vertex" and VERTEX_PROJECT)
    return pytest.mark.skipif(
        not (LIVE and have), reason=f"live test: set STUDIO402_LIVE=1 and a {vendor} key"
    )


def request(model: str, operation: str, upstream: str, **fields: object) -> GenerationRequest:
    return GenerationRequest(
        job_id="live",
        model=model,
        operation=operation,
        upstream_model=upstream,
        input={"prompt": "a small red paper boat on a calm blue pond, studio photo", **fields},
        deadline=datetime.now(UTC) + timedelta(minutes=15),
    )


async def run(provider: Provider, req: GenerationRequest) -> tuple[Output, ...]:
    try:
        return await generate(provider, req)
    finally:
        await provider.aclose()  # type: ignore[attr-defined]


def assert_image(outputs: tuple[Output, ...]) -> None:
    image = outputs[0]
    assert image.kind == "image" and image.content_type.startswith("image/")
    assert image.width > 0 and image.height > 0 and len(image.data) > 1000


def assert_video(outputs: tuple[Output, ...]) -> None:
    video = outputs[0]
    assert video.kind == "video" and probe_video(video.data).codec in {"h264", "hevc"}
    assert video.duration_s and video.duration_s > 1


@pytest.mark.live
@needs("gemini")
async def test_live_gemini_nano_banana() -> None:
    from studio402.providers.gemini import GeminiProvider

    outputs = await run(
        GeminiProvider(api_key=KEYS["gemini"]),
        request(
            "nano-banana", "generate", "gemini-3.1-flash-image", aspectRatio="1:1", imageSize="1K"
        ),
    )
    assert_image(outputs)


@pytest.mark.live
@needs("openai")
async def test_live_openai_gpt_image() -> None:
    from studio402.providers.openai import OpenAIProvider

    outputs = await run(
        OpenAIProvider(api_key=KEYS["openai"]),
        request("gpt-image-1.5", "generate", "gpt-image-1.5", size="1024x1024", quality="low"),
    )
    assert_image(outputs)


@pytest.mark.live
@needs("bfl")
async def test_live_bfl_flux_2_pro() -> None:
    from studio402.providers.bfl import BFLProvider

    outputs = await run(
        BFLProvider(api_key=KEYS["bfl"]),
        request("flux-2-pro", "generate", "flux-2-pro", aspect_ratio="1:1", resolution="0.5 MP"),
    )
    assert_image(outputs)
    assert outputs[0].metadata["upstreamCost"]["source"] == "cost"


@pytest.mark.live
@needs("xai")
async def test_live_xai_grok_image() -> None:
    from studio402.providers.xai import XAIProvider

    outputs = await run(
        XAIProvider(api_key=KEYS["xai"]),
        request("grok", "generate", "grok-imagine-image", aspect_ratio="1:1"),
    )
    assert_image(outputs)


@pytest.mark.live
@needs("vertex")
async def test_live_vertex_veo_fast() -> None:
    from studio402.providers.vertex import VertexProvider

    provider = VertexProvider(api_key=KEYS["vertex"] or None, project=VERTEX_PROJECT or None)
    outputs = await run(
        provider,
        request(
            "veo-3.1-fast",
            "generate",
            "veo-3.1-fast-generate-001",
            durationSeconds="4",
            aspectRatio="16:9",
            resolution="720p",
        ),
    )
    assert_video(outputs)


@pytest.mark.live
@needs("fal")
async def test_live_fal_seedance_fast() -> None:
    from studio402.providers.fal import FalProvider

    outputs = await run(
        FalProvider(api_key=KEYS["fal"]),
        request(
            "seedance-fast",
            "t2v",
            "bytedance/seedance-2.0/fast",
            duration="4",
            aspectRatio="16:9",
            outputResolution="480p",
        ),
    )
    assert_video(outputs)
