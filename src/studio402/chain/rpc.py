"""Minimal JSON-RPC 2.0 clients (async and sync) over httpx, with one pooled connection set each.

Every failure is raised as :class:`studio402.errors.ChainError`. Its ``details`` say what kind:

- ``transport=True``: the node could not be reached or answered something that is not JSON-RPC;
  the outcome of a state-changing call is unknown.
- ``rpc_code`` / ``rpc_message``: the node answered with a JSON-RPC error object.
- ``revert_data``: hex return data of a reverted call, when the node sent it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import httpx
from eth_abi.abi import decode as abi_decode

from studio402.errors import ChainError

__all__ = [
    "AsyncJsonRpc",
    "JsonRpc",
    "is_revert",
    "is_transport_error",
    "revert_data",
    "revert_reason",
]

_ERROR_STRING_SELECTOR = "08c379a0"
_DEFAULT_TIMEOUT_S = 10.0


def is_transport_error(error: ChainError) -> bool:
    """True when the node was not reached or its answer could not be read (outcome unknown)."""
    return bool(error.details.get("transport"))


def is_revert(error: ChainError) -> bool:
    """True when the node reported that the EVM execution reverted."""
    return error.details.get("revert_data") is not None or "revert" in error.message.lower()


def revert_data(error: ChainError) -> str | None:
    """The hex revert data carried by a reverted call, if the node sent it."""
    data = error.details.get("revert_data")
    return data if isinstance(data, str) else None


def revert_reason(data: str | None) -> str | None:
    """Decode a Solidity ``Error(string)`` revert payload; ``None`` for anything else."""
    if not data:
        return None
    raw = data.removeprefix("0x")
    if not raw.startswith(_ERROR_STRING_SELECTOR):
        return None
    try:
        (reason,) = abi_decode(["string"], bytes.fromhex(raw[8:]))
    except Exception:  # a malformed payload is not a readable reason
        return None
    return str(reason)


def _error_data(error: dict[str, Any]) -> str | None:
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data") or data.get("result")
    if isinstance(data, str) and data.startswith("0x"):
        return data
    return None


def _rpc_error(method: str, error: Any) -> ChainError:
    if not isinstance(error, dict):
        return ChainError(f"{method}: malformed JSON-RPC error {error!r}", method=method)
    message = str(error.get("message", "unknown JSON-RPC error"))
    data = _error_data(error)
    reason = revert_reason(data)
    if reason and reason not in message:
        message = (
            f"{message}: {reason}"
            if "revert" in message.lower()
            else (f"execution reverted: {reason} ({message})")
        )
    return ChainError(
        message,
        method=method,
        rpc_code=error.get("code"),
        rpc_message=error.get("message"),
        revert_data=data,
        transport=False,
    )


def _parse_response(method: str, response: httpx.Response) -> Any:
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise ChainError(
            f"{method}: node answered HTTP {response.status_code} with a non-JSON body",
            method=method,
            transport=True,
        ) from exc
    if isinstance(body, dict) and "error" in body:
        raise _rpc_error(method, body["error"])
    if not isinstance(body, dict) or "result" not in body:
        raise ChainError(
            f"{method}: unexpected JSON-RPC answer (HTTP {response.status_code})",
            method=method,
            transport=True,
        )
    return body["result"]


def _transport_error(method: str, exc: httpx.HTTPError) -> ChainError:
    return ChainError(f"{method}: {type(exc).__name__}: {exc}", method=method, transport=True)


class AsyncJsonRpc:
    """Async JSON-RPC client. Pass a shared ``httpx.AsyncClient`` to reuse its connection pool;
    otherwise one is created here and closed by :meth:`aclose`."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient | None = None,
        *,
        timeout_s: float = _DEFAULT_TIMEOUT_S,
    ) -> None:
        self.url = url
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self._ids = itertools.count(1)

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call ``method`` and return its ``result``; raises :class:`ChainError`."""
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            response = await self._client.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise _transport_error(method, exc) from exc
        return _parse_response(method, response)

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
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
        self._ids = itertools.count(1)

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call ``method`` and return its ``result``; raises :class:`ChainError`."""
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise _transport_error(method, exc) from exc
        return _parse_response(method, response)

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
