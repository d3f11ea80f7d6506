"""Uploads: the paid StableStudio flow (upload → PUT → confirm), native multipart uploads, and
using an uploaded file's URL as a reference image."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from studio402.clock import FrozenClock
from studio402.media.references import input_key
from studio402.services import Services
from studio402.settings import Settings
from studio402.testing.facilitators import ScriptedFacilitator
from tests.unit.media.samples import image_bytes
from tests.unit.payments.conftest import PAYER

PNG = image_bytes("PNG", (50, 40), "green")
OTHER = Account.from_key("0x" + "cd" * 32).address
CREATE = {"filename": "my cat.png", "contentType": "image/png", "size": 10_000}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        chain={"embedded": False},
        media={"native_uploads_per_hour": 2, "max_image_bytes": 100_000},
    )


def bearer(services: Services, address: str) -> dict[str, str]:
    token, _ = services.sessions.issue(address)
    return {"Authorization": f"Bearer {token}"}


async def buy_slot(
    client: httpx.AsyncClient, sign: Callable[..., str], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/api/upload", json=body or CREATE, headers={"PAYMENT-SIGNATURE": sign(10000)}
    )
    assert response.status_code == 200, response.text
    slot: dict[str, Any] = response.json()
    return slot


async def test_the_upload_route_is_quoted_one_cent(client: httpx.AsyncClient) -> None:
    for kwargs in ({"json": CREATE}, {"content": b""}, {"json": {"filename": "x"}}):
        response = await client.post("/api/upload", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 402
        challenge = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
        assert challenge["accepts"][0]["amount"] == "10000"


async def test_a_paid_invalid_upload_request_is_400_and_free(
    client: httpx.AsyncClient, facilitator: ScriptedFacilitator, sign: Callable[..., str]
) -> None:
    for body, field in [
        ({**CREATE, "contentType": "image/svg+xml"}, "contentType"),
        ({**CREATE, "size": 10_000_000}, "size"),
        ({"contentType": "image/png"}, "filename"),
    ]:
        response = await client.post(
            "/api/upload", json=body, headers={"PAYMENT-SIGNATURE": sign(10000)}
        )
        assert response.status_code == 400
        assert response.json()["issues"][0]["field"] == field
    assert facilitator.verify_calls == facilitator.settle_calls == 0


async def test_upload_put_confirm_then_edit_with_the_file(
    client: httpx.AsyncClient,
    services: Services,
    facilitator: ScriptedFacilitator,
    sign: Callable[..., str],
) -> None:
    header = {"PAYMENT-SIGNATURE": sign(10000)}
    first = await client.post("/api/upload", json=CREATE, headers=header)
    assert first.status_code == 200, first.text
    slot = first.json()
    replay = await client.post("/api/upload", json=CREATE, headers=header)
    assert replay.json()["uploadId"] == slot["uploadId"] and facilitator.settle_calls == 1
    assert first.headers["PAYMENT-RESPONSE"]
    assert slot["uploadUrl"].startswith(f"http://127.0.0.1:8402/api/upload/{slot['uploadId']}?")
    assert slot["pathname"] == f"uploads/{slot['uploadId']}/my-cat.png"

    wrong = await client.put(f"/api/upload/{slot['uploadId']}?token=nope", content=PNG)
    assert wrong.status_code == 401
    put = await client.put(slot["uploadUrl"], content=PNG)
    assert put.status_code == 200, put.text
    assert (put.json()["contentType"], put.json()["width"], put.json()["height"]) == (
        "image/png",
        50,
        40,
    )
    again = await client.put(
        f"/api/upload/{slot['uploadId']}",
        content=PNG,
        headers={"Authorization": f"Bearer {slot['clientToken']}"},
    )
    assert again.status_code == 409

    confirm = {"uploadId": slot["uploadId"], "blobUrl": put.json()["url"]}
    anonymous = await client.post("/api/upload/confirm", json=confirm)
    assert anonymous.status_code == 402 and "sign-in-with-x" in anonymous.text
    stranger = await client.post(
        "/api/upload/confirm", json=confirm, headers=bearer(services, OTHER)
    )
    assert stranger.status_code == 403
    confirmed = await client.post(
        "/api/upload/confirm", json=confirm, headers=bearer(services, PAYER)
    )
    assert confirmed.status_code == 200, confirmed.text
    upload = confirmed.json()["upload"]
    assert confirmed.json()["success"] is True and upload["status"] == "confirmed"
    assert (await client.get(upload["blobUrl"])).content == PNG

    edit = {"prompt": "p", "images": [upload["blobUrl"]]}
    paid = await client.post(
        "/api/generate/nano-banana-pro/edit", json=edit, headers={"PAYMENT-SIGNATURE": sign(134000)}
    )
    assert paid.status_code == 200, paid.text
    job = await services.queue.get(paid.json()["jobId"])
    assert job is not None
    assert job.input["_references"][0]["key"] == input_key(PNG, "png")


async def test_slots_refuse_wrong_content_late_uploads_and_oversize(
    client: httpx.AsyncClient,
    services: Services,
    sign: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jpeg_slot = await buy_slot(client, sign, {**CREATE, "contentType": "image/jpg"})
    mismatch = await client.put(jpeg_slot["uploadUrl"], content=PNG)
    assert mismatch.status_code == 400 and "image/png" in mismatch.json()["detail"]
    not_image = await client.put(jpeg_slot["uploadUrl"], content=b"<html>")
    assert not_image.status_code == 400 and not_image.json()["code"] == "invalid_media"
    too_big = await client.put(jpeg_slot["uploadUrl"], content=b"\0" * 10_001)
    assert too_big.status_code == 413
    jpeg = image_bytes("JPEG", (20, 20))
    assert (await client.put(jpeg_slot["uploadUrl"], content=jpeg)).status_code == 200

    late = await buy_slot(client, sign)
    monkeypatch.setattr(services, "clock", FrozenClock(services.clock.now() + timedelta(hours=1)))
    expired = await client.put(late["uploadUrl"], content=PNG)
    assert expired.status_code == 410 and expired.json()["code"] == "upload_expired"

    early = await client.post(
        "/api/upload/confirm", json={"uploadId": late["uploadId"]}, headers=bearer(services, PAYER)
    )
    assert early.status_code == 409
    missing = await client.post(
        "/api/upload/confirm", json={"uploadId": "upl_nope"}, headers=bearer(services, PAYER)
    )
    assert missing.status_code == 404


async def test_native_multipart_uploads_need_a_signed_in_wallet_that_has_paid(
    client: httpx.AsyncClient, services: Services, sign: Callable[..., str]
) -> None:
    files = {"file": ("cat.png", PNG, "image/png")}
    anonymous = await client.post("/api/uploads", files=files)
    assert anonymous.status_code == 402
    first_timer = await client.post("/api/uploads", files=files, headers=bearer(services, PAYER))
    assert first_timer.status_code == 403 and "POST /api/upload" in first_timer.json()["detail"]

    await buy_slot(client, sign)  # the wallet has now paid once
    stored = await client.post("/api/uploads", files=files, headers=bearer(services, PAYER))
    assert stored.status_code == 200, stored.text
    upload = stored.json()["upload"]
    assert upload["status"] == "confirmed" and upload["contentType"] == "image/png"
    assert (await client.get(upload["url"])).content == PNG

    fake = await client.post(
        "/api/uploads",
        files={"file": ("x.png", b"<svg/>", "image/png")},
        headers=bearer(services, PAYER),
    )
    assert fake.status_code == 400
    limited = await client.post("/api/uploads", files=files, headers=bearer(services, PAYER))
    assert limited.status_code == 200
    third = await client.post("/api/uploads", files=files, headers=bearer(services, PAYER))
    assert third.status_code == 429 and third.headers["Retry-After"]
    no_file = await client.post("/api/uploads", data={"x": "1"}, headers=bearer(services, OTHER))
    assert no_file.status_code == 403
    big = await client.post(
        "/api/uploads", files={"file": ("b.png", b"\0" * 200_000)}, headers=bearer(services, PAYER)
    )
    assert big.status_code == 413
