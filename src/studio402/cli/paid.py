"""The engine of ``generate``/``edit``/``video``: quote every job, check the caps, confirm, then
pay, follow and download each job concurrently (one paid job per aspect ratio)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from studio402.cli.client_options import emit_json, error_document, make_client
from studio402.cli.jobs import save_pending
from studio402.cli.progress import JobDisplay
from studio402.client.errors import (
    ApiError,
    ClientError,
    NoPayableOfferError,
    PaymentUnconfirmedError,
    SpendingCapError,
)
from studio402.client.models import Job, Quote
from studio402.client.money import usd
from studio402.client.sdk import AsyncStudio402Client

__all__ = ["Plan", "run_plan"]


@dataclass(frozen=True)
class Plan:
    """What one command asked for: one body per job (keyed by its label, e.g. the ratio)."""

    model: str
    operation: str
    bodies: dict[str, dict[str, Any]]
    api_url: str
    wallet: str | None
    out: Path | None = None
    download: bool = True
    wait: bool = True
    timeout_s: float = 300.0
    max_price_atomic: int | None = None
    confirm_above_atomic: int = 1_000_000
    yes: bool = False
    json_mode: bool = False
    allow_asset: list[str] = field(default_factory=list)


def _out_path(plan: Plan, label: str) -> Path | None:
    if plan.out is None or plan.out.is_dir() or len(plan.bodies) == 1:
        return plan.out
    tag = label.replace(":", "x").replace("/", "-")
    return plan.out.with_name(f"{plan.out.stem}-{tag}{plan.out.suffix}")


def _check_quotes(plan: Plan, quotes: dict[str, Quote]) -> None:
    for label, quote in quotes.items():
        if not quote.exact:
            issues = "; ".join(f"{i.get('field')}: {i.get('message')}" for i in quote.issues)
            raise ApiError(
                f"invalid request for {label}: {issues}",
                status=400,
                code="invalid_request",
                body={"issues": quote.issues},
            )
        if quote.offer is None:
            raise NoPayableOfferError(
                f"no offer this wallet may pay ({quote.asset} on {quote.network}); "
                "use --allow-asset ADDRESS if you trust that token"
            )
        cap = plan.max_price_atomic
        if cap is not None and quote.amount_atomic > cap:
            raise SpendingCapError(
                f"{label}: price {quote.usd} USD is above --max-price {usd(cap)} USD; "
                "nothing was signed",
                amount_atomic=quote.amount_atomic,
                cap_atomic=cap,
                cap="--max-price",
            )


def _confirm(plan: Plan, total: int, console: Console) -> None:
    if plan.yes or total <= plan.confirm_above_atomic:
        return
    question = f"Pay {usd(total)} USD for {len(plan.bodies)} job(s)?"
    if plan.json_mode or not sys.stdin.isatty():
        raise SpendingCapError(
            f"{question} Not confirmed: the total is above --confirm-above "
            f"{usd(plan.confirm_above_atomic)} USD; pass --yes to pay; nothing was signed",
            amount_atomic=total,
            cap_atomic=plan.confirm_above_atomic,
            cap="--confirm-above",
        )
    if not typer.confirm(question, default=False, err=True):
        raise SpendingCapError(
            "declined; nothing was signed",
            amount_atomic=total,
            cap_atomic=plan.confirm_above_atomic,
            cap="confirmation",
        )


async def _one(
    client: AsyncStudio402Client, plan: Plan, label: str, quote: Quote, display: JobDisplay
) -> dict[str, Any]:
    row = display.add(label)
    entry: dict[str, Any] = {"label": label, "price": quote.to_dict(), "jobId": None}
    try:
        display.update(row, f"paying {quote.usd} USD...", 5)
        paid = await client.pay(quote, max_price_atomic=quote.amount_atomic)
        entry.update(
            jobId=paid.job_id,
            type=paid.type,
            pollUrl=paid.poll_url,
            receipt=paid.receipt.to_dict() if paid.receipt else None,
        )
        tx = paid.receipt.transaction[:12] + "..." if paid.receipt else "?"
        display.update(row, f"paid (tx {tx}), pending", 10)
        if not plan.wait:
            entry["status"] = paid.status
            return entry

        def on_update(job: Job) -> None:
            display.update(row, f"{job.status} {job.progress}%", 10 + 0.8 * job.progress)

        job = await client.wait(paid, plan.timeout_s, on_update=on_update)
        entry.update(status=job.status, job=job.to_dict())
        if plan.download:
            display.update(row, "downloading...", 92)
            saved = await client.download(job, _out_path(plan, label))
            entry["file"] = str(saved.resolve())
            display.update(row, f"saved {saved}", 100)
        else:
            display.update(row, "complete", 100)
    except ClientError as exc:
        display.update(row, f"[red]{exc.code}[/red]: {exc.message}")
        entry.update(error_document(exc))
        if isinstance(exc, PaymentUnconfirmedError):
            saved_to = save_pending(exc, Path.cwd())
            entry["resumeFile"] = str(saved_to)
            display.note(f"resume later with: studio402 jobs resume {saved_to}")
        job_doc = getattr(exc, "job", None) or getattr(exc, "last", None)
        if isinstance(job_doc, Job):
            entry["job"] = job_doc.to_dict()
    return entry


async def run_plan(plan: Plan, console: Console) -> int:
    """Run the plan; returns the exit code (the first failing job's, in the order given)."""
    async with make_client(plan.api_url, plan.wallet, plan.allow_asset) as client:
        labels = list(plan.bodies)
        fetched = await asyncio.gather(
            *(client.quote(plan.model, plan.operation, **plan.bodies[k]) for k in labels)
        )
        quotes = dict(zip(labels, fetched, strict=True))
        _check_quotes(plan, quotes)
        total = sum(q.amount_atomic for q in quotes.values())
        if not plan.json_mode:
            for label, q in quotes.items():
                console.print(f"quote {label:<8} {q.usd} USD on {q.network}", soft_wrap=True)
        _confirm(plan, total, console)
        with JobDisplay(console, enabled=not plan.json_mode) as display:
            entries = await asyncio.gather(
                *(_one(client, plan, k, quotes[k], display) for k in labels)
            )
    codes = [int(e.get("exitCode", 0)) for e in entries]
    code = next((c for c in codes if c), 0)
    if plan.json_mode:
        emit_json(
            {
                "success": code == 0,
                "exitCode": code,
                "model": plan.model,
                "operation": plan.operation,
                "spent": usd(client.budget.spent_atomic),
                "jobs": entries,
            }
        )
    else:
        for entry in entries:
            if entry.get("file"):
                print(entry["file"])
            elif entry.get("jobId") and not entry.get("error"):
                print(entry["jobId"])
        console.print(f"spent {usd(client.budget.spent_atomic)} USD")
    return code
