"""``generate``: one code path for synchronous and polled upstreams."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from studio402.errors import ProviderRejectedError, ProviderTimeoutError
from studio402.providers.base import (
    GenerationRequest,
    Output,
    PollResult,
    Submission,
    UpstreamStatus,
    generate,
)

IMAGE = Output(data=b"png", content_type="image/png", kind="image", width=2, height=1)
REQUEST = GenerationRequest(
    job_id="job1",
    model="flux-2-pro",
    operation="generate",
    upstream_model="flux-2-pro",
    input={"prompt": "x"},
    deadline=datetime(2030, 1, 1, tzinfo=UTC),
)


class ScriptedUpstream:
    """An asynchronous upstream answering polls from a script."""

    name = "scripted"

    def __init__(self, *polls: PollResult, cancel_error: Exception | None = None) -> None:
        self.polls = list(polls)
        self.cancel_error = cancel_error
        self.cancelled: list[str] = []

    async def submit(self, request: GenerationRequest) -> Submission:
        return Submission(handle="h-1", poll_after_s=0.001)

    async def poll(self, handle: str) -> PollResult:
        return self.polls.pop(0)

    async def cancel(self, handle: str) -> None:
        self.cancelled.append(handle)
        if self.cancel_error is not None:
            raise self.cancel_error


class SyncUpstream(ScriptedUpstream):
    async def submit(self, request: GenerationRequest) -> Submission:
        return Submission(outputs=(IMAGE,))


async def test_sync_upstream_returns_outputs_from_submit() -> None:
    assert await generate(SyncUpstream(), REQUEST) == (IMAGE,)


async def test_polls_until_complete_reporting_each_new_progress() -> None:
    running = [PollResult(UpstreamStatus.RUNNING, progress=p) for p in (None, 20, 20, 70)]
    upstream = ScriptedUpstream(*running, PollResult(UpstreamStatus.COMPLETE, outputs=(IMAGE,)))
    seen: list[int] = []

    async def on_progress(percent: int) -> None:
        seen.append(percent)

    assert await generate(upstream, REQUEST, on_progress) == (IMAGE,)
    assert seen == [20, 70]
    assert upstream.cancelled == []


async def test_failed_poll_raises_its_error_and_cancels_upstream() -> None:
    refused = ProviderRejectedError("moderated")
    upstream = ScriptedUpstream(PollResult(UpstreamStatus.FAILED, error=refused))

    with pytest.raises(ProviderRejectedError, match="moderated"):
        await generate(upstream, REQUEST)
    assert upstream.cancelled == ["h-1"]


async def test_a_failing_cancel_does_not_hide_the_original_error() -> None:
    upstream = ScriptedUpstream(
        PollResult(UpstreamStatus.FAILED, error=ProviderTimeoutError("slow")),
        cancel_error=ProviderTimeoutError("cancel failed"),
    )

    with pytest.raises(ProviderTimeoutError, match="slow"):
        await generate(upstream, REQUEST)
