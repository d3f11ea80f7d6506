"""The MCP server through the MCP SDK's own client: stdio against a running dev server, and
streamable HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("mcp", reason="the MCP SDK is not installed (pip install mcp==2.3.0)")

from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, ImageContent

from studio402.testing.server import free_port

from .conftest import DevServer

TOOLS = {
    "list_models",
    "quote",
    "generate_image",
    "edit_image",
    "generate_video",
    "get_job",
    "wait_for_job",
    "wallet_balance",
}


def _env(server: DevServer, tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO402_")}
    return {
        **base,
        "STUDIO402_API_URL": server.url,
        "STUDIO402_WALLET": f"dev:{server.data_dir}",
        "STUDIO402_MCP_MAX_PER_CALL": "0.20",
        "STUDIO402_MCP_MAX_PER_SESSION": "1.00",
        "STUDIO402_MCP_OUT_DIR": str(tmp_path / "out"),
    }


@asynccontextmanager
async def stdio_mcp(server: DevServer, tmp_path: Path) -> AsyncIterator[Client]:
    """``studio402 mcp`` over stdio, driven by the MCP SDK's client (entered in the test's task:
    the client's task group must exit where it was entered)."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "studio402.cli", "mcp"],
        env=_env(server, tmp_path),
        cwd=str(tmp_path),
    )
    async with Client(params, read_timeout_seconds=120) as client:
        yield client


def _saved_in(file: str, directory: Path) -> bool:
    return Path(file).is_file() and Path(file).parent == directory


def structured(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, result.content
    return dict(result.structured_content)


async def test_tools_are_listed_with_schemas_and_descriptions(
    shared_server: DevServer, tmp_path: Path
) -> None:
    async with stdio_mcp(shared_server, tmp_path) as mcp_client:
        tools = {tool.name: tool for tool in (await mcp_client.list_tools()).tools}
        assert set(tools) == TOOLS
        generate = tools["generate_image"]
        assert "PAID" in (generate.description or "")
        properties = generate.input_schema["properties"]
        assert {"prompt", "model", "options", "wait", "timeout_s", "max_price_usd"} <= set(
            properties
        )
        assert generate.input_schema["required"] == ["prompt"]
        assert properties["options"]["description"]
        assert tools["quote"].annotations is not None and tools["quote"].annotations.read_only_hint


async def test_quote_generate_and_follow_a_job(shared_server: DevServer, tmp_path: Path) -> None:
    async with stdio_mcp(shared_server, tmp_path) as mcp_client:
        await _quote_generate_and_follow(mcp_client, tmp_path)


async def _quote_generate_and_follow(mcp_client: Client, tmp_path: Path) -> None:
    models = structured(await mcp_client.call_tool("list_models", {}))
    assert "nano-banana-pro" in json.dumps(models["models"])
    quote = structured(
        await mcp_client.call_tool(
            "quote", {"prompt": "a koi pond", "options": {"aspectRatio": "4:3", "imageSize": "1K"}}
        )
    )
    assert quote["amount"] == "134000" and quote["withinCaps"] is True

    result = await mcp_client.call_tool(
        "generate_image", {"prompt": "a koi pond", "options": {"aspectRatio": "4:3"}}
    )
    assert not result.is_error, result.content
    document = structured(result)
    assert document["job"]["status"] == "complete"
    assert document["job"]["result"]["imageUrl"].startswith("http://127.0.0.1:")
    assert _saved_in(document["file"], tmp_path / "out")
    images = [block for block in result.content if isinstance(block, ImageContent)]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    assert document["caps"]["spentUsd"] == "0.134"

    job_id = document["paid"]["jobId"]
    again = structured(await mcp_client.call_tool("get_job", {"job_id": job_id}))
    assert again["job"]["id"] == job_id and again["job"]["status"] == "complete"
    waited = structured(await mcp_client.call_tool("wait_for_job", {"job_id": job_id}))
    assert waited["job"]["status"] == "complete"

    balance = structured(await mcp_client.call_tool("wallet_balance", {}))
    assert balance["address"] and int(balance["balance"]["balance"]) > 0
    assert balance["caps"]["maxPerCallUsd"] == "0.2"


async def test_caps_from_configuration_refuse_before_paying(
    shared_server: DevServer, tmp_path: Path
) -> None:
    async with stdio_mcp(shared_server, tmp_path) as mcp_client:
        await _caps_refuse(mcp_client)


async def _caps_refuse(mcp_client: Client) -> None:
    result = await mcp_client.call_tool(
        "generate_image", {"prompt": "a koi pond", "options": {"imageSize": "4K"}}
    )
    assert result.is_error
    error = structured(result)["error"]
    assert error["code"] == "spending_cap_exceeded" and error["price"]["usd"] == "0.24"
    assert "Nothing was paid" in error["hint"]
    refused = await mcp_client.call_tool(
        "generate_image", {"prompt": "a koi pond", "max_price_usd": "0.10"}
    )
    assert refused.is_error and structured(refused)["error"]["cap"]["usd"] == "0.1"


@pytest.fixture
def mcp_http(shared_server: DevServer, tmp_path: Path) -> Iterator[str]:
    """``studio402 mcp --transport http`` on a free port; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "studio402.cli", "mcp", "--transport", "http", "--port", str(port)],
        env=_env(shared_server, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)


async def test_streamable_http_transport(mcp_http: str) -> None:
    async with Client(mcp_http) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == TOOLS
        quote = structured(await client.call_tool("quote", {"prompt": "a fox"}))
        assert quote["amount"] == "134000"
