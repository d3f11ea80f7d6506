"""The committed LocalUSDC artifact loads and is reproducible from its source."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from studio402.chain.artifact import load_artifact

ROOT = Path(__file__).resolve().parents[3]
SOLC = ROOT / ".devchain" / "node_modules" / "solc" / "package.json"

EIP3009_FUNCTIONS = {
    "transferWithAuthorization",
    "receiveWithAuthorization",
    "cancelAuthorization",
    "authorizationState",
    "DOMAIN_SEPARATOR",
    "version",
    "mint",
    "permit",
    "nonces",
}


def test_artifact_loads_with_the_eip3009_surface() -> None:
    artifact = load_artifact("LocalUSDC")
    functions = {e["name"] for e in artifact.abi if e["type"] == "function"}
    events = {e["name"] for e in artifact.abi if e["type"] == "event"}
    assert functions >= EIP3009_FUNCTIONS
    assert {"AuthorizationUsed", "AuthorizationCanceled", "Transfer"} <= events
    overloads = [e for e in artifact.abi if e.get("name") == "transferWithAuthorization"]
    assert len(overloads) == 2
    assert artifact.compiler_version.startswith("0.8.37+")
    assert artifact.bytecode and 0 < len(artifact.deployed_bytecode) <= 24_576


def test_multicall_artifact_loads() -> None:
    names = {e.get("name") for e in load_artifact("MiniMulticall3").abi}
    assert {"tryAggregate", "aggregate3"} <= names


def test_committed_artifacts_match_a_fresh_compile() -> None:
    node = shutil.which("node")
    if node is None or not SOLC.exists():
        pytest.skip("needs node and .devchain/node_modules/solc (npm install solc@0.8.37)")
    result = subprocess.run(
        [node, str(ROOT / "scripts" / "build_contracts.mjs"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
