"""mppx (npm, pinned in interop/mppx) pays studio402 on the local chain, as a real third party.

x402 mode: mppx signs the route-bound nonce of our ``extensions.mppx`` (checked by
``payments/binding.py``). Native MPP mode: mppx 0.11.0 signs ``keccak256(id ‖ realm)``, the
challenge hash pympp 0.16 does not use; we accept both (``payments/mpp.py``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from studio402.app import create_app
from studio402.db.tables import payments
from studio402.testing.chain import RunningDevChain
from studio402.testing.server import free_port, serve_in_thread

from .conftest import chain_settings

INTEROP = Path(__file__).resolve().parents[3] / "interop" / "mppx"
ROUTE = "/api/generate/nano-banana-pro/generate"
BODY = {"prompt": "a lantern in fog", "aspectRatio": "1:1", "imageSize": "1K"}


def _skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (mppx is a Node client)"
    if not (INTEROP / "node_modules" / "mppx" / "package.json").exists():
        return "mppx is not installed: run `make interop/mppx/node_modules/.installed`"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def pay_with_mppx(devchain: RunningDevChain, url: str, mode: str) -> dict[str, Any]:
    info = devchain.info
    env = {
        "PATH": str(Path(shutil.which("node") or "node").parent),
        "MPPX_KEY": devchain.keys.payer,
        "MPPX_TOKEN": info.token_address,
        "MPPX_CHAIN_ID": str(info.chain_id),
    }
    done = subprocess.run(
        ["node", "pay.mjs", url, json.dumps(BODY), mode],
        cwd=INTEROP,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("mode", ["x402", "mpp"])
def test_mppx_pays_a_route(devchain: RunningDevChain, tmp_path: Path, mode: str) -> None:
    port = free_port()
    settings = chain_settings(devchain, tmp_path)
    settings.api.public_url = f"http://127.0.0.1:{port}"
    app = create_app(settings)
    info = devchain.info
    with serve_in_thread(app, port=port) as base_url:
        before = _balance(devchain, info.pay_to_address)
        result = pay_with_mppx(devchain, base_url + ROUTE, mode)
        after = _balance(devchain, info.pay_to_address)
    rows = _payments(settings.resolved_database_url)
    assert result["status"] == 200, result
    assert json.loads(result["body"])["status"] == "pending"
    assert after == before + 134000
    assert ("payment-response" in result["headers"]) == (mode == "x402")
    assert "payment-receipt" in result["headers"]
    [row] = rows
    assert row["protocol"] == mode
    if mode == "x402":  # mppx signed our route binding, and it was checked
        assert "mppx" in json.loads(row["payload_json"])["extensions"]


def _balance(devchain: RunningDevChain, address: str) -> int:
    from studio402.chain.rpc import JsonRpc

    data = "0x70a08231" + address.lower().removeprefix("0x").rjust(64, "0")
    with JsonRpc(devchain.info.rpc_url) as rpc:
        call = {"to": devchain.info.token_address, "data": data}
        return int(rpc.call("eth_call", [call, "latest"]), 16)


def _payments(database_url: str) -> list[dict[str, Any]]:
    import asyncio

    from studio402.db.engine import create_engine

    async def read() -> list[dict[str, Any]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return [dict(row._mapping) for row in await conn.execute(select(payments))]
        finally:
            await engine.dispose()

    return asyncio.run(read())
