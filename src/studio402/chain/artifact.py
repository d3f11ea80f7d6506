"""Compiled contract artifacts shipped with the package (see ``scripts/build_contracts.mjs``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["ContractArtifact", "load_artifact"]


@dataclass(frozen=True)
class ContractArtifact:
    """ABI and bytecode of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    """Creation code (constructor included), sent as the data of a deploy transaction."""
    deployed_bytecode: bytes
    """Runtime code, as ``eth_getCode`` returns it after deployment."""
    compiler_version: str


@cache
def load_artifact(name: str = "LocalUSDC") -> ContractArtifact:
    """Load ``contracts/<name>.json`` (``LocalUSDC`` or ``MiniMulticall3``) from the package.

    Raises :class:`FileNotFoundError` for an unknown name.
    """
    ref = resources.files("studio402.chain").joinpath("contracts", f"{name}.json")
    data = json.loads(ref.read_text(encoding="utf-8"))
    return ContractArtifact(
        name=data["contractName"],
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        deployed_bytecode=bytes.fromhex(data["deployedBytecode"].removeprefix("0x")),
        compiler_version=data["compiler"]["version"],
    )
