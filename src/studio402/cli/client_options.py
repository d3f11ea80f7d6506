"""Options shared by the client commands, building the SDK client, and turning errors into exit
codes (one line on stderr, or a JSON document on stdout with ``--json``)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from eth_account import Account
from rich.console import Console

from studio402.cli.exit_codes import ExitCode, exit_code_for
from studio402.client.errors import ApiError, ClientError, SpendingCapError, WalletError
from studio402.client.money import parse_usd
from studio402.client.sdk import DEFAULT_API_URL, AsyncStudio402Client
from studio402.client.wallet import Wallet, load_wallet

T = TypeVar("T")

ApiUrl = Annotated[
    str,
    typer.Option("--api-url", envvar="STUDIO402_API_URL", help="The studio402 server."),
]
WalletSpec = Annotated[
    str | None,
    typer.Option(
        "--wallet",
        envvar="STUDIO402_WALLET",
        help="env:VAR, keystore:PATH (password in STUDIO402_KEYSTORE_PASSWORD) or "
        "dev[:DATA_DIR]. Default: STUDIO402_PRIVATE_KEY, else the dev wallet of .studio402.",
    ),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON document, no progress.")]
MaxPrice = Annotated[
    str | None,
    typer.Option(
        "--max-price",
        envvar="STUDIO402_MAX_PRICE",
        help="Refuse to pay more than this many USD per job (e.g. 0.25); nothing is signed.",
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Pay without asking, at any price.")]
ConfirmAbove = Annotated[
    str,
    typer.Option(
        "--confirm-above",
        envvar="STUDIO402_CONFIRM_ABOVE",
        help="Ask before paying more than this many USD in total (without --yes).",
    ),
]
AllowAsset = Annotated[
    list[str] | None,
    typer.Option("--allow-asset", help="Also pay with this token address (trust it first)."),
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the job.")]
Out = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="File (or directory) to save to. Default: ./studio402-<id>"),
]

DEFAULT_CONFIRM_ABOVE = "1.00"


def stderr() -> Console:
    """The console progress and messages go to (stdout stays for results)."""
    return Console(stderr=True, highlight=False)


def usd_option(value: str | None, name: str) -> int | None:
    """A USD option in atomic units; exits with the usage code if it is not an amount."""
    if value is None or value == "":
        return None
    try:
        return parse_usd(value)
    except ValueError as exc:
        print(f"error: {name}: {exc}", file=sys.stderr)
        raise typer.Exit(ExitCode.USAGE) from exc


def make_client(
    api_url: str,
    wallet: str | None,
    allow_asset: list[str] | None = None,
    *,
    wallet_optional: bool = False,
) -> AsyncStudio402Client:
    """The SDK client for a command. The CLI sets no per-call cap of its own: each payment is
    capped at the price the user accepted (see ``--max-price`` and ``--confirm-above``).

    With ``wallet_optional`` (quotes) a missing wallet becomes a throwaway key that never pays."""
    try:
        loaded = load_wallet(wallet)
    except WalletError:
        if not wallet_optional or wallet:
            raise
        loaded = Wallet(Account.create(), "none (quotes only)")
    return AsyncStudio402Client(
        api_url or DEFAULT_API_URL,
        loaded,
        max_per_call_atomic=None,
        allowed_assets=allow_asset or (),
    )


def error_document(exc: BaseException) -> dict[str, Any]:
    """The JSON form of an error, with its exit code."""
    error: dict[str, Any] = {
        "code": getattr(exc, "code", type(exc).__name__),
        "message": getattr(exc, "message", str(exc)),
    }
    if isinstance(exc, ApiError) and exc.http_status:
        error["status"] = exc.http_status
    if isinstance(exc, SpendingCapError):
        error["amount"] = str(exc.amount_atomic)
        error["cap"] = str(exc.cap_atomic)
    return {"success": False, "exitCode": int(exit_code_for(exc)), "error": error}


def quiet_logs() -> None:
    """Client commands report through their own output: keep library request logs quiet."""
    for name in ("httpx", "x402", "mcp"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run(coro: Coroutine[Any, Any, T], json_mode: bool) -> T:
    """Run a command's coroutine; a client error exits with its code (see :class:`ExitCode`)."""
    quiet_logs()
    try:
        return asyncio.run(coro)
    except ClientError as exc:
        if json_mode:
            print(json.dumps(error_document(exc), indent=2))
        else:
            print(f"error: {exc.message}", file=sys.stderr)
        raise typer.Exit(exit_code_for(exc)) from exc


def emit_json(document: dict[str, Any]) -> None:
    """Print the command's JSON document on stdout."""
    print(json.dumps(document, indent=2, default=str))
