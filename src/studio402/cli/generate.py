"""``studio402 generate | edit | video``: pay for generations and save them, with progress."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from studio402.cli.client_options import (
    DEFAULT_CONFIRM_ABOVE,
    AllowAsset,
    ApiUrl,
    ConfirmAbove,
    JsonOut,
    MaxPrice,
    Out,
    Timeout,
    WalletSpec,
    Yes,
    run,
    stderr,
    usd_option,
)
from studio402.cli.exit_codes import ExitCode
from studio402.cli.paid import Plan, run_plan
from studio402.cli.params import build_body, field_name, parse_params, split_aspects
from studio402.client.sdk import DEFAULT_API_URL

Prompt = Annotated[str, typer.Argument(help="What to generate.")]
Model = Annotated[str, typer.Option("--model", "-m", envvar="STUDIO402_MODEL", help="Model id.")]
Aspect = Annotated[
    str | None,
    typer.Option("--aspect", "-a", help="Aspect ratio; a list (1:1,9:16,16:9) pays one job each."),
]
Size = Annotated[str | None, typer.Option("--size", "-s", help="Size tier, e.g. 1K, 2K, 4K.")]
Param = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Extra body field: name=value (string) or name:=JSON."),
]
NoDownload = Annotated[bool, typer.Option("--no-download", help="Do not save the output.")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Pay, print the job id, return.")]
Images = Annotated[
    list[str],
    typer.Option("--image", "-i", help="Reference image (https URL or data: URI); repeatable."),
]


def _execute(
    model: str,
    operation: str,
    prompt: str,
    *,
    aspect: str | None,
    size: str | None,
    params: list[str] | None,
    extra: dict[str, Any],
    options: dict[str, Any],
) -> None:
    try:
        labels = split_aspects(aspect)
        fields = parse_params(params)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(ExitCode.USAGE) from exc
    bodies = {
        (label or "job"): {
            **build_body(model, prompt, aspect=label, size=size, params=fields),
            **extra,
        }
        for label in labels
    }
    plan = Plan(
        model=model,
        operation=operation,
        bodies=bodies,
        max_price_atomic=usd_option(options.pop("max_price"), "--max-price"),
        confirm_above_atomic=usd_option(options.pop("confirm_above"), "--confirm-above") or 0,
        **options,
    )
    code = run(run_plan(plan, stderr()), plan.json_mode)
    raise typer.Exit(code)


def generate(
    prompt: Prompt,
    model: Model = "nano-banana-pro",
    aspect: Aspect = None,
    size: Size = None,
    param: Param = None,
    out: Out = None,
    no_download: NoDownload = False,
    no_wait: NoWait = False,
    max_price: MaxPrice = None,
    yes: Yes = False,
    confirm_above: ConfirmAbove = DEFAULT_CONFIRM_ABOVE,
    timeout: Timeout = 300.0,
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
    allow_asset: AllowAsset = None,
) -> None:
    """Pay for an image and save it: quote, payment, progress, download."""
    _execute(
        model,
        "generate",
        prompt,
        aspect=aspect,
        size=size,
        params=param,
        extra={},
        options=_options(locals()),
    )


def edit(
    prompt: Prompt,
    image: Images,
    model: Model = "nano-banana-pro",
    aspect: Aspect = None,
    size: Size = None,
    param: Param = None,
    out: Out = None,
    no_download: NoDownload = False,
    no_wait: NoWait = False,
    max_price: MaxPrice = None,
    yes: Yes = False,
    confirm_above: ConfirmAbove = DEFAULT_CONFIRM_ABOVE,
    timeout: Timeout = 300.0,
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
    allow_asset: AllowAsset = None,
) -> None:
    """Pay for an edit of reference images (the model's /edit route) and save it."""
    _execute(
        model,
        "edit",
        prompt,
        aspect=aspect,
        size=size,
        params=param,
        extra={"images": list(image)},
        options=_options(locals()),
    )


def video(
    prompt: Prompt,
    model: Annotated[str, typer.Option("--model", "-m", help="Video model id, e.g. veo-3.1.")],
    operation: Annotated[str, typer.Option("--op", help="generate, t2v or i2v.")] = "generate",
    aspect: Aspect = None,
    size: Annotated[str | None, typer.Option("--resolution", "-r", help="e.g. 720p.")] = None,
    duration: Annotated[str | None, typer.Option("--duration", "-d", help="Seconds.")] = None,
    image: Annotated[str | None, typer.Option("--image", "-i", help="First frame.")] = None,
    param: Param = None,
    out: Out = None,
    no_download: NoDownload = False,
    no_wait: NoWait = False,
    max_price: MaxPrice = None,
    yes: Yes = False,
    confirm_above: ConfirmAbove = DEFAULT_CONFIRM_ABOVE,
    timeout: Timeout = 900.0,
    json_out: JsonOut = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
    allow_asset: AllowAsset = None,
) -> None:
    """Pay for a video and save it (videos take minutes; --no-wait returns the job id)."""
    extra: dict[str, Any] = {}
    if duration is not None:
        extra[field_name(model, "duration")] = duration
    if image is not None:
        extra["image"] = image
    _execute(
        model,
        operation,
        prompt,
        aspect=aspect,
        size=size,
        params=param,
        extra=extra,
        options=_options(locals()),
    )


def _options(values: dict[str, Any]) -> dict[str, Any]:
    out: Path | None = values["out"]
    return {
        "api_url": values["api_url"],
        "wallet": values["wallet"],
        "out": out,
        "download": not values["no_download"],
        "wait": not values["no_wait"],
        "timeout_s": values["timeout"],
        "max_price": values["max_price"],
        "confirm_above": values["confirm_above"],
        "yes": values["yes"],
        "json_mode": values["json_out"],
        "allow_asset": list(values["allow_asset"] or []),
    }
