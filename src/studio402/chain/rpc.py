"""Minimal JSON-RPC 2.0 clients (async and sync) over httpx, with one pooled connection set each.

Every failure is raised as :class:`studio402.errors.ChainError`. Its ``details`` say what kind:

- ``transport=True``: the node could not be reached or answered something that is not JSON-RPC;
  the outcome of a state-changing call is unknown.
- ``rpc_code`` / ``rpc_message``: the node answered with a JSON-RPC error object.
- ``revert_data``: hex return data of a reverted call, when the node sent it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

from studio402.errors import ChainError

from ._jsonrpc import (
    is_revert,
    is_transport_error,
    parse_answers,
    parse_response,
    revert_data,
    revert_reason,
    rpc_error,
    settle_future,
    transport_error,
)

__all__ = [
    "AsyncJsonRpc",
    "JsonRpc",
    "is_revert",
    "is_transport_error",
    "revert_data",
    "revert_reason",
]

_DEFAULT_TIMEOUT_S = 10.0


@dataclass
class _Call:
    method: str
    params: Sequence[Any]
    future: asyncio.Future[Any]


class AsyncJsonRpc:
    """Async JSON-RPC client that coalesces concurrent calls into batch requests.

    Calls made in the same event-loop tick leave together, and while ``max_inflight`` HTTP
    requests are open, new calls queue and leave together next: one JSON-RPC batch holds up to
    ``max_batch`` calls (``max_batch=1`` disables batching). A lone call still leaves on the
    next tick, so batching adds no measurable latency. Pass a shared
    ``httpx.AsyncClient`` to reuse its connection pool; otherwise one is created here and closed
    by :meth:`aclose`.
    """

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient | None = None,
        *,
        timeout_s: float = _DEFAULT_TIMEOUT_S,
        max_batch: int = 64,
        max_inflight: int = 4,
    ) -> None:
        self.url = url
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self._timeout_s = timeout_s
        self._ids = itertools.count(1)
        self._max_batch = max(1, max_batch)
        self._max_inflight = max(1, max_inflight)
        self._queue: deque[_Call] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flush_scheduled = False

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call ``method`` and return its ``result``; raises :class:`ChainError`."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append(_Call(method, params, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._dispatch)
        return await future

    def _dispatch(self) -> None:
        self._flush_scheduled = False
        while self._queue and len(self._tasks) < self._max_inflight:
            batch: list[_Call] = []
            while self._queue and len(batch) < self._max_batch:
                item = self._queue.popleft()
                if not item.future.done():
                    batch.append(item)
            if batch:
                task = asyncio.get_running_loop().create_task(self._send(batch))
                self._tasks.add(task)
                task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # already handed to the callers; mark it retrieved
        if self._queue:
            self._dispatch()

    async def _send(self, batch: list[_Call]) -> None:
        ids = [next(self._ids) for _ in batch]
        bodies = [
            {"jsonrpc": "2.0", "id": id_, "method": c.method, "params": c.params}
            for id_, c in zip(ids, batch, strict=True)
        ]
        label = batch[0].method if len(batch) == 1 else f"batch of {len(batch)}"
        try:
            response = await self._client.post(
                self.url, json=bodies[0] if len(batch) == 1 else bodies, timeout=self._timeout_s
            )
            answers = parse_answers(label, response, ids)
        except (httpx.HTTPError, ChainError) as exc:
            error = exc if isinstance(exc, ChainError) else transport_error(label, exc)
            for item in batch:
                settle_future(item.future, error=error)
            return
        except BaseException as exc:  # cancelled, or params that cannot be encoded
            error = ChainError(f"{label}: {type(exc).__name__}: {exc}", transport=True)
            for item in batch:
                settle_future(item.future, error=error)
            raise
        for id_, item in zip(ids, batch, strict=True):
            answer = answers.get(id_)
            if answer is None:
                error = ChainError(f"{item.method}: no answer in batch", transport=True)
                settle_future(item.future, error=error)
            elif "error" in answer:
                settle_future(item.future, error=rpc_error(item.method, answer["error"]))
            elif "result" not in answer:
                error = ChainError(f"{item.method}: unexpected JSON-RPC answer", transport=True)
                settle_future(item.future, error=error)
            else:
                settle_future(item.future, result=answer["result"])

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class JsonRpc:
    """Blocking JSON-RPC client (thread-safe) for worker threads, scripts and the dev chain."""

    def __init__(
        self,
        url: str,
        client: httpx.Client | None = None,
        *,
        timeout_s: float = _DEFAULT_TIMEOUT_S,
        max_connections: int = 100,
    ) -> None:
        self.url = url
        self._owns_client = client is None
        limits = httpx.Limits(max_connections=max_connections)
        self._client = client or httpx.Client(timeout=timeout_s, limits=limits)
        self._timeout_s = timeout_s
        self._ids = itertools.count(1)

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call ``method`` and return its ``result``; raises :class:`ChainError`."""
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            response = self._client.post(self.url, json=payload, timeout=self._timeout_s)
        except httpx.HTTPError as exc:
            raise transport_error(method, exc) from exc
        return parse_response(method, response)

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
