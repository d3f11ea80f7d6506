"""``build_server(config)``: an MCP server (official ``mcp`` SDK) whose tools buy generations.

Every paid tool quotes first and pays only within the configured caps; a refused call signs
nothing. Results carry the job document, the saved file and, for small images, the image.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from studio402.client.errors import ClientError
from studio402.client.money import parse_usd
from studio402.client.sdk import AsyncStudio402Client
from studio402.mcp.config import McpConfig
from studio402.mcp.results import error_result
from studio402.mcp.tools import Buyer

__all__ = ["INSTRUCTIONS", "build_server"]

INSTRUCTIONS = """studio402 sells image and video generations, paid per request in USDC (x402).
Every paid tool spends real money from the configured wallet, within caps the user configured.
Flow: list_models -> quote (free, exact price) -> generate_image / edit_image / generate_video
(pays, then waits for the result unless wait=false) -> get_job / wait_for_job.
Parameters use each model's own field names (nano-banana-pro: aspectRatio, imageSize).
Never resubmit a paid request that timed out or is still running: wait_for_job instead."""

Model = Annotated[str, Field(description="Model id from list_models, e.g. 'nano-banana-pro'.")]
Prompt = Annotated[str, Field(description="What to generate, in plain language.", min_length=1)]
Options = Annotated[
    dict[str, Any] | None,
    Field(
        description="Extra request fields, named exactly as the model's API names them, e.g. "
        '{"aspectRatio": "16:9", "imageSize": "2K"} for nano-banana-pro. Call quote to check.'
    ),
]
Wait = Annotated[bool, Field(description="Wait for the result before answering.")]
Timeout = Annotated[float, Field(description="Seconds to wait for the result.", gt=0, le=3600)]
MaxPrice = Annotated[
    str | None,
    Field(
        description="Refuse to pay more than this many USD for this call (e.g. '0.25'). Can only "
        "lower the server's configured cap."
    ),
]
JobId = Annotated[str, Field(description="The jobId a paid tool returned.")]

_PAID = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
_FREE = ToolAnnotations(read_only_hint=True, open_world_hint=True)


def build_server(config: McpConfig, client: AsyncStudio402Client | None = None) -> MCPServer:
    """The MCP server for ``config`` (pass ``client`` to reuse one, e.g. in tests)."""
    client = client or AsyncStudio402Client(
        config.api_url,
        config.wallet,
        max_per_call_atomic=config.max_per_call_atomic,
        max_per_session_atomic=config.max_per_session_atomic,
        allowed_assets=config.allowed_assets,
    )
    buyer = Buyer(client, config)

    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    server = MCPServer(
        "studio402", instructions=INSTRUCTIONS, lifespan=lifespan, log_level="WARNING"
    )

    async def guarded(call: Any, **context: Any) -> CallToolResult:
        try:
            result: CallToolResult = await call
        except ClientError as exc:
            return error_result(exc, **context)
        return result

    def cap(max_price_usd: str | None) -> int | None:
        return parse_usd(max_price_usd) if max_price_usd else None

    @server.tool(annotations=_FREE)
    async def list_models() -> CallToolResult:
        """List the models and operations this server sells (ids for the other tools), with
        prices where the server publishes them. Free."""
        return await guarded(buyer.list_models())

    @server.tool(annotations=_FREE)
    async def quote(
        prompt: Prompt,
        model: Model = "nano-banana-pro",
        operation: Annotated[str, Field(description="'generate', 'edit', 't2v', ...")] = "generate",
        options: Options = None,
        images: Annotated[list[str] | None, Field(description="Reference images (edit).")] = None,
    ) -> CallToolResult:
        """Get the exact price of a request without paying (reads the server's 402 quote). Says
        whether the body is valid (issues lists each bad field) and whether the configured caps
        allow paying it. Free."""
        body = {**(options or {}), "prompt": prompt}
        if images:
            body["images"] = images
        return await guarded(buyer.quote(model, operation, body))

    @server.tool(annotations=_PAID)
    async def generate_image(
        prompt: Prompt,
        model: Model = "nano-banana-pro",
        options: Options = None,
        wait: Wait = True,
        timeout_s: Timeout = 120.0,
        max_price_usd: MaxPrice = None,
    ) -> CallToolResult:
        """Generate an image from a text prompt. PAID: quotes, pays once within the configured
        caps, then (wait=true) waits and returns the image URL (valid ~20 minutes), the saved
        file path and, when small, the image itself. Returns jobId; on timeout call
        wait_for_job, never call this again for the same request."""
        body = {**(options or {}), "prompt": prompt}
        return await guarded(
            buyer.buy(model, "generate", body, wait, timeout_s, cap(max_price_usd)), model=model
        )

    @server.tool(annotations=_PAID)
    async def edit_image(
        prompt: Prompt,
        images: Annotated[
            list[str],
            Field(description="Reference images: https URLs or data: URIs.", min_length=1),
        ],
        model: Model = "nano-banana-pro",
        options: Options = None,
        wait: Wait = True,
        timeout_s: Timeout = 120.0,
        max_price_usd: MaxPrice = None,
    ) -> CallToolResult:
        """Edit or combine reference images following the prompt. PAID, like generate_image.
        Only models with an 'edit' operation in list_models support it."""
        body = {**(options or {}), "prompt": prompt, "images": images}
        return await guarded(
            buyer.buy(model, "edit", body, wait, timeout_s, cap(max_price_usd)), model=model
        )

    @server.tool(annotations=_PAID)
    async def generate_video(
        prompt: Prompt,
        model: Annotated[str, Field(description="A video model id from list_models.")],
        operation: Annotated[
            str, Field(description="'generate', or 't2v' / 'i2v' where the model uses them.")
        ] = "generate",
        options: Options = None,
        wait: Wait = False,
        timeout_s: Timeout = 600.0,
        max_price_usd: MaxPrice = None,
    ) -> CallToolResult:
        """Generate a video. PAID (videos cost more: quote first). Videos take minutes: by
        default this returns the jobId at once; follow it with wait_for_job."""
        body = {**(options or {}), "prompt": prompt}
        return await guarded(
            buyer.buy(model, operation, body, wait, timeout_s, cap(max_price_usd)), model=model
        )

    @server.tool(annotations=_FREE)
    async def get_job(job_id: JobId) -> CallToolResult:
        """The job's current status (pending, loading with progress 0-100, complete, failed) and,
        once complete, its result URLs and image. Free (signed with the paying wallet)."""
        return await guarded(buyer.get_job(job_id), jobId=job_id)

    @server.tool(annotations=_FREE)
    async def wait_for_job(job_id: JobId, timeout_s: Timeout = 120.0) -> CallToolResult:
        """Wait until a paid job completes (or fails) and return its result, like get_job. Use
        this after a timeout instead of paying again. Free."""
        return await guarded(buyer.wait_for_job(job_id, timeout_s), jobId=job_id)

    @server.tool(annotations=_FREE)
    async def wallet_balance() -> CallToolResult:
        """The paying wallet's address and token balance, the caps configured for this server
        and what this session has spent so far. Free."""
        return await guarded(buyer.wallet_balance())

    return server
