"""Domain errors become RFC 9457 problem+json responses; only this module knows the mapping."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from studio402.errors import (
    InvalidRequestError,
    PaymentPendingError,
    Studio402Error,
)

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response with a stable machine-readable ``code``."""
    body = {
        "type": f"urn:studio402:error:{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        "success": False,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def error_response(exc: Studio402Error) -> JSONResponse:
    """The response for any domain error."""
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {"Cache-Control": "no-store"}
    if isinstance(exc, InvalidRequestError) and exc.issues:
        extra["issues"] = exc.issues
    if isinstance(exc, PaymentPendingError):
        extra["paymentId"] = exc.payment_id
        headers["Retry-After"] = str(exc.retry_after_s)
        headers["X-Payment-Reference"] = exc.payment_id
    reason = exc.details.get("reason")
    if reason:
        extra["reason"] = reason
    return problem(exc.status, exc.code, exc.message, headers=headers, **extra)


def install(app: FastAPI) -> None:
    """Register the exception handlers."""

    async def on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Studio402Error)
        return error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return problem(
                404,
                "not_found",
                f"no route {request.method} {request.url.path}; see /openapi.json and /llms.txt",
                discovery=["/openapi.json", "/llms.txt"],
            )
        if exc.status_code == 405:
            return problem(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here",
                headers=dict(exc.headers or {}),
            )
        return problem(exc.status_code, "http_error", str(exc.detail))

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        issues = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return problem(400, "invalid_request", "invalid request parameters", issues=issues)

    async def on_sign_in_required(_request: Request, exc: Exception) -> JSONResponse:
        from studio402.api.wallet import SignInRequiredError, challenge_headers

        assert isinstance(exc, SignInRequiredError)
        return JSONResponse(
            exc.challenge, status_code=402, headers=challenge_headers(exc.challenge)
        )

    from studio402.api.wallet import SignInRequiredError

    app.add_exception_handler(SignInRequiredError, on_sign_in_required)
    app.add_exception_handler(Studio402Error, on_domain_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
