"""The golden path on the real server: the official x402 client pays, our SIWX signer polls."""

from __future__ import annotations

import base64
import io
import json

import httpx
from PIL import Image
from x402.http.clients.httpx import x402HttpxClient

from studio402.client.payer import official_x402_client
from studio402.client.siwx import sign_in_with_x

from .conftest import DevServer


async def test_pay_poll_and_download_on_the_dev_profile(dev_server: DevServer) -> None:
    chain = dev_server.chain
    client = official_x402_client(
        dev_server.keys["payer"], str(chain["network"]), str(chain["token_address"]), 1_000_000
    )
    async with x402HttpxClient(client, timeout=30) as http:
        paid = await http.post(
            dev_server.url + "/api/generate/nano-banana-pro/generate",
            json={"prompt": "an orange tabby", "aspectRatio": "9:16"},
        )
    assert paid.status_code == 200, paid.text
    receipt = json.loads(base64.b64decode(paid.headers["PAYMENT-RESPONSE"]))
    assert receipt["success"] and receipt["transaction"]
    poll_url = paid.json()["pollUrl"]

    async with httpx.AsyncClient(timeout=60) as http:
        challenge = json.loads(
            base64.b64decode((await http.get(poll_url)).headers["PAYMENT-REQUIRED"])
        )
        header = sign_in_with_x(challenge["extensions"]["sign-in-with-x"], dev_server.keys["payer"])
        first = await http.get(poll_url, headers={"SIGN-IN-WITH-X": header})
        assert first.status_code == 200
        auth = {"Authorization": "Bearer " + first.headers["X-Session-Token"]}
        job = first.json()
        for _ in range(20):
            if job["status"] == "complete":
                break
            job = (await http.get(poll_url, params={"wait": 10}, headers=auth)).json()
        assert job["status"] == "complete", job
        assert job["payment"]["transaction"] == receipt["transaction"]
        image = await http.get(job["result"]["imageUrl"])
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == (768, 1376)
