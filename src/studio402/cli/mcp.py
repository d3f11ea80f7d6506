"""``studio402 mcp``: the MCP server for agents (stdio for desktop hosts, or streamable HTTP)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from studio402.cli.client_options import ApiUrl, WalletSpec, usd_option
from studio402.cli.exit_codes import ExitCode
from studio402.client.errors import WalletError
from studio402.client.sdk import DEFAULT_API_URL
from studio402.mcp.config import DEFAULT_INLINE_MAX_BYTES, McpConfig


class Transport(StrEnum):
    """How MCP hosts reach the server."""

    STDIO = "stdio"
    HTTP = "http"


def mcp(
    transport: Annotated[Transport, typer.Option(help="stdio, or streamable HTTP.")] = (
        Transport.STDIO
    ),
    host: Annotated[str, typer.Option(help="HTTP interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8765,
    path: Annotated[str, typer.Option(help="HTTP endpoint path.")] = "/mcp",
    api_url: ApiUrl = DEFAULT_API_URL,
    wallet: WalletSpec = None,
    max_per_call: Annotated[
        str,
        typer.Option(envvar="STUDIO402_MCP_MAX_PER_CALL", help="USD cap per paid tool call."),
    ] = "1.00",
    max_per_session: Annotated[
        str,
        typer.Option(
            envvar="STUDIO402_MCP_MAX_PER_SESSION", help="USD cap over this server's lifetime."
        ),
    ] = "5.00",
    allow_asset: Annotated[
        list[str] | None, typer.Option("--allow-asset", help="Also pay with this token.")
    ] = None,
    rpc_url: Annotated[
        str | None,
        typer.Option(envvar="STUDIO402_RPC_URL", help="Chain RPC for wallet_balance."),
    ] = None,
    inline_max_bytes: Annotated[
        int, typer.Option(help="Inline images up to this size as MCP image content.")
    ] = DEFAULT_INLINE_MAX_BYTES,
    out_dir: Annotated[
        Path | None,
        typer.Option(envvar="STUDIO402_MCP_OUT_DIR", help="Where images are saved."),
    ] = None,
) -> None:
    """Serve studio402's buyer tools over MCP, paying from --wallet within the caps."""
    from studio402.cli.client_options import quiet_logs
    from studio402.mcp.server import build_server

    quiet_logs()
    defaults = McpConfig()
    config = McpConfig(
        api_url=api_url,
        wallet=wallet,
        max_per_call_atomic=usd_option(max_per_call, "--max-per-call"),
        max_per_session_atomic=usd_option(max_per_session, "--max-per-session"),
        allowed_assets=tuple(allow_asset or ()),
        rpc_url=rpc_url,
        inline_max_bytes=inline_max_bytes,
        out_dir=out_dir or defaults.out_dir,
    )
    try:
        server = build_server(config)
    except WalletError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        raise typer.Exit(ExitCode.WALLET) from exc
    if transport is Transport.STDIO:
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port, streamable_http_path=path)
