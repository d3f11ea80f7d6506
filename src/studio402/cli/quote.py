"""``studio402 quote``: the exact price of a request, read from its 402 without paying."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from studio402.cli.client_options import (
    AllowAsset,
    ApiUrl,
    JsonOut,
    WalletSpec,
    emit_json,
    make_client,
    run,
    stderr,
)
from studio402.cli.exit_codes import ExitCode
from studio402.cli.generate import Aspect, Model, Param, Prompt, Size
from studio402.cli.params import build_body, parse_params, split_aspects
from studio402.client.money import usd
from studio402.client.sdk import DEFAULT_API_URL


def quote(
    prompt: Prompt,
    model: Model = "nano-banana-pro",
    operation: Annotated[str, typer.Option("--op", help="generate, edit, t2v...")] = "generate",
    aspect: Aspect = None,
    size: Size = None,
    param: Param = None,
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
    allow_asset: AllowAsset = None,
) -> None:
    """Print the price of a request (one per aspect ratio); nothing is signed or paid."""
    try:
        labels = split_aspects(aspect)
        fields = parse_params(param)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(ExitCode.USAGE) from exc

    async def read() -> int:
        async with make_client(api_url, wallet, allow_asset, wallet_optional=True) as client:
            quotes = []
            for label in labels:
                body = build_body(model, prompt, aspect=label, size=size, params=fields)
                quotes.append(await client.quote(model, operation, **body))
        invalid = any(not q.exact for q in quotes)
        if json_out:
            total = sum(q.amount_atomic for q in quotes)
            emit_json(
                {
                    "success": not invalid,
                    "total": str(total),
                    "totalUsd": usd(total),
                    "quotes": [q.to_dict() for q in quotes],
                }
            )
        else:
            console = stderr()
            for label, q in zip(labels, quotes, strict=True):
                state = "" if q.exact else "  (invalid body: route maximum)"
                print(
                    f"{label or model}\t{q.usd} USD\t{q.amount_atomic} atomic\t{q.network}{state}"
                )
                for issue in q.issues:
                    console.print(f"  [red]{issue.get('field')}[/red]: {issue.get('message')}")
        return int(ExitCode.REQUEST_REJECTED) if invalid else 0

    raise typer.Exit(run(read(), json_out))
