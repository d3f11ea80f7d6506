"""End-to-end fixtures: the real `studio402 serve` in a subprocess, on the embedded dev chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from studio402.testing.chain import anvil_unavailable_reason
from studio402.testing.server import free_port


@dataclass
class DevServer:
    """A running dev-profile server: its URL, data directory and dev keys."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def keys(self) -> dict[str, str]:
        loaded: dict[str, str] = json.loads((self.data_dir / "chain" / "dev-keys.json").read_text())
        return loaded

    @property
    def chain(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(
            (self.data_dir / "chain" / "devchain.json").read_text()
        )
        return loaded


def start_server(data_dir: Path, *extra_env: tuple[str, str]) -> DevServer:
    port = free_port()
    env = {
        **os.environ,
        "STUDIO402_DATA_DIR": str(data_dir),
        "STUDIO402_CHAIN__PERSIST_STATE": "false",
        **dict(extra_env),
    }
    log = (data_dir / "server.log").open("ab")
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "studio402.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text()[-3000:])
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return DevServer(url, data_dir, process)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise TimeoutError("server did not start")


def stop_server(server: DevServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    reason = anvil_unavailable_reason()
    if reason:
        pytest.skip(f"no local chain: {reason}")
    (tmp_path / "data").mkdir()
    server = start_server(tmp_path / "data")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """One dev server for a whole test module (each test pays its own jobs)."""
    reason = anvil_unavailable_reason()
    if reason:
        pytest.skip(f"no local chain: {reason}")
    data_dir = tmp_path_factory.mktemp("server") / "data"
    data_dir.mkdir()
    server = start_server(data_dir)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """A dev server with no worker: paid jobs stay ``pending`` until a test finishes them."""
    reason = anvil_unavailable_reason()
    if reason:
        pytest.skip(f"no local chain: {reason}")
    data_dir = tmp_path_factory.mktemp("idle") / "data"
    data_dir.mkdir()
    server = start_server(data_dir, ("STUDIO402_WORKER__IN_PROCESS", "false"))
    yield server
    stop_server(server)
