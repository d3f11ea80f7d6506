"""How the MCP server pays: which API, which wallet, and the spending caps it enforces."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from studio402.client.sdk import DEFAULT_API_URL

__all__ = ["DEFAULT_INLINE_MAX_BYTES", "McpConfig"]

DEFAULT_INLINE_MAX_BYTES = 750_000
"""Images up to this size are returned inline as MCP image content (hosts cap images near 1 MB)."""


@dataclass(frozen=True)
class McpConfig:
    """The MCP server's configuration (``studio402 mcp`` options and their environment variables).

    Caps are atomic units (USDC: 1_000_000 = $1) and bind every tool call: ``max_per_call_atomic``
    per paid call, ``max_per_session_atomic`` over the server process's lifetime. An agent can
    lower a call's cap with ``max_price_usd`` but never raise it.
    """

    api_url: str = DEFAULT_API_URL
    wallet: str | None = None
    max_per_call_atomic: int | None = 1_000_000
    max_per_session_atomic: int | None = 5_000_000
    allowed_assets: tuple[str, ...] = ()
    rpc_url: str | None = None
    inline_max_bytes: int = DEFAULT_INLINE_MAX_BYTES
    out_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "studio402-mcp")
    default_timeout_s: float = 180.0
