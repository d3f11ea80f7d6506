"""Guidance for agents: the short ``info.x-guidance`` and the long ``/llms.txt``, from the catalog.

Both are plain text built from the same catalog, rail and public URL the routes use, so prices,
routes and typical times never drift from what the server answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from studio402.api.schemas import example_body, usd
from studio402.catalog import Catalog, FieldSpec, Operation

__all__ = ["GUIDANCE_LIMIT", "Context", "guidance", "llms_txt", "price_text"]

GUIDANCE_LIMIT = 4000
"""agentcash and x402scan warn above this many characters of ``x-guidance``."""


@dataclass(frozen=True)
class Context:
    """What the guidance describes: the catalog, where it is served, and how it is paid."""

    catalog: Catalog
    public_url: str
    network: str
    asset: str
    pay_to: str
    decimals: int = 6
    upload_price_atomic: int | None = None


def price_text(operation: Operation, decimals: int = 6) -> str:
    """``$0.134`` for a fixed price, ``$0.134-0.24`` for a range."""
    low, high = operation.min_price, operation.max_price
    if low == high:
        return f"${usd(low, decimals)}"
    return f"${usd(low, decimals)}-{usd(high, decimals)}"


def guidance(context: Context) -> str:
    """The concise guide (``info.x-guidance``): flow, polling, defaults, routes with prices."""
    lines = [
        "studio402: AI image and video generation, paid per request in USDC with x402 or MPP "
        f"(no API keys). Token {context.asset} on {context.network}, paid to {context.pay_to}.",
        "",
        "Payment flow:",
        "1. POST the JSON body to a route below. Unpaid, it answers 402 with the exact price of "
        "that body (the route maximum if the body is missing or invalid) twice: PAYMENT-REQUIRED "
        "(x402 v2 exact, EIP-3009) and WWW-Authenticate: Payment (MPP evm/charge). Amounts are "
        f"atomic units ({context.decimals} decimals).",
        "2. Resend the same body with PAYMENT-SIGNATURE (x402) or Authorization: Payment (MPP). "
        "Resending the same signed payment returns the same job and never charges twice.",
        '3. 200 {type, jobId, status:"pending", success:true, pollUrl} + PAYMENT-RESPONSE '
        "(x402) / Payment-Receipt.",
        "4. Poll GET /api/jobs/{jobId}: it answers 402 with a sign-in-with-x challenge; sign it "
        "with the paying wallet and retry with SIGN-IN-WITH-X. Reuse the X-Session-Token reply "
        "header as Authorization: Bearer; ?wait=30 long-polls. Status pending > loading > "
        "complete|failed; result.imageUrl or result.videoUrl (URLs expire: poll again).",
        "",
        f"Defaults: {_defaults(context.catalog)}.",
        "",
        "Routes (POST, USD, typical time):",
        *(
            f"{op.path} {price_text(op, context.decimals)} ~{op.typical_seconds}s"
            for op in context.catalog.operations()
        ),
        "",
        f"Field enums and descriptions: {context.public_url}/openapi.json. "
        f"Full guide: {context.public_url}/llms.txt",
    ]
    return "\n".join(lines)


def llms_txt(context: Context) -> str:
    """The long guide served at ``/llms.txt``: the concise one plus every route's fields."""
    parts = [
        "# studio402",
        "",
        guidance(context),
        "",
        "## Paying",
        "",
        "x402: decode PAYMENT-REQUIRED (standard base64 JSON), sign the EIP-3009 "
        "TransferWithAuthorization of accepts[0] (EIP-712 domain from extra.name/version, "
        "verifyingContract = asset) and send PAYMENT-SIGNATURE. MPP: sign the charge request of "
        "WWW-Authenticate: Payment with nonce = keccak256 of the challenge (pympp and mppx both "
        "accepted) and send Authorization: Payment. A payment whose settlement is still unknown "
        "answers 503 with Retry-After and X-Payment-Reference: resend the same payment later, "
        "never a new one. Idempotency-Key or the x402 payment-identifier extension name a payment.",
        "",
        "Polling: GET /api/jobs/{jobId} (SIGN-IN-WITH-X or Authorization: Bearer <session token>), "
        "GET /api/jobs/{jobId}/events (server-sent events), GET /api/jobs (your jobs), "
        "DELETE /api/jobs/{jobId} (a failed job). Only the wallet that paid can read a job (403).",
        "",
        "Catalog: GET /api/models (free) lists every model, its parameters and prices. "
        "Reference images (edit, i2v): an https URL or a data: URI in the body, or buy an "
        "upload slot with POST /api/upload (paid like a generation), PUT the bytes to its "
        "uploadUrl and use the returned url.",
        "",
        "Errors are application/problem+json with a stable code: 400 invalid_request (no money "
        "moves), 404 unknown route or model, 405 wrong method, 409 idempotency_conflict, "
        "410 model_retired, 413 payload_too_large, 503 payment_pending.",
        "",
        "## Routes",
    ]
    for model in context.catalog.models.values():
        for op in model.operations.values():
            parts += ["", f"### POST {op.path}", "", f"{model.title}: {op.description}"]
            parts.append(
                f"Price {price_text(op, context.decimals)} USD; typical {op.typical_seconds}s."
            )
            parts += [_field_line(spec) for spec in op.fields.values()]
            parts.append(f"Example body: {_json(example_body(op))}")
    retired = list(context.catalog.retired.values())
    if retired:
        parts += ["", "## Retired (410)", ""]
        parts += [f"- {m.name}: {m.retired_message()}" for m in retired]
    return "\n".join(parts) + "\n"


def _defaults(catalog: Catalog) -> str:
    picks = []
    for kind in ("image", "video"):
        model = next((m for m in catalog.models.values() if m.kind == kind), None)
        if model is not None and model.operations:
            first = next(iter(model.operations.values()))
            picks.append(f"{kind} {first.path}")
    return "; ".join(picks) or "see the routes"


def _field_line(spec: FieldSpec) -> str:
    details = [spec.type, "required" if spec.required else "optional"]
    if spec.enum:
        details.append("one of " + ", ".join(spec.enum))
    if spec.default is not None:
        details.append(f"default {spec.default}")
    text = f"- {spec.name} ({'; '.join(details)})"
    return f"{text}: {spec.description}" if spec.description else text


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
