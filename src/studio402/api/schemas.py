"""JSON Schemas and examples of the wire documents, shared by ``/openapi.json`` and 402 bazaar.

Request schemas come from each catalog operation's pydantic request model (field names, enums,
bounds and descriptions exactly as validation applies them); response schemas describe what
``api/generate.py`` and ``api/jobs.py`` answer. All are JSON Schema 2020-12 (OpenAPI 3.1).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel

from studio402.catalog import FieldSpec, Operation

__all__ = [
    "GENERATE_RESPONSE",
    "JOB",
    "JOB_LIST",
    "PROBLEM",
    "QUOTE",
    "SIWX_CHALLENGE",
    "UPLOAD_SLOT",
    "example_body",
    "generate_example",
    "request_schema",
    "usd",
]

_NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
_EXAMPLE_IMAGE = "https://example.com/reference.png"

GENERATE_RESPONSE: dict[str, Any] = {
    "type": "object",
    "description": "The job this payment bought; poll pollUrl with SIGN-IN-WITH-X.",
    "required": ["type", "jobId", "status", "success", "pollUrl"],
    "properties": {
        "type": {"type": "string", "description": "<model>-<operation>"},
        "jobId": {"type": "string"},
        "status": {"type": "string", "enum": ["pending"]},
        "success": {"type": "boolean", "const": True},
        "pollUrl": {"type": "string", "description": "GET it with SIGN-IN-WITH-X."},
    },
}

JOB: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type", "status", "progress", "createdAt", "updatedAt"],
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "loading", "complete", "failed"]},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "input": {"type": ["object", "null"]},
        "result": {
            "type": ["object", "null"],
            "description": "On complete: imageUrl, or videoUrl and thumbnailUrl (short-lived).",
            "properties": {
                "imageUrl": {"type": "string"},
                "videoUrl": {"type": "string"},
                "thumbnailUrl": {"type": "string"},
                "urlExpiresAt": {"type": "string"},
            },
        },
        "error": {"type": ["object", "null"]},
        "createdAt": {"type": "string"},
        "updatedAt": {"type": "string"},
        "payment": {
            "type": "object",
            "properties": {
                "protocol": {"type": "string", "enum": ["x402", "mpp"]},
                "transaction": _NULLABLE_STRING,
                "amount": {"type": "string", "description": "Atomic units of the token."},
                "network": {"type": "string"},
            },
        },
    },
}

UPLOAD_SLOT: dict[str, Any] = {
    "type": "object",
    "description": "A paid one-time upload slot: PUT the image bytes to uploadUrl.",
    "required": ["success", "uploadId", "uploadUrl"],
    "properties": {
        "success": {"type": "boolean"},
        "uploadId": {"type": "string"},
        "clientToken": {"type": "string"},
        "uploadUrl": {"type": "string"},
        "method": {"type": "string", "enum": ["PUT"]},
        "pathname": {"type": "string"},
        "contentType": {"type": "string"},
        "maxBytes": {"type": "integer"},
        "expiresAt": {"type": "string"},
    },
}

JOB_LIST: dict[str, Any] = {
    "type": "object",
    "required": ["jobs"],
    "properties": {"jobs": {"type": "array", "items": JOB}, "nextCursor": _NULLABLE_STRING},
}

PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details with a stable machine-readable code.",
    "required": ["status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "success": {"type": "boolean"},
        "issues": {"type": "array", "items": {"type": "object"}},
    },
}

QUOTE: dict[str, Any] = {
    "type": "object",
    "description": "The 402 of a paid route. The challenges are in the PAYMENT-REQUIRED (x402) "
    "and WWW-Authenticate: Payment (MPP) headers; this body is a readable quote.",
    "required": ["error", "message", "price"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "price": {
            "type": "object",
            "properties": {
                "amount": {"type": "string", "description": "Atomic units of the token."},
                "usd": {"type": "string"},
                "asset": {"type": "string"},
                "network": {"type": "string"},
                "payTo": {"type": "string"},
            },
        },
        "issues": {"type": "array", "items": {"type": "object"}},
    },
}

SIWX_CHALLENGE: dict[str, Any] = {
    "type": "object",
    "description": "Auth-only x402 PaymentRequired (also base64 in PAYMENT-REQUIRED): sign "
    "extensions.sign-in-with-x and retry with the SIGN-IN-WITH-X header.",
    "required": ["x402Version", "accepts", "extensions"],
    "properties": {
        "x402Version": {"type": "integer", "const": 2},
        "error": {"type": "string"},
        "resource": {"type": "object"},
        "accepts": {"type": "array", "maxItems": 0},
        "extensions": {"type": "object", "required": ["sign-in-with-x"]},
    },
}


def request_schema(operation: Operation) -> dict[str, Any]:
    """The JSON Schema of an operation's request body (a fresh copy: callers may edit it)."""
    return copy.deepcopy(_model_schema(operation.request_model))


@cache
def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    _enums(schema)
    return schema


def _enums(node: Any) -> None:
    """pydantic writes a one-value enum as ``const``; agents read ``enum`` lists."""
    if isinstance(node, dict):
        if "const" in node and "enum" not in node:
            node["enum"] = [node.pop("const")]
        for value in node.values():
            _enums(value)
    elif isinstance(node, list):
        for value in node:
            _enums(value)


def example_body(operation: Operation) -> dict[str, Any]:
    """A valid request body: required fields and every field with a default."""
    body: dict[str, Any] = {}
    for spec in operation.fields.values():
        if spec.required or spec.default is not None:
            body[spec.name] = _example_value(spec)
    return body


def generate_example(operation: Operation, public_url: str) -> dict[str, Any]:
    """What a paid request of ``operation`` answers."""
    return {
        "type": operation.type,
        "jobId": "job_01jexample",
        "status": "pending",
        "success": True,
        "pollUrl": f"{public_url}/api/jobs/job_01jexample",
    }


def usd(amount_atomic: int, decimals: int = 6) -> str:
    """An atomic amount as a plain decimal string in token units (USD for USDC)."""
    value = Decimal(amount_atomic).scaleb(-decimals).normalize()
    return f"{value:f}"


def _example_value(spec: FieldSpec) -> Any:
    if spec.default is not None:
        return spec.default
    if spec.enum:
        return spec.enum[0]
    if spec.type == "image":
        return _EXAMPLE_IMAGE
    if spec.type in ("image_list", "string_list"):
        count = max(spec.min_items or 1, 1)
        item = _EXAMPLE_IMAGE if spec.type == "image_list" else "example"
        return [item] * count
    if spec.type == "url":
        return "https://example.com/audio.mp3"
    if spec.type == "integer":
        return int(spec.minimum) if spec.minimum is not None else 1
    if spec.type == "number":
        return float(spec.minimum) if spec.minimum is not None else 1.0
    if spec.type == "boolean":
        return False
    if spec.name == "prompt":
        return "a lighthouse on a cliff at dusk, watercolor"
    return "example"
