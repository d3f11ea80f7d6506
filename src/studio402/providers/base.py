"""The provider adapter protocol: ``submit``, ``poll``, ``cancel`` (DESIGN.md decision 8).

Two upstream shapes hide behind it. A synchronous upstream (Gemini, OpenAI images, the local
model) does the whole generation inside ``submit`` and returns the outputs there. An asynchronous
one (BFL, fal, Veo, Seedance, ...) returns an opaque ``handle`` from ``submit``; the worker then
calls ``poll(handle)`` until the result is complete or failed, and ``cancel(handle)`` when it gives
up. Handles are strings so they can be persisted and polled again by another process.

Adapters always return the output bytes (downloading temporary upstream URLs themselves); the
worker re-hosts them. Failures are raised as :class:`~studio402.errors.ProviderError` subclasses,
whose ``retryable`` flag decides whether the job is tried again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

from studio402.errors import ProviderError, ProviderRejectedError

__all__ = [
    "GenerationRequest",
    "Output",
    "OutputKind",
    "PollResult",
    "Provider",
    "Submission",
    "UnsupportedRequestError",
    "UpstreamStatus",
    "generate",
]

logger = logging.getLogger(__name__)

OutputKind = Literal["image", "video", "thumbnail"]
"""What an output is; a video job may also return a ``thumbnail`` image."""

ProgressCallback = Callable[[int], Awaitable[None]]
"""Receives an upstream's progress percentage (0-100)."""


class UnsupportedRequestError(ProviderRejectedError):
    """This provider cannot serve this model or these input fields."""

    code = "unsupported_request"


class UpstreamStatus(StrEnum):
    """Where an upstream generation stands."""

    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One generation to run upstream.

    ``model`` and ``operation`` are our catalog names (``nano-banana-pro``, ``generate``);
    ``upstream_model`` is the vendor's id (``gemini-3-pro-image``). ``input`` is the validated
    request body with StableStudio's field names. ``deadline`` (aware UTC) is when the worker
    gives up; adapters may pass it on as a request timeout.
    """

    job_id: str
    model: str
    operation: str
    upstream_model: str
    input: dict[str, Any]
    deadline: datetime


@dataclass(frozen=True, slots=True)
class Output:
    """One produced file: its bytes, media type, kind and pixel size (and duration for video).

    ``metadata`` carries what the upstream reported about the generation that the worker may
    store with the result, e.g. ``{"upstreamCost": {"usd": "0.134", "source": ...}}``.
    """

    data: bytes = field(repr=False)
    content_type: str
    kind: OutputKind
    width: int
    height: int
    duration_s: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Submission:
    """What ``submit`` returns: finished ``outputs`` (sync upstreams), or a ``handle`` to poll.

    ``poll_after_s`` is how long to wait before the first poll (an upstream hint, if any).
    """

    handle: str | None = None
    outputs: tuple[Output, ...] = ()
    poll_after_s: float = 1.0

    def __post_init__(self) -> None:
        if (self.handle is None) == (not self.outputs):
            raise ValueError("a Submission has either outputs or a handle, not both or neither")

    @property
    def done(self) -> bool:
        """True when the outputs came back from ``submit`` itself."""
        return self.handle is None


@dataclass(frozen=True, slots=True)
class PollResult:
    """One look at an asynchronous upstream job.

    ``progress`` is the upstream's own percentage when it reports one. A ``complete`` result
    carries ``outputs``; a ``failed`` one carries ``error``, the ProviderError to raise (its class
    says whether it is retryable). ``poll_after_s`` passes on an upstream hint such as
    ``Retry-After``.
    """

    status: UpstreamStatus
    progress: int | None = None
    outputs: tuple[Output, ...] = ()
    error: ProviderError | None = None
    poll_after_s: float | None = None

    def __post_init__(self) -> None:
        if self.status is UpstreamStatus.COMPLETE and not self.outputs:
            raise ValueError("a complete PollResult needs outputs")
        if self.status is UpstreamStatus.FAILED and self.error is None:
            raise ValueError("a failed PollResult needs an error")


@runtime_checkable
class Provider(Protocol):
    """An upstream model provider (or the local model) behind one interface."""

    @property
    def name(self) -> str:
        """The provider's name as the catalog's ``provider`` field spells it (``gemini``)."""
        ...

    async def submit(self, request: GenerationRequest) -> Submission:
        """Start a generation; a synchronous upstream finishes here and returns its outputs.

        Raises:
            ProviderError: a subclass saying why; ``retryable`` decides whether to try again.
        """
        ...

    async def poll(self, handle: str) -> PollResult:
        """Look at an asynchronous generation started by ``submit``.

        Raises:
            ProviderError: the upstream could not be asked (a failed generation is reported as
                a ``failed`` PollResult instead).
        """
        ...

    async def cancel(self, handle: str) -> None:
        """Ask the upstream to stop a generation (best effort; unknown handles are ignored).

        Raises:
            ProviderError: the upstream could not be reached.
        """
        ...


async def generate(
    provider: Provider,
    request: GenerationRequest,
    on_progress: ProgressCallback | None = None,
    *,
    cancel_timeout_s: float = 5.0,
) -> tuple[Output, ...]:
    """Run one generation to the end: ``submit``, then for an asynchronous upstream ``poll``
    (waiting as the upstream suggests) until it completes, and return the outputs.

    ``on_progress`` is awaited with the upstream's percentage whenever it changes. If polling
    fails or the caller is cancelled (a timeout, a lost lease, a shutdown), the upstream job is
    cancelled, best effort within ``cancel_timeout_s``, before the error propagates.

    Raises:
        ProviderError: from the provider, or the error of a ``failed`` poll result.
    """
    submission = await provider.submit(request)
    if submission.handle is None:
        return submission.outputs
    handle, wait_s, last_progress = submission.handle, submission.poll_after_s, None
    try:
        while True:
            await asyncio.sleep(wait_s)
            polled = await provider.poll(handle)
            if polled.status is UpstreamStatus.COMPLETE:
                return polled.outputs
            if polled.status is UpstreamStatus.FAILED:
                raise polled.error or ProviderError(f"{provider.name} reported a failure")
            if on_progress is not None and polled.progress not in (None, last_progress):
                last_progress = polled.progress
                await on_progress(polled.progress)
            wait_s = polled.poll_after_s or submission.poll_after_s
    except BaseException:
        await _cancel_quietly(provider, handle, request.job_id, cancel_timeout_s)
        raise


async def _cancel_quietly(provider: Provider, handle: str, job_id: str, timeout_s: float) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            await provider.cancel(handle)
    except (ProviderError, TimeoutError):
        logger.warning(
            "job %s: cancelling %s upstream failed", job_id, provider.name, exc_info=True
        )
