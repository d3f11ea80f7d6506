"""Small ABI helpers over eth_abi: calldata from a signature or a JSON ABI, result decoding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

__all__ = [
    "decode_result",
    "encode_abi_call",
    "encode_call",
    "find_function",
    "hex_to_bytes",
    "selector",
    "to_hex",
    "topic_for_address",
]


def to_hex(data: bytes) -> str:
    """``0x``-prefixed lowercase hex."""
    return "0x" + data.hex()


def hex_to_bytes(value: str) -> bytes:
    """Bytes from hex with or without ``0x``."""
    return bytes.fromhex(value.removeprefix("0x"))


def topic_for_address(address: str) -> str:
    """An address as a 32-byte log topic (left-padded, lowercase)."""
    return "0x" + "0" * 24 + address.lower().removeprefix("0x")


def selector(signature: str) -> bytes:
    """The 4-byte selector of a canonical function signature such as ``mint(address,uint256)``."""
    return keccak(text=signature)[:4]


def _split_types(inner: str) -> list[str]:
    types: list[str] = []
    depth = 0
    current = ""
    for char in inner:
        if char == "," and depth == 0:
            types.append(current)
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    if current:
        types.append(current)
    return types


def _normalize_args(types: Sequence[str], args: Sequence[Any]) -> list[Any]:
    # eth_abi accepts lowercase hex addresses; lowering is much cheaper than checksumming.
    return [
        arg.lower() if kind == "address" and isinstance(arg, str) else arg
        for kind, arg in zip(types, args, strict=True)
    ]


def encode_call(signature: str, *args: Any) -> bytes:
    """Calldata for ``signature`` (canonical types, e.g. ``balanceOf(address)``) and ``args``."""
    types = _split_types(signature[signature.index("(") + 1 : signature.rindex(")")])
    return selector(signature) + abi_encode(types, _normalize_args(types, args))


def _canonical_type(item: dict[str, Any]) -> str:
    kind = str(item["type"])
    if not kind.startswith("tuple"):
        return kind
    components = ",".join(_canonical_type(c) for c in item["components"])
    return f"({components}){kind[len('tuple') :]}"


def find_function(abi: Sequence[dict[str, Any]], name: str, arg_count: int) -> dict[str, Any]:
    """The ABI entry of function ``name`` taking ``arg_count`` arguments (picks the overload).

    Raises :class:`ValueError` when there is none.
    """
    for entry in abi:
        if (
            entry.get("type") == "function"
            and entry.get("name") == name
            and len(entry.get("inputs", [])) == arg_count
        ):
            return entry
    raise ValueError(f"function {name} with {arg_count} arguments not found in ABI")


def encode_abi_call(fn: dict[str, Any], args: Sequence[Any]) -> bytes:
    """Calldata for the ABI function entry ``fn`` and ``args``."""
    types = [_canonical_type(item) for item in fn.get("inputs", [])]
    signature = f"{fn['name']}({','.join(types)})"
    return selector(signature) + abi_encode(types, _normalize_args(types, args))


def decode_result(fn: dict[str, Any], data: bytes) -> Any:
    """Decode a call's return data: ``None`` without outputs, the value for one, else a tuple."""
    types = [_canonical_type(item) for item in fn.get("outputs", [])]
    if not types:
        return None
    values = abi_decode(types, data)
    return values[0] if len(values) == 1 else values
