"""The MCP server: studio402's buyer tools (quote, pay, follow, fetch) for agents."""

from studio402.mcp.config import McpConfig
from studio402.mcp.server import build_server

__all__ = ["McpConfig", "build_server"]
