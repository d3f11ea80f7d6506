"""``studio402 models``: what a server sells, from its ``GET /api/models``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

__all__ = ["models", "models_table"]

DEFAULT_API_URL = "http://127.0.0.1:8402"


def models(
    api_url: Annotated[
        str, typer.Option("--api-url", envvar="STUDIO402_API_URL", help="The studio402 server.")
    ] = DEFAULT_API_URL,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the server's JSON document.")
    ] = False,
) -> None:
    """List the models, their operations, parameters and prices (retired ones marked)."""
    url = api_url.rstrip("/") + "/api/models"
    try:
        response = httpx.get(url, timeout=10.0, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise RuntimeError(f"cannot reach {url}: {exc}") from exc
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")
    document: dict[str, Any] = response.json()
    if as_json:
        print(json.dumps(document, indent=2))
        return
    console = Console()
    console.print(models_table(document))
    uploads = document.get("uploads", {})
    paid = uploads.get("paid", {})
    if paid:
        console.print(
            f"Uploads: {paid.get('method')} {paid.get('path')} ${paid.get('priceUsd')} "
            f"(max {uploads.get('maxBytes')} bytes; {', '.join(uploads.get('contentTypes', []))})"
        )


def models_table(document: dict[str, Any]) -> Table:
    """A rich table of a ``/api/models`` document: one row per operation."""
    table = Table(title="studio402 models", show_lines=False)
    for column in ("Route", "Kind", "Price (USD)", "Parameters", "Status"):
        table.add_column(column, overflow="fold")
    for model in document.get("models", []):
        for op in model.get("operations", []):
            price = op.get("price", {})
            low, high = price.get("minUsd"), price.get("maxUsd")
            shown = f"{low}" if low == high else f"{low} - {high}"
            status = "active"
            if model.get("retired"):
                status = f"retired: use {model.get('replacement')}"
            table.add_row(
                f"{model['id']}/{op['name']}",
                str(model.get("kind", "")),
                shown,
                ", ".join(_parameter(p) for p in op.get("parameters", [])),
                status,
            )
    return table


def _parameter(spec: dict[str, Any]) -> str:
    text = str(spec["name"]) + ("*" if spec.get("required") else "")
    default = spec.get("default")
    if default is not None:
        text += "=" + (default if isinstance(default, str) else json.dumps(default))
    if spec.get("maxItems") is not None:
        text += f"[{spec.get('minItems') or 0}-{spec['maxItems']}]"
    return text
