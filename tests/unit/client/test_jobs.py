"""Following jobs through the SDK against the real app: SIWX once then the session token,
long-poll, SSE, typed failures and timeouts, downloads that re-mint an expired URL."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from studio402.client import (
    AsyncStudio402Client,
    Job,
    JobFailedError,
    JobTimeoutError,
    SignInError,
    Wallet,
)
from studio402.services import Services

from .conftest import BASE, FaultyTransport

MODEL = "nano-banana-pro"
Factory = Callable[..., AsyncStudio402Client]


async def test_wait_signs_in_once_then_reuses_the_session_token(
    make_client: Factory, services: Services, tmp_path: Path
) -> None:
    services.start_background()
    client = make_client()
    first = await client.generate(MODEL, prompt="a lighthouse", aspectRatio="16:9")
    second = await client.generate(MODEL, prompt="a harbour")
    updates: list[str] = []
    job = await client.wait(first, timeout_s=30, on_update=lambda j: updates.append(j.status))
    await client.wait(second, timeout_s=30)
    assert job.status == "complete" and updates[-1] == "complete"
    assert client.session.sign_ins == 1
    saved = await client.download(job, tmp_path)
    assert saved.name == f"studio402-{job.id}.png"
    with Image.open(saved) as image:
        assert image.size == (job.result["width"], job.result["height"])
        assert image.width > image.height


async def test_watch_streams_status_changes_until_complete(
    make_client: Factory, services: Services
) -> None:
    services.start_background()
    client = make_client()
    submission = await client.generate(MODEL, prompt="a lighthouse")
    seen = [(job.status, job.progress) async for job in client.watch(submission)]
    assert seen[-1] == ("complete", 100)
    assert all(a != b for a, b in itertools.pairwise(seen))  # no repeated state


async def test_failed_job_raises_with_the_servers_reason(
    make_client: Factory, services: Services
) -> None:
    client = make_client()
    submission = await client.generate(MODEL, prompt="a lighthouse")
    [claimed] = await services.queue.claim("test-worker", 60)
    error = {"code": "content_refused", "message": "refused upstream", "retryable": False}
    await services.queue.fail(claimed.id, "test-worker", error)
    with pytest.raises(JobFailedError) as caught:
        await client.wait(submission, timeout_s=5)
    assert caught.value.reason == "content_refused" and "refused upstream" in caught.value.message
    assert (await client.delete_job(submission.job_id))["deleted"] is True


async def test_wait_times_out_with_the_last_status(make_client: Factory) -> None:
    client = make_client()
    submission = await client.generate(MODEL, prompt="a lighthouse")
    with pytest.raises(JobTimeoutError) as caught:
        await client.wait(submission, timeout_s=1.0)
    assert caught.value.job_id == submission.job_id
    assert isinstance(caught.value.last, Job) and caught.value.last.status == "pending"
    assert "never resubmit" in caught.value.message


async def test_rejected_session_token_signs_in_again(make_client: Factory) -> None:
    client = make_client()
    submission = await client.generate(MODEL, prompt="a lighthouse")
    await client.job(submission)
    assert client.session.sign_ins == 1
    client.session.token = "not-a-token"
    assert (await client.job(submission)).id == submission.job_id
    assert client.session.sign_ins == 2


async def test_another_wallet_cannot_read_the_job(
    make_client: Factory, transport: FaultyTransport
) -> None:
    submission = await make_client().generate(MODEL, prompt="a lighthouse")
    other = AsyncStudio402Client(BASE, Wallet.from_key("0x" + "cd" * 32), transport=transport)
    try:
        with pytest.raises(SignInError) as caught:
            await other.job(submission)
    finally:
        await other.aclose()
    assert caught.value.http_status == 403 and caught.value.code == "forbidden"


async def test_download_mints_a_new_url_when_the_old_one_is_refused(
    make_client: Factory, services: Services, tmp_path: Path
) -> None:
    services.start_background()
    client = make_client()
    job = await client.wait(await client.generate(MODEL, prompt="a lighthouse"), timeout_s=30)
    url = str(job.result["imageUrl"])
    stale = Job({**job.raw, "result": {**job.result, "imageUrl": url.replace("sig=", "sig=x")}})
    saved = await client.download(stale, tmp_path / "out.png")
    assert saved == tmp_path / "out.png" and saved.stat().st_size > 0
