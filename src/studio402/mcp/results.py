"""Tool answers: a JSON document an agent can read (and ``structuredContent``), plus the image
itself as MCP image content when it is small enough."""

from __future__ import annotations

import base64
import json
import mimetypes
from pathlib import Path
from typing import Any

from mcp.types import CallToolResult, ContentBlock, ImageContent, TextContent

from studio402.client.errors import (
    ApiError,
    ClientError,
    JobFailedError,
    JobTimeoutError,
    PaymentUnconfirmedError,
    SpendingCapError,
)
from studio402.client.money import usd

__all__ = ["error_result", "json_result"]

_HINTS = {
    SpendingCapError: "Nothing was paid. Ask the user before raising the cap; the MCP server's "
    "caps are set in its configuration (--max-per-call, --max-per-session).",
    JobTimeoutError: "The job was paid and is still running: call wait_for_job with the jobId. "
    "Never resubmit: that would pay twice.",
    JobFailedError: "The job failed after payment; read error.message. A retry is a new payment.",
    PaymentUnconfirmedError: "The payment was sent but its outcome is unknown. Do not pay again; "
    "check get_job later or list jobs.",
}


def json_result(
    document: dict[str, Any], image: Path | None = None, inline_max_bytes: int = 0
) -> CallToolResult:
    """``document`` as text and structured content; ``image`` inlined when small enough."""
    content: list[ContentBlock] = [TextContent(type="text", text=json.dumps(document, indent=2))]
    if image is not None and image.is_file() and image.stat().st_size <= inline_max_bytes:
        mime = mimetypes.guess_type(image.name)[0] or "image/png"
        if mime.startswith("image/") and mime != "image/svg+xml":
            data = base64.b64encode(image.read_bytes()).decode()
            content.append(ImageContent(type="image", data=data, mime_type=mime))
    return CallToolResult(content=content, structured_content=document)


def error_result(exc: ClientError, **context: Any) -> CallToolResult:
    """A tool error an agent can act on: the code, the server's reason, and what to do next."""
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if isinstance(exc, ApiError) and exc.http_status:
        error["status"] = exc.http_status
    if isinstance(exc, SpendingCapError):
        error["price"] = {"amount": str(exc.amount_atomic), "usd": usd(exc.amount_atomic)}
        error["cap"] = {"name": exc.cap, "usd": usd(exc.cap_atomic)}
    if isinstance(exc, JobFailedError):
        error["reason"] = exc.reason
        error["job"] = exc.job.to_dict() if hasattr(exc.job, "to_dict") else None
    if isinstance(exc, JobTimeoutError):
        error["jobId"] = exc.job_id
    if isinstance(exc, PaymentUnconfirmedError):
        error["paymentReference"] = exc.reference
    for cls, hint in _HINTS.items():
        if isinstance(exc, cls):
            error["hint"] = hint
    document = {"success": False, "error": error, **context}
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(document, indent=2))],
        structured_content=document,
        is_error=True,
    )
