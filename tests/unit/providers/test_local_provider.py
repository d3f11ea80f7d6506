"""The local provider: exact sizes from the request's fields, deterministic, clear refusals."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from studio402.errors import ProviderRejectedError
from studio402.providers.base import GenerationRequest, Provider, UnsupportedRequestError
from studio402.providers.local import LocalProvider


def request(
    model: str = "nano-banana-pro", operation: str = "generate", **fields: Any
) -> GenerationRequest:
    body = {"prompt": "a red fox in the snow", **fields}
    return GenerationRequest(
        job_id="job1",
        model=model,
        operation=operation,
        upstream_model="gemini-3-pro-image",
        input={k: v for k, v in body.items() if v is not None},
        deadline=datetime(2030, 1, 1, tzinfo=UTC),
    )


async def render(req: GenerationRequest) -> tuple[bytes, tuple[int, int]]:
    submission = await LocalProvider().submit(req)
    assert submission.done
    [output] = submission.outputs
    image = Image.open(io.BytesIO(output.data))
    assert (output.content_type, output.kind, image.format) == ("image/png", "image", "PNG")
    assert image.size == (output.width, output.height)
    return output.data, image.size


def test_local_provider_satisfies_the_protocol() -> None:
    assert isinstance(LocalProvider(), Provider)
    assert LocalProvider().name == "local"


@pytest.mark.parametrize(
    ("model", "fields", "size"),
    [
        ("nano-banana-pro", {"aspectRatio": "16:9", "imageSize": "1K"}, (1376, 768)),
        ("nano-banana-pro", {"aspectRatio": "21:9", "imageSize": "2K"}, (3168, 1344)),
        ("nano-banana-pro", {}, (1024, 1024)),
        ("nano-banana", {"aspectRatio": "1:4", "imageSize": "512"}, (256, 1024)),
        ("some-new-model", {"aspectRatio": "3:2", "imageSize": "1K"}, (1264, 848)),
        ("gpt-image-2", {"size": "1536x1024"}, (1536, 1024)),
        ("gpt-image-2", {"size": "auto"}, (1024, 1024)),
    ],
)
async def test_submit_renders_the_exact_requested_size(
    model: str, fields: dict[str, Any], size: tuple[int, int]
) -> None:
    _, rendered = await render(request(model, **fields))
    assert rendered == size


async def test_submit_is_deterministic_per_prompt_and_operation() -> None:
    first, _ = await render(request(aspectRatio="1:1", imageSize="1K"))
    again, _ = await render(request(aspectRatio="1:1", imageSize="1K"))
    edit, _ = await render(request(operation="edit", aspectRatio="1:1", imageSize="1K"))
    other, _ = await render(request(prompt="a blue whale", aspectRatio="1:1", imageSize="1K"))
    assert first == again
    assert len({first, edit, other}) == 3


@pytest.mark.parametrize(
    ("model", "fields", "message"),
    [
        ("nano-banana-pro", {"prompt": None}, "needs a string 'prompt'"),
        ("nano-banana-pro", {"aspectRatio": "1:8"}, "no output size"),
        ("nano-banana-pro", {"imageSize": "8K"}, "no output size"),
        ("mystery-model", {}, "cannot size an image for model 'mystery-model'"),
        ("gpt-image-2", {"size": "huge"}, "cannot size"),
        ("gpt-image-2", {"size": "99999x99999"}, "cannot render"),
        ("veo-3.1", {"resolution": "8k", "durationSeconds": "8"}, "unknown resolution"),
        ("seedance", {"duration": "0"}, "positive number"),
        ("wan-2.6", {"duration": "5", "size": "huge"}, "not a video size"),
    ],
)
async def test_submit_refuses_what_it_cannot_render(
    model: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(UnsupportedRequestError, match=message) as caught:
        await LocalProvider().submit(request(model, **fields))
    assert isinstance(caught.value, ProviderRejectedError)
    assert caught.value.retryable is False
    assert caught.value.code == "unsupported_request"


async def test_poll_refuses_and_cancel_is_a_no_op() -> None:
    provider = LocalProvider()
    with pytest.raises(UnsupportedRequestError):
        await provider.poll("anything")
    await provider.cancel("anything")
