"""Real third-party x402 clients against a dev server on a second dev chain with chain id 8453
(our own token at its own deploy address, never Base's USDC): agentcash 0.14.4 pays the route
and polls the job with SIGN-IN-WITH-X; the official TypeScript client (@x402/fetch) pays it.

Needs node and ``make interop/node_modules/.installed``; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from studio402.settings import BASE_MAINNET_USDC
from studio402.testing.chain import anvil_unavailable_reason

from .conftest import DevServer, start_server, stop_server

INTEROP = Path(__file__).resolve().parents[2] / "interop"
AGENTCASH = INTEROP / "node_modules" / "agentcash" / "dist" / "esm" / "index.js"
ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "a cat", "aspectRatio": "1:1", "imageSize": "1K"}


def _node_unavailable_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (the interop tests drive npm clients)"
    if not AGENTCASH.is_file() or not (INTEROP / "node_modules" / "@x402" / "fetch").is_dir():
        return "interop clients not installed: run `make interop/node_modules/.installed`"
    return None


pytestmark = pytest.mark.skipif(
    _node_unavailable_reason() is not None, reason=str(_node_unavailable_reason())
)


@pytest.fixture(scope="module")
def base_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """A dev server whose embedded chain has chain id 8453."""
    reason = anvil_unavailable_reason()
    if reason:
        pytest.skip(f"no local chain: {reason}")
    data_dir = tmp_path_factory.mktemp("base") / "data"
    data_dir.mkdir()
    server = start_server(data_dir, ("STUDIO402_CHAIN__CHAIN_ID", "8453"))
    chain = server.chain
    assert chain["network"] == "eip155:8453"
    assert str(chain["token_address"]).lower() != BASE_MAINNET_USDC.lower()
    yield server
    stop_server(server)


@dataclass
class BalanceStub:
    """agentcash --dev asks http://localhost:3000/api/balance before paying; this answers."""

    env: dict[str, str]
    calls: list[dict[str, Any]] = field(default_factory=list)


def _handler(stub: BalanceStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("content-length") or 0)
            request = json.loads(self.rfile.read(size) or b"{}")
            stub.calls.append({"path": self.path, **request})
            tempo = request.get("network") == "tempo"  # 0 there, so x402 wins agentcash's pick
            answer = {
                "balance": 0 if tempo else 10,
                "network": "eip155:8453",
                "paymentNetwork": "base",
                "chainId": 8453,
            }
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


class _Ipv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _serve(addresses: list[tuple[str, int]], stub: BalanceStub) -> list[ThreadingHTTPServer]:
    servers: list[ThreadingHTTPServer] = []
    try:
        for host, port in addresses:
            cls = _Ipv6Server if ":" in host else ThreadingHTTPServer
            servers.append(cls((host, port), _handler(stub)))
    except OSError:
        for server in servers:
            server.server_close()
        raise
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return servers


@pytest.fixture(params=["localhost:3000", "rerouted"])
def balance_stub(request: pytest.FixtureRequest) -> Iterator[BalanceStub]:
    """The stub on 127.0.0.1:3000 and [::1]:3000; when that port is taken (or for the
    ``rerouted`` case), on a free port, with agentcash's dev calls rerouted there by a preload."""
    stub = BalanceStub(env={})
    servers: list[ThreadingHTTPServer] = []
    if request.param == "localhost:3000":
        try:
            servers = _serve([("127.0.0.1", 3000), ("::1", 3000)], stub)
        except OSError:
            servers = []
    if not servers:
        servers = _serve([("127.0.0.1", 0)], stub)
        port = servers[0].server_address[1]
        stub.env = {
            "NODE_OPTIONS": f"--import={INTEROP / 'reroute-dev-api.mjs'}",
            "AGENTCASH_DEV_API": f"http://127.0.0.1:{port}",
        }
    try:
        yield stub
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def _node(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STUDIO402_", "X402_", "NODE_OPTIONS"))
    }
    result = subprocess.run(
        ["node", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_agentcash_pays_the_route_and_polls_with_siwx(
    base_server: DevServer, balance_stub: BalanceStub, tmp_path: Path
) -> None:
    env = {"HOME": str(tmp_path), "X402_PRIVATE_KEY": base_server.keys["payer"], **balance_stub.env}
    paid = _node(
        [
            str(AGENTCASH),
            "fetch",
            base_server.url + ROUTE,
            "-m",
            "POST",
            "-b",
            json.dumps(BODY),
            "--dev",
            "--format",
            "json",
        ],
        env,
        INTEROP,
    )
    assert paid["success"] is True, paid
    job = paid["data"]
    assert job["status"] == "pending" and job["type"] == "nano-banana-pro-generate"
    transaction = paid["metadata"]["payment"]["transactionHash"]
    assert transaction.startswith("0x") and paid["metadata"]["protocol"] == "x402"
    assert any(call["path"] == "/api/balance" for call in balance_stub.calls)

    polled: dict[str, Any] = {}
    for _ in range(20):
        polled = _node(
            [str(AGENTCASH), "fetch", job["pollUrl"], "--dev", "--format", "json"], env, INTEROP
        )
        assert polled["success"] is True, polled
        if polled["data"]["status"] == "complete":
            break
        time.sleep(0.5)
    document = polled["data"]
    assert document["id"] == job["jobId"] and document["status"] == "complete"
    assert document["result"]["imageUrl"] and document["payment"]["transaction"] == transaction
    assert (tmp_path / ".agentcash").is_dir()  # everything it wrote stayed in the tmp HOME


def test_x402_fetch_pays_the_route(base_server: DevServer, tmp_path: Path) -> None:
    chain = base_server.chain
    result = _node(
        [
            "pay_with_x402_fetch.mjs",
            base_server.url + ROUTE,
            json.dumps(BODY),
            str(chain["network"]),
            str(chain["token_address"]),
            "1000000",
        ],
        {"X402_PRIVATE_KEY": base_server.keys["payer"], "HOME": str(tmp_path)},
        INTEROP,
    )
    assert result["status"] == 200, result
    assert result["body"]["jobId"] and result["body"]["success"] is True
    receipt = result["paymentResponse"]
    assert receipt["success"] is True and receipt["network"] == "eip155:8453"
    assert receipt["payer"].lower() == str(chain["payer_address"]).lower()
