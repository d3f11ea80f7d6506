"""JSON-RPC 2.0 plumbing shared by the async and sync clients: answers and error mapping."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from eth_abi.abi import decode as abi_decode

from studio402.errors import ChainError

_ERROR_STRING_SELECTOR = "08c379a0"


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


def error_data(error: dict[str, Any]) -> str | None:
    """The hex ``data`` of a JSON-RPC error object (revert payload), if any."""
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data") or data.get("result")
    if isinstance(data, str) and data.startswith("0x"):
        return data
    return None


def rpc_error(method: str, error: Any) -> ChainError:
    """A :class:`ChainError` for a JSON-RPC error object, revert reason decoded."""
    if not isinstance(error, dict):
        return ChainError(f"{method}: malformed JSON-RPC error {error!r}", method=method)
    message = str(error.get("message", "unknown JSON-RPC error"))
    data = error_data(error)
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


def parse_response(method: str, response: httpx.Response) -> Any:
    """The ``result`` of a single JSON-RPC answer; raises :class:`ChainError`."""
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise ChainError(
            f"{method}: node answered HTTP {response.status_code} with a non-JSON body",
            method=method,
            transport=True,
        ) from exc
    if isinstance(body, dict) and "error" in body:
        raise rpc_error(method, body["error"])
    if not isinstance(body, dict) or "result" not in body:
        raise ChainError(
            f"{method}: unexpected JSON-RPC answer (HTTP {response.status_code})",
            method=method,
            transport=True,
        )
    return body["result"]


def transport_error(method: str, exc: httpx.HTTPError) -> ChainError:
    """A transport-level :class:`ChainError` (outcome unknown) for an httpx failure."""
    return ChainError(f"{method}: {type(exc).__name__}: {exc}", method=method, transport=True)


def settle_future(
    future: asyncio.Future[Any], *, result: Any = None, error: Exception | None = None
) -> None:
    """Resolve ``future`` with ``result`` or ``error`` unless it is already done."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def parse_answers(label: str, response: httpx.Response, ids: list[int]) -> dict[int, Any]:
    """Answers of a (batch) request keyed by id; raises :class:`ChainError` if unreadable."""
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise ChainError(
            f"{label}: node answered HTTP {response.status_code} with a non-JSON body",
            transport=True,
        ) from exc
    if isinstance(body, dict) and len(ids) > 1 and "error" in body:
        raise rpc_error(label, body["error"])
    answers = body if isinstance(body, list) else [body]
    by_id: dict[Any, Any] = {a.get("id"): a for a in answers if isinstance(a, dict)}
    if len(ids) == 1 and ids[0] not in by_id and len(answers) == 1:
        by_id[ids[0]] = answers[0]
    return by_id
