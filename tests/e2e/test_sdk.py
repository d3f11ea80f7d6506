"""The SDK against the real `studio402 serve` on its dev chain: quote, pay, wait, download;
caps refuse before signing; a lost answer after payment never pays twice."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from PIL import Image

from studio402.client import AsyncStudio402Client, SpendingCapError, Studio402Client
from studio402.client.onchain import read_balance

from .conftest import DevServer

MODEL = "nano-banana-pro"


class LoseFirstPaidAnswer(httpx.AsyncBaseTransport):
    """Real network; the first paid request reaches the server, its answer is lost."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lost = 0
        self.paid_headers: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        header = request.headers.get("payment-signature")
        if header:
            self.paid_headers.append(header)
            if not self.lost:
                self.lost += 1
                await response.aread()
                await response.aclose()
                raise httpx.ReadError("connection reset after the server answered")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _wallet(server: DevServer) -> str:
    return f"dev:{server.data_dir}"


async def _balance(server: DevServer) -> int:
    chain = server.chain
    found = await read_balance(
        str(chain["rpc_url"]), str(chain["payer_address"]), str(chain["token_address"])
    )
    return found.token_atomic


async def test_quote_pay_wait_download(shared_server: DevServer, tmp_path: Path) -> None:
    before = await _balance(shared_server)
    async with AsyncStudio402Client(shared_server.url, _wallet(shared_server)) as client:
        quote = await client.quote(MODEL, prompt="a red kite", aspectRatio="9:16", imageSize="2K")
        assert quote.exact and quote.amount_atomic == 134000
        submission = await client.pay(quote)
        assert submission.receipt is not None and submission.receipt.transaction.startswith("0x")
        job = await client.wait(submission, timeout_s=60)
        saved = await client.download(job, tmp_path / "kite.png")
    assert job.status == "complete" and job.raw["payment"]["amount"] == "134000"
    with Image.open(saved) as image:
        assert image.height > image.width
    assert await _balance(shared_server) == before - 134000


def test_sync_client_pays_and_downloads(shared_server: DevServer, tmp_path: Path) -> None:
    with Studio402Client(shared_server.url, _wallet(shared_server)) as client:
        submission = client.generate(MODEL, prompt="a blue kite")
        job = client.wait(submission, timeout_s=60)
        saved = client.download(job, tmp_path)
        assert client.budget.spent_atomic == 134000
    assert saved.suffix == ".png" and saved.stat().st_size > 0


async def test_cap_refusal_signs_and_pays_nothing(shared_server: DevServer) -> None:
    before = await _balance(shared_server)
    async with AsyncStudio402Client(
        shared_server.url, _wallet(shared_server), max_per_call_atomic=200_000
    ) as client:
        jobs_before = len((await client.jobs(limit=100)).jobs)
        with pytest.raises(SpendingCapError):
            await client.generate(MODEL, prompt="a kite", imageSize="4K")
        assert len((await client.jobs(limit=100)).jobs) == jobs_before
    assert await _balance(shared_server) == before


async def test_lost_answer_after_payment_does_not_pay_twice(shared_server: DevServer) -> None:
    before = await _balance(shared_server)
    transport = LoseFirstPaidAnswer()
    async with AsyncStudio402Client(
        shared_server.url, _wallet(shared_server), transport=transport
    ) as client:
        submission = await client.generate(MODEL, prompt="a green kite")
        job = await client.wait(submission, timeout_s=60)
    assert transport.lost == 1 and len(transport.paid_headers) == 2
    assert len(set(transport.paid_headers)) == 1  # the same signed header, resent
    assert submission.attempts == 2 and job.status == "complete"
    assert await _balance(shared_server) == before - 134000
