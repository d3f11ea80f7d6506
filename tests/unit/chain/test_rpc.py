"""JSON-RPC clients: batching of concurrent calls, error mapping, transport failures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from eth_abi.abi import encode

from studio402.chain.rpc import (
    AsyncJsonRpc,
    JsonRpc,
    is_revert,
    is_transport_error,
    revert_data,
    revert_reason,
)
from studio402.errors import ChainError

REVERT_DATA = "0x08c379a0" + encode(["string"], ["FiatTokenV2: authorization is expired"]).hex()


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    if body["method"] == "boom":
        return {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32000, "message": "boom"}}
    if body["method"] == "eth_call":
        error = {"code": 3, "message": "execution reverted", "data": REVERT_DATA}
        return {"jsonrpc": "2.0", "id": body["id"], "error": error}
    return {"jsonrpc": "2.0", "id": body["id"], "result": body["method"]}


class Node:
    """A fake JSON-RPC node that records how many HTTP requests it got."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if isinstance(body, list):
            return httpx.Response(200, json=[_answer(b) for b in body])
        return httpx.Response(200, json=_answer(body))


async def test_concurrent_calls_share_one_batch_request() -> None:
    node = Node()
    client = httpx.AsyncClient(transport=httpx.MockTransport(node))
    async with AsyncJsonRpc("http://node", client, max_inflight=1) as rpc:
        results = await asyncio.gather(*(rpc.call(f"m{i}") for i in range(20)))
    await client.aclose()
    assert results == [f"m{i}" for i in range(20)]
    assert len(node.requests) == 1
    assert len(node.requests[0]) == 20


async def test_a_lone_call_is_a_plain_request_and_errors_stay_per_call() -> None:
    node = Node()
    client = httpx.AsyncClient(transport=httpx.MockTransport(node))
    rpc = AsyncJsonRpc("http://node", client)
    assert await rpc.call("eth_chainId") == "eth_chainId"
    assert isinstance(node.requests[0], dict)
    ok, failed = await asyncio.gather(rpc.call("fine"), rpc.call("boom"), return_exceptions=True)
    assert ok == "fine"
    assert isinstance(failed, ChainError) and failed.message == "boom"
    assert not is_transport_error(failed) and not is_revert(failed)
    await rpc.aclose()
    await client.aclose()


async def test_revert_reason_is_decoded_into_the_message() -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(Node()))
    rpc = AsyncJsonRpc("http://node", client)
    with pytest.raises(ChainError) as info:
        await rpc.call("eth_call", [{}, "latest"])
    await client.aclose()
    assert is_revert(info.value)
    assert "execution reverted: FiatTokenV2: authorization is expired" in info.value.message
    assert revert_data(info.value) == REVERT_DATA
    assert revert_reason(REVERT_DATA) == "FiatTokenV2: authorization is expired"
    assert revert_reason("0x1234") is None


async def test_transport_failures_are_marked() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    rpc = AsyncJsonRpc("http://node", client)
    with pytest.raises(ChainError) as info:
        await rpc.call("eth_sendRawTransaction", ["0x00"])
    assert is_transport_error(info.value)
    garbage = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(502)))
    with pytest.raises(ChainError) as info:
        await AsyncJsonRpc("http://node", garbage).call("eth_chainId")
    assert is_transport_error(info.value)
    await client.aclose()
    await garbage.aclose()


def test_sync_client() -> None:
    client = httpx.Client(transport=httpx.MockTransport(Node()))
    with JsonRpc("http://node", client) as rpc:
        assert rpc.call("eth_blockNumber") == "eth_blockNumber"
        with pytest.raises(ChainError, match="boom"):
            rpc.call("boom")
    client.close()


async def test_a_batch_that_cannot_be_sent_fails_its_callers() -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(Node()))
    rpc = AsyncJsonRpc("http://node", client)
    with pytest.raises(ChainError, match="TypeError"):
        await rpc.call("eth_call", [object()])
    assert await rpc.call("eth_chainId") == "eth_chainId"
    await client.aclose()
