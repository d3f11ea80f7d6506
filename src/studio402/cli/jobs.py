"""``studio402 jobs list | show | wait | delete | resume``: follow what this wallet paid for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from studio402.cli.client_options import (
    ApiUrl,
    JsonOut,
    Out,
    Timeout,
    WalletSpec,
    emit_json,
    make_client,
    run,
    stderr,
)
from studio402.client.errors import PaymentUnconfirmedError
from studio402.client.models import Job
from studio402.client.sdk import DEFAULT_API_URL

app = typer.Typer(help="Follow the jobs this wallet paid for.", no_args_is_help=True)

JobId = Annotated[str, typer.Argument(help="The job id (jobId) a paid request returned.")]

__all__ = ["app", "load_pending", "save_pending"]


def _line(job: Job) -> str:
    url = job.media_url or ""
    reason = job.error.get("message", "") if job.status == "failed" else ""
    return f"{job.id}\t{job.status}\t{job.progress}%\t{job.raw.get('type', '')}\t{url or reason}"


@app.command("list")
def list_jobs(
    status: Annotated[
        str | None, typer.Option(help="pending, loading, complete or failed.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    cursor: Annotated[str | None, typer.Option(help="nextCursor of the previous page.")] = None,
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
) -> None:
    """This wallet's jobs, newest first."""

    async def go() -> None:
        async with make_client(api_url, wallet) as client:
            page = await client.jobs(limit=limit, status=status, cursor=cursor)
        if json_out:
            emit_json({"jobs": [j.to_dict() for j in page.jobs], "nextCursor": page.next_cursor})
            return
        for job in page.jobs:
            print(_line(job))
        if page.next_cursor:
            stderr().print(f"more: --cursor {page.next_cursor}", soft_wrap=True)

    run(go(), json_out)


@app.command("show")
def show(
    job_id: JobId,
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
) -> None:
    """One job as the server reports it."""

    async def go() -> None:
        async with make_client(api_url, wallet) as client:
            job = await client.job(job_id)
        if json_out:
            emit_json(job.to_dict())
        else:
            print(_line(job))

    run(go(), json_out)


@app.command("wait")
def wait(
    job_id: JobId,
    timeout: Timeout = 300.0,
    out: Out = None,
    no_download: Annotated[bool, typer.Option("--no-download")] = False,
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
) -> None:
    """Wait for a job (exit 6 if it failed, 7 on timeout) and save its output."""

    async def go() -> None:
        async with make_client(api_url, wallet) as client:
            console = stderr()

            def on_update(job: Job) -> None:
                if not json_out:
                    console.print(f"{job.id} {job.status} {job.progress}%")

            job = await client.wait(job_id, timeout, on_update=on_update)
            saved = None if no_download else await client.download(job, out)
        if json_out:
            emit_json({"job": job.to_dict(), "file": str(saved.resolve()) if saved else None})
        else:
            print(saved or job.media_url)

    run(go(), json_out)


@app.command("delete")
def delete(
    job_id: JobId,
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
) -> None:
    """Soft-delete one of this wallet's failed jobs."""

    async def go() -> None:
        async with make_client(api_url, wallet) as client:
            document = await client.delete_job(job_id)
        if json_out:
            emit_json(document)
        else:
            print(f"deleted {job_id}")

    run(go(), json_out)


@app.command("resume")
def resume(
    file: Annotated[Path, typer.Argument(help="studio402-pending-*.json a paid command saved.")],
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
) -> None:
    """Resend a payment whose outcome was unknown (the same signed header, never a new one)."""

    async def go() -> None:
        pending = load_pending(file)
        async with make_client(api_url, wallet) as client:
            submission = await client.resume(pending)
        if json_out:
            emit_json(submission.to_dict())
        else:
            print(submission.job_id)

    run(go(), json_out)


def save_pending(exc: PaymentUnconfirmedError, directory: Path) -> Path:
    """Write what ``jobs resume`` needs to resend the same payment; returns the file."""
    name = f"studio402-pending-{exc.reference or exc.payment_header[-16:]}.json"
    path = directory / name
    document: dict[str, Any] = {
        "url": exc.url,
        "body": exc.body.decode(),
        "paymentHeader": exc.payment_header,
        "reference": exc.reference,
        "amount": str(exc.amount_atomic),
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def load_pending(path: Path) -> PaymentUnconfirmedError:
    """Read a file :func:`save_pending` wrote."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return PaymentUnconfirmedError(
        "resumed",
        url=document["url"],
        body=document["body"].encode(),
        payment_header=document["paymentHeader"],
        reference=document.get("reference"),
        amount_atomic=int(document["amount"]),
    )
