"""Hand-written OpenAPI pieces: the SIWX job routes, security schemes, payment headers.

Kept beside :mod:`studio402.api.openapi` so the document builder stays small; every schema
describes what ``api/jobs.py`` and ``api/generate.py`` actually answer (Schemathesis checks it).
"""

from __future__ import annotations

from typing import Any

from studio402.api.schemas import JOB, JOB_LIST, SIWX_CHALLENGE

__all__ = [
    "ALIAS_PREFIX",
    "CHALLENGE_HEADERS",
    "PAID_HEADERS",
    "PAYMENT_PARAMETERS",
    "SECURITY_SCHEMES",
    "SIGN_IN_RESPONSE",
    "SIGN_IN_SECURITY",
    "is_documented",
    "job_paths",
]

ALIAS_PREFIX = "/api/x402/"
_HIDDEN = (ALIAS_PREFIX, "/api/openapi.json", "/api/models", "/api/upload/{upload_id}")
"""Not advertised: aliases, the document itself, the free catalog listing and the upload PUT
(a URL handed out by ``POST /api/upload``, like StableStudio's blob URL). Scanners warn "no
auth mode" on open or token routes; /llms.txt describes both instead."""

SECURITY_SCHEMES: dict[str, Any] = {
    "siwx": {
        "type": "apiKey",
        "in": "header",
        "name": "SIGN-IN-WITH-X",
        "description": "CAIP-122 / EIP-4361 sign-in by the wallet that paid: answer the 402 "
        "challenge's extensions.sign-in-with-x with a base64 JSON proof.",
    },
    "sessionToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The X-Session-Token a successful SIGN-IN-WITH-X returns.",
    },
}
SIGN_IN_SECURITY: list[dict[str, list[str]]] = [{"siwx": []}, {"sessionToken": []}]

_STRING = {"schema": {"type": "string"}}
CHALLENGE_HEADERS: dict[str, Any] = {
    "PAYMENT-REQUIRED": {
        "required": True,
        "description": "x402 v2 PaymentRequired, standard base64 JSON.",
        **_STRING,
    },
    "WWW-Authenticate": {
        "required": True,
        "description": 'MPP challenge: Payment id=..., method="evm", intent="charge", ...',
        **_STRING,
    },
}
PAID_HEADERS: dict[str, Any] = {
    "PAYMENT-RESPONSE": {"description": "x402 settlement (x402 payers), base64 JSON.", **_STRING},
    "Payment-Receipt": {"description": "MPP receipt, base64url JSON.", **_STRING},
    "X-Payment-Reference": {"description": "Our id of the payment.", **_STRING},
}
PAYMENT_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "PAYMENT-SIGNATURE",
        "in": "header",
        "required": False,
        "description": "x402 payment (base64 JSON). MPP payers send Authorization: Payment.",
        "schema": {"type": "string"},
    },
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Names the payment: a retry with the same key returns the same job.",
        "schema": {"type": "string", "maxLength": 128},
    },
]
_SESSION_HEADERS: dict[str, Any] = {
    "X-Session-Token": {"description": "Bearer token for later polls.", **_STRING},
    "X-Session-Expires-At": {"description": "When that token expires.", **_STRING},
}
SIGN_IN_RESPONSE: dict[str, Any] = {
    "description": "Sign in: the auth-only challenge (accepts: []), also in PAYMENT-REQUIRED.",
    "headers": {"PAYMENT-REQUIRED": CHALLENGE_HEADERS["PAYMENT-REQUIRED"]},
    "content": {"application/json": {"schema": SIWX_CHALLENGE}},
}
_JOB_ID = {"name": "jobId", "in": "path", "required": True, "schema": {"type": "string"}}


def is_documented(path: str) -> bool:
    """Whether a route belongs in the document: the ``/api`` surface minus :data:`_HIDDEN`."""
    return path.startswith("/api/") and not path.startswith(_HIDDEN)


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _SESSION_HEADERS,
        "content": {"application/json": {"schema": schema}},
    }


def _job_operation(summary: str, **fields: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": ["jobs"], "security": SIGN_IN_SECURITY, **fields}


def job_paths() -> dict[str, Any]:
    """The job routes: free, but only for the wallet that paid (SIWX or its session token)."""
    wait = {
        "name": "wait",
        "in": "query",
        "required": False,
        "description": "Long-poll: seconds to wait for a status change (capped by the server).",
        "schema": {"type": "number", "minimum": 0, "maximum": 3600},
    }
    return {
        "/api/jobs/{jobId}": {
            "get": _job_operation(
                "Poll a job",
                operationId="get_job",
                parameters=[_JOB_ID, wait],
                responses={"200": _ok(JOB, "The job."), "402": SIGN_IN_RESPONSE},
            ),
            "delete": _job_operation(
                "Delete a failed job",
                operationId="delete_job",
                parameters=[_JOB_ID],
                responses={
                    "200": _ok(
                        {
                            "type": "object",
                            "required": ["success", "id", "deleted"],
                            "properties": {
                                "success": {"type": "boolean"},
                                "id": {"type": "string"},
                                "deleted": {"type": "boolean"},
                            },
                        },
                        "Deleted.",
                    ),
                    "402": SIGN_IN_RESPONSE,
                },
            ),
        },
        "/api/jobs/{jobId}/events": {
            "get": _job_operation(
                "Stream a job's status changes",
                operationId="job_events",
                parameters=[_JOB_ID],
                responses={
                    "200": {
                        "description": "Server-sent events: one `status` event per change.",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "402": SIGN_IN_RESPONSE,
                },
            )
        },
        "/api/jobs": {
            "get": _job_operation(
                "List the caller's jobs",
                operationId="list_jobs",
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "string",
                            "enum": ["pending", "loading", "complete", "failed"],
                        },
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                responses={"200": _ok(JOB_LIST, "Newest first."), "402": SIGN_IN_RESPONSE},
            )
        },
    }
