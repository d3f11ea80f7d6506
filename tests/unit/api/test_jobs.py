"""Job routes: SIWX challenges and proofs, ownership, sessions, long-poll, SSE, list, delete."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from studio402.client.siwx import sign_in_with_x
from studio402.services import Services
from tests.unit.payments.conftest import PAYER_KEY

ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "a paper boat", "aspectRatio": "4:3", "imageSize": "1K"}
OTHER_KEY = "0x" + "cd" * 32


async def pay(client: httpx.AsyncClient, sign: Callable[..., str]) -> str:
    response = await client.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": sign(134000)})
    assert response.status_code == 200, response.text
    job_id: str = response.json()["jobId"]
    return job_id


async def challenge(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    response = await client.get(path)
    assert response.status_code == 402
    document: dict[str, Any] = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    assert response.json() == document
    extension: dict[str, Any] = document["extensions"]["sign-in-with-x"]
    return extension


async def signed_get(
    client: httpx.AsyncClient, path: str, key: str = PAYER_KEY, **params: Any
) -> httpx.Response:
    extension = await challenge(client, path)
    header = sign_in_with_x(extension, key)
    return await client.get(path, headers={"SIGN-IN-WITH-X": header}, params=params)


async def test_poll_without_proof_is_an_auth_only_402_challenge(
    client: httpx.AsyncClient, sign: Callable[..., str]
) -> None:
    job_id = await pay(client, sign)
    response = await client.get(f"/api/jobs/{job_id}")
    document = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    assert document["accepts"] == []
    info = document["extensions"]["sign-in-with-x"]["info"]
    assert info["domain"] == "127.0.0.1:8402"
    assert info["uri"] == f"http://127.0.0.1:8402/api/jobs/{job_id}"
    assert info["version"] == "1" and len(info["nonce"]) >= 8
    chains = [c["chainId"] for c in document["extensions"]["sign-in-with-x"]["supportedChains"]]
    assert "eip155:31337" in chains and "eip155:8453" in chains


async def test_payer_polls_then_reads_the_finished_image(
    client: httpx.AsyncClient, services: Services, sign: Callable[..., str]
) -> None:
    job_id = await pay(client, sign)
    pending = await signed_get(client, f"/api/jobs/{job_id}")
    assert pending.status_code == 200
    assert pending.json()["status"] == "pending"
    assert pending.json()["payment"]["amount"] == "134000"
    assert await services.worker().run_until_idle() == 1
    done = await signed_get(client, f"/api/jobs/{job_id}")
    body = done.json()
    assert body["status"] == "complete" and body["progress"] == 100
    assert body["type"] == "nano-banana-pro-generate" and body["input"] == BODY
    image = await client.get(body["result"]["imageUrl"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    from io import BytesIO

    assert Image.open(BytesIO(image.content)).size == (1200, 896)


async def test_other_wallet_gets_403_and_unknown_job_404(
    client: httpx.AsyncClient, sign: Callable[..., str]
) -> None:
    job_id = await pay(client, sign)
    assert (await signed_get(client, f"/api/jobs/{job_id}", OTHER_KEY)).status_code == 403
    assert (await signed_get(client, "/api/jobs/cnotajob0000000000000000")).status_code == 404


async def test_replayed_proof_is_refused(
    client: httpx.AsyncClient, sign: Callable[..., str]
) -> None:
    job_id = await pay(client, sign)
    header = sign_in_with_x(await challenge(client, f"/api/jobs/{job_id}"), PAYER_KEY)
    first = await client.get(f"/api/jobs/{job_id}", headers={"SIGN-IN-WITH-X": header})
    second = await client.get(f"/api/jobs/{job_id}", headers={"SIGN-IN-WITH-X": header})
    assert first.status_code == 200
    assert (second.status_code, second.json()["code"]) == (401, "siwx_nonce_reused")


async def test_session_token_replaces_signing_each_poll(
    client: httpx.AsyncClient, sign: Callable[..., str]
) -> None:
    job_id = await pay(client, sign)
    signed = await signed_get(client, f"/api/jobs/{job_id}")
    token = signed.headers["X-Session-Token"]
    for _ in range(3):
        again = await client.get(
            f"/api/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert again.status_code == 200
    bad = await client.get(f"/api/jobs/{job_id}", headers={"Authorization": f"Bearer {token}x"})
    assert (bad.status_code, bad.json()["code"]) == (401, "session_invalid")


async def test_long_poll_returns_when_the_job_finishes(
    client: httpx.AsyncClient, services: Services, sign: Callable[..., str]
) -> None:
    job_id = await pay(client, sign)
    token = (await signed_get(client, f"/api/jobs/{job_id}")).headers["X-Session-Token"]
    auth = {"Authorization": f"Bearer {token}"}
    waiting = asyncio.create_task(client.get(f"/api/jobs/{job_id}?wait=20", headers=auth))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await services.worker().run_until_idle()
    response = await asyncio.wait_for(waiting, 10)
    assert response.json()["status"] in ("loading", "complete")


async def test_events_stream_ends_with_completion(
    client: httpx.AsyncClient, services: Services, sign: Callable[..., str]
) -> None:
    job_id = await pay(client, sign)
    token = (await signed_get(client, f"/api/jobs/{job_id}")).headers["X-Session-Token"]
    events: list[dict[str, Any]] = []

    async def read() -> None:
        async with client.stream(
            "GET", f"/api/jobs/{job_id}/events", headers={"Authorization": f"Bearer {token}"}
        ) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))

    reader = asyncio.create_task(read())
    await asyncio.sleep(0.2)
    await services.worker().run_until_idle()
    await asyncio.wait_for(reader, 10)
    assert events[0]["status"] == "pending"
    assert events[-1]["status"] == "complete" and events[-1]["result"]["imageUrl"]


async def test_list_pages_through_the_callers_jobs_only(
    client: httpx.AsyncClient, sign: Callable[..., str], rail: Any
) -> None:
    ids = [await pay(client, sign) for _ in range(3)]
    from tests.unit.payments.conftest import make_signer

    other_sign = make_signer(rail)
    await client.post(ROUTE, json=BODY, headers={"PAYMENT-SIGNATURE": other_sign(key=OTHER_KEY)})
    first = await signed_get(client, "/api/jobs", limit=2)
    token = first.headers["X-Session-Token"]
    page = first.json()
    assert [j["id"] for j in page["jobs"]] == ids[::-1][:2]
    second = await client.get(
        "/api/jobs",
        params={"limit": 2, "cursor": page["nextCursor"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert [j["id"] for j in second.json()["jobs"]] == [ids[0]]
    assert second.json()["nextCursor"] is None


async def test_only_failed_jobs_can_be_deleted(
    client: httpx.AsyncClient, services: Services, sign: Callable[..., str]
) -> None:
    job_id = await pay(client, sign)
    token = (await signed_get(client, f"/api/jobs/{job_id}")).headers["X-Session-Token"]
    auth = {"Authorization": f"Bearer {token}"}
    refused = await client.delete(f"/api/jobs/{job_id}", headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (409, "job_not_deletable")
    [claimed] = await services.queue.claim("w", 30)
    await services.queue.fail(
        job_id, "w", {"code": "content_refused", "message": "no", "retryable": False}
    )
    assert (await client.delete(f"/api/jobs/{job_id}", headers=auth)).status_code == 200
    assert (await client.get(f"/api/jobs/{job_id}", headers=auth)).status_code == 404
    del claimed


@pytest.mark.parametrize("header", ["%%%", base64.b64encode(b"{}").decode(), '{"a":1}'])
async def test_malformed_proof_is_refused(
    client: httpx.AsyncClient, sign: Callable[..., str], header: str
) -> None:
    job_id = await pay(client, sign)
    response = await client.get(f"/api/jobs/{job_id}", headers={"SIGN-IN-WITH-X": header})
    assert response.status_code == 401
    assert response.json()["code"] == "siwx_malformed"
