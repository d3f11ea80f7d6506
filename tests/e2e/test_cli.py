"""The CLI in a real subprocess against real dev servers: exit codes, --json documents, files."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from PIL import Image

from studio402.clock import SystemClock
from studio402.db.engine import create_engine
from studio402.jobs.queue import JobQueue
from studio402.testing.server import free_port

from .conftest import DevServer


def cli(
    server: DevServer | None, *args: str, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO402_")}
    if server is not None:
        base |= {"STUDIO402_API_URL": server.url, "STUDIO402_WALLET": f"dev:{server.data_dir}"}
    return subprocess.run(
        [sys.executable, "-m", "studio402.cli", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def document(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.stdout.strip(), result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_batch_generate_pays_one_job_per_ratio_and_writes_files(
    shared_server: DevServer, tmp_path: Path
) -> None:
    result = cli(
        shared_server,
        "generate",
        "A sunset over mountains",
        "--aspect",
        "1:1,9:16,16:9",
        "--size",
        "2K",
        "--out",
        "sunset.png",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    doc = document(result)
    assert doc["success"] is True and doc["exitCode"] == 0 and doc["spent"] == "0.402"
    assert [job["label"] for job in doc["jobs"]] == ["1:1", "9:16", "16:9"]
    assert len({job["jobId"] for job in doc["jobs"]}) == 3
    for job in doc["jobs"]:
        assert job["status"] == "complete" and job["price"]["amount"] == "134000"
        assert job["receipt"]["transaction"].startswith("0x")
        assert job["job"]["result"]["imageUrl"]
        with Image.open(job["file"]) as image:
            width, height = image.size
        ratio = job["label"].split(":")
        assert (width > height) == (int(ratio[0]) > int(ratio[1]))
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "sunset-16x9.png",
        "sunset-1x1.png",
        "sunset-9x16.png",
    ]


def test_human_output_prints_the_saved_file(shared_server: DevServer, tmp_path: Path) -> None:
    result = cli(shared_server, "generate", "a cat", "-o", "cat.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "cat.png")
    assert "quote" in result.stderr and "spent 0.134 USD" in result.stderr


def test_max_price_refuses_with_exit_5_and_signs_nothing(
    shared_server: DevServer, tmp_path: Path
) -> None:
    result = cli(
        shared_server,
        "generate",
        "a cat",
        "--size",
        "4K",
        "--max-price",
        "0.20",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 5
    doc = document(result)
    assert doc["error"]["code"] == "spending_cap_exceeded" and doc["error"]["amount"] == "240000"
    assert list(tmp_path.iterdir()) == []


def test_price_above_the_threshold_needs_yes(shared_server: DevServer, tmp_path: Path) -> None:
    refused = cli(
        shared_server, "generate", "a cat", "--size", "4K", "--confirm-above", "0.20", cwd=tmp_path
    )
    assert refused.returncode == 5 and "--yes" in refused.stderr
    paid = cli(
        shared_server,
        "generate",
        "a cat",
        "--size",
        "4K",
        "--confirm-above",
        "0.20",
        "--yes",
        "--no-download",
        "--json",
        cwd=tmp_path,
    )
    assert paid.returncode == 0 and document(paid)["jobs"][0]["price"]["amount"] == "240000"


def test_invalid_request_exits_3(shared_server: DevServer, tmp_path: Path) -> None:
    result = cli(shared_server, "generate", "a cat", "--aspect", "7:3", "--json", cwd=tmp_path)
    assert result.returncode == 3
    assert document(result)["error"]["code"] == "invalid_request"
    assert "aspectRatio" in document(result)["error"]["message"]


def test_refused_payment_exits_4(shared_server: DevServer, tmp_path: Path) -> None:
    empty = "0x" + bytes(Account.create().key).hex()
    result = cli(
        shared_server,
        "generate",
        "a cat",
        "--json",
        "--wallet",
        "env:EMPTY_KEY",
        "--allow-asset",
        str(shared_server.chain["token_address"]),
        cwd=tmp_path,
        EMPTY_KEY=empty,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert document(result)["jobs"][0]["error"]["code"] == "payment_refused"


def test_unreachable_server_exits_9(tmp_path: Path) -> None:
    result = cli(
        None,
        "quote",
        "a cat",
        "--api-url",
        f"http://127.0.0.1:{free_port()}",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 9 and document(result)["error"]["code"] == "connection_failed"


def test_quote_prints_prices_without_paying(shared_server: DevServer, tmp_path: Path) -> None:
    result = cli(
        shared_server,
        "quote",
        "a cat",
        "--aspect",
        "1:1,16:9",
        "--size",
        "4K",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0
    doc = document(result)
    assert doc["total"] == "480000" and doc["totalUsd"] == "0.48"
    assert {q["amount"] for q in doc["quotes"]} == {"240000"}


def test_jobs_and_wallet_commands(shared_server: DevServer, tmp_path: Path) -> None:
    paid = document(
        cli(shared_server, "generate", "a dog", "--json", "--no-download", cwd=tmp_path)
    )
    job_id = paid["jobs"][0]["jobId"]
    listed = document(cli(shared_server, "jobs", "list", "--json", cwd=tmp_path))
    assert job_id in [job["id"] for job in listed["jobs"]]
    shown = document(cli(shared_server, "jobs", "show", job_id, "--json", cwd=tmp_path))
    assert shown["id"] == job_id and shown["status"] == "complete"
    waited = cli(shared_server, "jobs", "wait", job_id, "-o", "dog.png", "--json", cwd=tmp_path)
    assert waited.returncode == 0 and Path(document(waited)["file"]).is_file()

    address = cli(shared_server, "wallet", "address", cwd=tmp_path).stdout.strip()
    assert address == shared_server.chain["payer_address"]
    before = document(cli(shared_server, "wallet", "balance", "--json", cwd=tmp_path))
    funded = document(
        cli(shared_server, "wallet", "fund", "--amount", "2.5", "--json", cwd=tmp_path)
    )
    assert int(funded["balance"]) == int(before["balance"]) + 2_500_000
    stranger = Account.create().address
    other = cli(
        shared_server, "wallet", "fund", "--to", stranger, "--amount", "1", "--json", cwd=tmp_path
    )
    assert document(other)["balance"] == "1000000" and document(other)["address"] == stranger


async def _fail_pending_job(server: DevServer, job_id: str) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{server.data_dir / 'studio402.db'}")
    try:
        queue = JobQueue(engine, SystemClock())
        claimed = await queue.claim("e2e-test", 60, limit=10)
        assert job_id in [job.id for job in claimed]
        for job in claimed:
            error = {
                "code": "content_refused",
                "message": "refused by the test",
                "retryable": False,
            }
            await queue.fail(job.id, "e2e-test", error)
    finally:
        await engine.dispose()


def test_timeout_exits_7_and_a_failed_job_exits_6(idle_server: DevServer, tmp_path: Path) -> None:
    timed_out = cli(idle_server, "generate", "a cat", "--timeout", "1", "--json", cwd=tmp_path)
    assert timed_out.returncode == 7, timed_out.stdout + timed_out.stderr
    entry = document(timed_out)["jobs"][0]
    assert entry["error"]["code"] == "job_timeout" and entry["job"]["status"] == "pending"
    asyncio.run(_fail_pending_job(idle_server, entry["jobId"]))
    failed = cli(idle_server, "jobs", "wait", entry["jobId"], "--json", cwd=tmp_path)
    assert failed.returncode == 6
    assert "refused by the test" in document(failed)["error"]["message"]
    deleted = cli(idle_server, "jobs", "delete", entry["jobId"], "--json", cwd=tmp_path)
    assert deleted.returncode == 0 and document(deleted)["deleted"] is True


def _route_exists(server: DevServer, path: str) -> bool:
    paths = httpx.get(server.url + "/openapi.json", timeout=10).json()["paths"]
    return path in paths


def test_edit_pays_the_edit_route(shared_server: DevServer, tmp_path: Path) -> None:
    if not _route_exists(shared_server, "/api/generate/nano-banana-pro/edit"):
        pytest.skip("no edit route yet: edit models arrive with issue 5")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, format="PNG")
    image = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    result = cli(shared_server, "edit", "make it blue", "--image", image, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert Path(document(result)["jobs"][0]["file"]).is_file()


def test_video_pays_a_video_route(shared_server: DevServer, tmp_path: Path) -> None:
    if not _route_exists(shared_server, "/api/generate/veo-3.1-fast/generate"):
        pytest.skip("no video route yet: video models arrive with issue 5")
    result = cli(
        shared_server,
        "video",
        "waves",
        "--model",
        "veo-3.1-fast",
        "--duration",
        "4",
        "--yes",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert Path(document(result)["jobs"][0]["file"]).suffix == ".mp4"
