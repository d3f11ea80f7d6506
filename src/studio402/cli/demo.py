"""``studio402 demo``: start everything, pay for one image with the official x402 client, poll it
with SIGN-IN-WITH-X, download it, stop."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from PIL import Image
from x402.http.clients.httpx import x402HttpxClient

from studio402.app import create_app
from studio402.chain.devkeys import load_dev_keys
from studio402.chain.wiring import dev_chain_dir
from studio402.cli.options import DataDir, settings_from
from studio402.client.payer import official_x402_client
from studio402.client.siwx import sign_in_with_x
from studio402.services import Services
from studio402.settings import Settings

PROMPT = "A lighthouse on a cliff at sunset, volumetric light"


def demo(data_dir: DataDir = None) -> None:
    """Pay for one Nano Banana Pro image on the local chain and print what happened."""
    port = _free_port()
    settings = settings_from(data_dir, "127.0.0.1", port)
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    ready: asyncio.Future[Services] = asyncio.get_running_loop().create_future()

    async def on_ready(services: Services) -> None:
        ready.set_result(services)

    started = time.perf_counter()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, on_ready=on_ready),
            host=settings.api.host,
            port=settings.api.port,
            log_level="warning",
        )
    )
    serving: asyncio.Future[Any] = asyncio.ensure_future(_serve(server))
    try:
        await asyncio.wait([ready, serving], timeout=120, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            raise RuntimeError("the server did not start; see the log above")
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
            await asyncio.sleep(0.01)
        _step("server, worker and local chain up", started)
        await _pay_once(ready.result())
    finally:
        server.should_exit = True
        await serving


async def _serve(server: uvicorn.Server) -> None:
    try:
        await server.serve()
    except SystemExit:  # uvicorn exits this way when start-up fails
        return


async def _pay_once(services: Services) -> None:
    settings = services.settings
    rail = services.rail
    key = load_dev_keys(dev_chain_dir(settings)).payer
    client = official_x402_client(key, rail.network, rail.asset, max_amount_atomic=1_000_000)
    base = settings.resolved_public_url
    body = {"prompt": PROMPT, "aspectRatio": "16:9", "imageSize": "1K"}
    async with x402HttpxClient(client, timeout=30) as http:
        started = time.perf_counter()
        paid = await http.post(f"{base}/api/generate/nano-banana-pro/generate", json=body)
        _step("paid: 402 read, signed, verified, settled", started)
    if paid.status_code != 200:
        raise RuntimeError(f"payment failed: {paid.status_code} {paid.text}")
    job = paid.json()
    receipt = _receipt(paid.headers.get("PAYMENT-RESPONSE", ""))
    print(f"  job      {job['jobId']} ({job['type']})")
    print(f"  tx hash  {receipt.get('transaction')}")
    print(f"  paid     {receipt.get('amount')} atomic units by {receipt.get('payer')}")

    async with httpx.AsyncClient(timeout=90) as http:
        started = time.perf_counter()
        challenge = await http.get(job["pollUrl"])
        extension = _siwx_extension(challenge)
        polled = await http.get(
            job["pollUrl"], headers={"SIGN-IN-WITH-X": sign_in_with_x(extension, key)}
        )
        token = polled.headers["X-Session-Token"]
        _step(f"signed in with SIWX (status {polled.json()['status']})", started)
        started = time.perf_counter()
        document = polled.json()
        while document["status"] not in ("complete", "failed"):
            document = (
                await http.get(
                    job["pollUrl"],
                    params={"wait": 30},
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).json()
        _step(f"job {document['status']} (long-poll with session token)", started)
        if document["status"] != "complete":
            raise RuntimeError(f"job failed: {document['error']}")
        started = time.perf_counter()
        image = await http.get(document["result"]["imageUrl"])
        image.raise_for_status()
        path = Path.cwd() / f"studio402-{job['jobId']}.png"
        path.write_bytes(image.content)
        _step("downloaded", started)
    with Image.open(path) as picture:
        width, height = picture.size
    print(f"  image    {path} ({width}x{height} px, {len(image.content)} bytes)")


def _siwx_extension(response: httpx.Response) -> dict[str, Any]:
    document = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    extension: dict[str, Any] = document["extensions"]["sign-in-with-x"]
    return extension


def _receipt(header: str) -> dict[str, Any]:
    if not header:
        return {}
    decoded: dict[str, Any] = json.loads(base64.b64decode(header))
    return decoded


def _step(label: str, since: float) -> None:
    print(f"{label:<52} {1000 * (time.perf_counter() - since):8.1f} ms")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
