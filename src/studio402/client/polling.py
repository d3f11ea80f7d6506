"""Following a job: long-poll (``?wait=``) until it finishes, or stream its server-sent events."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from studio402.client._http import api_error
from studio402.client.errors import ConnectionFailedError, JobFailedError, JobTimeoutError
from studio402.client.models import Job
from studio402.client.session import SignedSession

__all__ = ["OnUpdate", "fail_if_failed", "follow_events", "long_poll"]

OnUpdate = Callable[[Job], Awaitable[None] | None]
MAX_WAIT_S = 30.0


def fail_if_failed(job: Job) -> Job:
    """Raise :class:`JobFailedError` with the job's own reason if it failed; else return it."""
    if job.status == "failed":
        error = job.error
        reason = str(error.get("code") or "")
        message = str(error.get("message") or reason or "no reason given")
        raise JobFailedError(f"job {job.id} failed: {message}", job=job, reason=reason)
    return job


async def _notify(on_update: OnUpdate | None, job: Job) -> None:
    if on_update is not None:
        outcome = on_update(job)
        if outcome is not None:
            await outcome


async def long_poll(
    http: httpx.AsyncClient,
    session: SignedSession,
    url: str,
    job_id: str,
    timeout_s: float,
    on_update: OnUpdate | None = None,
) -> Job:
    """Poll ``url`` (``?wait=`` long-polls) until the job is final or ``timeout_s`` passes.

    Returns the complete job; raises :class:`JobFailedError` or :class:`JobTimeoutError`.
    """
    deadline = time.monotonic() + timeout_s
    last: Job | None = None
    wait_s = 0.0
    while True:
        params = {"wait": f"{wait_s:g}"} if wait_s > 0 else None
        try:
            response = await session.request(
                http, "GET", url, params=params, timeout=httpx.Timeout(wait_s + 30.0)
            )
        except ConnectionFailedError:
            if time.monotonic() >= deadline:
                raise
            continue
        job = Job(response.json())
        if last is None or (job.status, job.progress) != (last.status, last.progress):
            await _notify(on_update, job)
        last = job
        if job.done:
            return fail_if_failed(job)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise JobTimeoutError(
                f"job {job_id} is still {job.status} after {timeout_s:g} s; it may still "
                "finish: wait again, never resubmit (that would pay twice)",
                job_id=job_id,
                last=job,
            )
        wait_s = max(1.0, min(MAX_WAIT_S, remaining))


def _sse_documents(lines: list[str]) -> dict[str, Any] | None:
    data = "\n".join(line[5:].lstrip() for line in lines if line.startswith("data:"))
    if not data:
        return None
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _same(a: Job, b: Job) -> bool:
    keys = ("status", "progress", "updatedAt")
    return all(a.raw.get(k) == b.raw.get(k) for k in keys)


async def follow_events(
    http: httpx.AsyncClient, session: SignedSession, job_url: str
) -> AsyncIterator[Job]:
    """Yield the job at every change from ``{job_url}/events`` (SSE), ending after the final one.

    Signs in first (a plain poll) so the stream itself carries a bearer token.
    """
    first = Job((await session.request(http, "GET", job_url)).json())
    yield first
    if first.done:
        return
    timeout = httpx.Timeout(10.0, read=60.0)
    async with http.stream(
        "GET", f"{job_url}/events", headers=session.bearer(), timeout=timeout
    ) as response:
        if not response.is_success:
            await response.aread()
            raise api_error(response)
        pending: list[str] = []
        async for line in response.aiter_lines():
            if line:
                pending.append(line)
                continue
            document = _sse_documents(pending)
            pending = []
            if document is None:
                continue
            job = Job(document)
            if _same(job, first):
                continue  # the stream opens with the state the sign-in poll already gave
            first = job
            yield job
            if job.done:
                return
