"""Helpers for adapter tests against the fake upstreams (real HTTP/gRPC on 127.0.0.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from studio402.providers._upstream import PollPolicy
from studio402.providers.base import GenerationRequest
from studio402.testing.fake_upstreams._base import tiny_png

FAST = PollPolicy(attempts=3, retry_base_s=0.01, retry_max_s=0.05, poll_min_s=0.01, poll_max_s=0.05)
"""Retries and polls in milliseconds, so scenarios run quickly."""

REFERENCE_PNG = tiny_png(40, 30)


def make_request(
    model: str,
    operation: str,
    upstream_model: str,
    *,
    deadline_s: float = 60,
    references: int = 0,
    **fields: Any,
) -> GenerationRequest:
    """A request with StableStudio fields; ``references`` adds that many stored PNGs."""
    body: dict[str, Any] = {"prompt": "a red fox in the snow", **fields}
    if references:
        body["_references"] = [
            {"key": f"uploads/ref-{i}.png", "contentType": "image/png", "width": 40, "height": 30}
            for i in range(references)
        ]
    return GenerationRequest(
        job_id="job-1",
        model=model,
        operation=operation,
        upstream_model=upstream_model,
        input={k: v for k, v in body.items() if v is not None},
        deadline=datetime.now(UTC) + timedelta(seconds=deadline_s),
    )


async def read_reference(key: str) -> bytes:
    """The reference reader: every stored reference is the same small PNG."""
    assert key.startswith("uploads/ref-")
    return REFERENCE_PNG
