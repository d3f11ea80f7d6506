"""Validate a request body against an operation: every problem named by its field."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from studio402.catalog.models import Operation
from studio402.errors import InvalidRequestError

__all__ = ["validate_body"]

_IMAGE_MESSAGE = "must be an http(s) URL or a data: URI of an image"
_URL_MESSAGE = "must be an http(s) URL"


def validate_body(operation: Operation, raw: bytes) -> dict[str, Any]:
    """Parse and validate a JSON body; defaults are filled in.

    Only the body's shape is checked here (reference images are not fetched).

    Raises:
        InvalidRequestError: whose ``issues`` name each offending field (``images.2`` for the
            third item of a list).
    """
    if not raw.strip():
        raise InvalidRequestError(
            "request body is required (JSON)",
            issues=[{"field": "body", "message": "missing JSON body"}],
        )
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequestError(
            f"request body is not valid JSON: {exc}",
            issues=[{"field": "body", "message": "invalid JSON"}],
        ) from exc
    if not isinstance(data, dict):
        raise InvalidRequestError(
            "request body must be a JSON object",
            issues=[{"field": "body", "message": "expected an object"}],
        )
    try:
        validated = operation.request_model.model_validate(data)
    except ValidationError as exc:
        issues = [_issue(operation, error) for error in exc.errors(include_url=False)]
        raise _invalid(issues) from exc
    values = validated.model_dump()
    issues = _conditional_issues(operation, values)
    if issues:
        raise _invalid(issues)
    return values


def _invalid(issues: list[dict[str, Any]]) -> InvalidRequestError:
    summary = "; ".join(f"{i['field']}: {i['message']}" for i in issues)
    return InvalidRequestError(f"invalid request body: {summary}", issues=issues)


def _conditional_issues(operation: Operation, values: dict[str, Any]) -> list[dict[str, Any]]:
    issues = []
    for spec in operation.fields.values():
        if not spec.required_when or values.get(spec.name) not in (None, []):
            continue
        for other, triggers in spec.required_when.items():
            if values.get(other) in triggers:
                issues.append(
                    {
                        "field": spec.name,
                        "message": f"required when {other} is {values[other]!r}",
                        "type": "missing",
                    }
                )
                break
    return issues


def _issue(operation: Operation, error: Any) -> dict[str, Any]:
    location = ".".join(str(part) for part in error["loc"]) or "body"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    elif error["type"] == "string_pattern_mismatch" and error["loc"]:
        spec = operation.fields.get(str(error["loc"][0]))
        if spec is not None:
            message = _IMAGE_MESSAGE if spec.is_image else _URL_MESSAGE
    return {"field": location, "message": message, "type": error["type"]}
