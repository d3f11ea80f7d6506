"""``studio402 demo``: start everything, pay for one generation with the official x402 client, stop."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from typing import Any

import uvicorn
from x402.http.clients.httpx import x402HttpxClient

from studio402.app import create_app
from studio402.chain.devkeys import load_dev_keys
from studio402.chain.wiring import dev_chain_dir
from studio402.cli.options import DataDir, settings_from
from studio402.client.payer import official_x402_client
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
    server = uvicorn.Server(uvicorn.Config(
        create_app(settings, on_ready=on_ready), host=settings.api.host, port=settings.api.port,
        log_level="warning",
    ))
    serving = asyncio.create_task(_serve(server))
    try:
        await asyncio.wait({ready, serving}, timeout=120, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            raise RuntimeError("the server did not start; see the log above")
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        _step("server and local chain up", started)
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
    url = f"{settings.resolved_public_url}/api/generate/nano-banana-pro/generate"
    body = {"prompt": PROMPT, "aspectRatio": "16:9", "imageSize": "1K"}
    async with x402HttpxClient(client, timeout=30) as http:
        started = time.perf_counter()
        quote = await http.post(url, json=body)
        _step("402 quote read, payment signed and settled", started)
    if quote.status_code != 200:
        raise RuntimeError(f"payment failed: {quote.status_code} {quote.text}")
    job = quote.json()
    receipt = _receipt(quote.headers.get("PAYMENT-RESPONSE", ""))
    print(f"job        {job['jobId']} ({job['type']}, status {job['status']})")
    print(f"poll at    {job['pollUrl']}")
    print(f"tx hash    {receipt.get('transaction')}")
    print(f"paid       {receipt.get('amount')} atomic units by {receipt.get('payer')}")


def _receipt(header: str) -> dict[str, Any]:
    if not header:
        return {}
    decoded: dict[str, Any] = json.loads(base64.b64decode(header))
    return decoded


def _step(label: str, since: float) -> None:
    print(f"{label:<45} {1000 * (time.perf_counter() - since):8.1f} ms")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
