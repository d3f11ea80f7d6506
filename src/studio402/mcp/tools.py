"""What the MCP tools do, over the SDK: quote, pay within caps, wait, save and describe results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp.types import CallToolResult

from studio402.client.errors import ClientError, SpendingCapError
from studio402.client.models import Job, Submission
from studio402.client.money import usd
from studio402.client.onchain import read_balance
from studio402.client.sdk import AsyncStudio402Client
from studio402.mcp.config import McpConfig
from studio402.mcp.results import json_result

__all__ = ["Buyer"]


def _usd_or_none(amount: int | None) -> str | None:
    return None if amount is None else usd(amount)


class Buyer:
    """The tools' logic, kept apart from their MCP declarations."""

    def __init__(self, client: AsyncStudio402Client, config: McpConfig) -> None:
        self.client = client
        self.config = config

    def caps(self) -> dict[str, Any]:
        """The configured caps and this session's spending, in USD."""
        budget = self.client.budget
        return {
            "maxPerCallUsd": _usd_or_none(budget.max_per_call_atomic),
            "maxPerSessionUsd": _usd_or_none(budget.max_per_session_atomic),
            "spentUsd": usd(budget.spent_atomic),
            "remainingUsd": _usd_or_none(budget.remaining_atomic),
        }

    async def list_models(self) -> CallToolResult:
        """``{"models": [...]}`` from the server."""
        return json_result({"success": True, "models": await self.client.models()})

    async def quote(self, model: str, operation: str, body: dict[str, Any]) -> CallToolResult:
        """The exact price and whether the caps allow it; nothing is signed."""
        quote = await self.client.quote(model, operation, **body)
        document = {"success": True, **quote.to_dict(), "caps": self.caps()}
        try:
            self.client.budget.check(quote.amount_atomic)
            document["withinCaps"] = True
        except SpendingCapError as exc:
            document["withinCaps"] = False
            document["capMessage"] = exc.message
        return json_result(document)

    async def buy(
        self,
        model: str,
        operation: str,
        body: dict[str, Any],
        wait: bool,
        timeout_s: float,
        max_price_atomic: int | None,
    ) -> CallToolResult:
        """Quote, pay once within the caps, and (``wait``) return the finished job."""
        quote = await self.client.quote(model, operation, **body)
        submission = await self.client.pay(quote, max_price_atomic=max_price_atomic)
        document: dict[str, Any] = {
            "success": True,
            "paid": submission.to_dict(),
            "caps": self.caps(),
        }
        if not wait:
            document["next"] = "call wait_for_job with this jobId"
            document["job"] = {"id": submission.job_id, "status": submission.status}
            return json_result(document)
        return await self._finished(submission, timeout_s, document)

    async def get_job(self, job_id: str) -> CallToolResult:
        """The job now, with its image when complete."""
        job = await self.client.job(job_id)
        return await self._describe(job, {"success": True})

    async def wait_for_job(self, job_id: str, timeout_s: float) -> CallToolResult:
        """Wait for the job, then describe it."""
        return await self._finished(job_id, timeout_s, {"success": True})

    async def wallet_balance(self) -> CallToolResult:
        """Address, token balance (when an RPC is known) and caps."""
        wallet = self.client.wallet
        document: dict[str, Any] = {"success": True, "address": wallet.address}
        health = await self.client.health()
        document["server"] = {k: health.get(k) for k in ("network", "asset", "payTo")}
        dev = wallet.dev_chain()
        rpc_url = self.config.rpc_url or (dev.rpc_url if dev else None)
        asset = str(health.get("asset") or (dev.token_address if dev else ""))
        if rpc_url and asset:
            try:
                balance = await read_balance(rpc_url, wallet.address, asset)
                document["balance"] = balance.to_dict()
            except ClientError as exc:
                document["balance"] = None
                document["balanceError"] = exc.message
        else:
            document["balance"] = None
            document["balanceError"] = "no RPC URL configured (studio402 mcp --rpc-url)"
        document["caps"] = self.caps()
        return json_result(document)

    async def _finished(
        self, job: Submission | str, timeout_s: float, document: dict[str, Any]
    ) -> CallToolResult:
        finished = await self.client.wait(job, timeout_s)
        return await self._describe(finished, document)

    async def _describe(self, job: Job, document: dict[str, Any]) -> CallToolResult:
        document["job"] = job.to_dict()
        image: Path | None = None
        if job.status == "complete":
            image = await self._save(job)
            document["file"] = str(image) if image else None
        return json_result(document, image, self.config.inline_max_bytes)

    async def _save(self, job: Job) -> Path | None:
        url = job.result.get("imageUrl") or job.result.get("thumbnailUrl")
        if not url:
            return None
        if job.result.get("videoUrl"):  # save the thumbnail only; videos stay URLs
            job = Job({**job.raw, "result": {"imageUrl": url}})
        try:
            return await self.client.download(job, self._out_dir())
        except (ClientError, OSError):
            return None

    def _out_dir(self) -> Path:
        directory = self.config.out_dir
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ClientError(f"cannot create output directory {directory}: {exc}") from exc
        return directory
