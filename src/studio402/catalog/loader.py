"""Load the catalog from TOML and validate request bodies against it."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from studio402.catalog.models import FieldSpec, Model, Operation, Price
from studio402.errors import InvalidRequestError, UnknownModelError


class Catalog:
    """Every model and operation studio402 sells."""

    def __init__(self, models: dict[str, Model]) -> None:
        self.models = models

    @classmethod
    def load(cls, path: Path | None = None, *, max_prompt_chars: int = 8000) -> Catalog:
        """Read the bundled ``catalog.toml`` (or ``path``); prompts are capped at ``max_prompt_chars``."""
        if path is None:
            text = resources.files("studio402.catalog").joinpath("catalog.toml").read_text()
        else:
            text = path.read_text()
        data = tomllib.loads(text)
        models = {
            name: _model(name, spec, max_prompt_chars)
            for name, spec in data.get("models", {}).items()
            if spec.get("enabled", True)
        }
        return cls(models)

    def operations(self) -> list[Operation]:
        """Every operation, in catalog order."""
        return [op for model in self.models.values() for op in model.operations.values()]

    def operation(self, model: str, operation: str) -> Operation:
        """The operation for a route, or :class:`UnknownModelError` naming what exists."""
        found = self.models.get(model)
        if found is None:
            raise UnknownModelError(
                f"unknown model '{model}'; available: {', '.join(sorted(self.models))}"
            )
        op = found.operations.get(operation)
        if op is None:
            raise UnknownModelError(
                f"model '{model}' has no operation '{operation}'; "
                f"available: {', '.join(sorted(found.operations))}"
            )
        return op


def validate_body(operation: Operation, raw: bytes) -> dict[str, Any]:
    """Parse and validate a JSON body; defaults are filled in.

    Raises :class:`InvalidRequestError` whose ``issues`` name each offending field.
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
        issues = [_issue(error) for error in exc.errors(include_url=False)]
        summary = "; ".join(f"{i['field']}: {i['message']}" for i in issues)
        raise InvalidRequestError(f"invalid request body: {summary}", issues=issues) from exc
    return validated.model_dump()


def _issue(error: Any) -> dict[str, Any]:
    location = ".".join(str(part) for part in error["loc"]) or "body"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    return {"field": location, "message": message, "type": error["type"]}


def _model(name: str, spec: dict[str, Any], max_prompt_chars: int) -> Model:
    operations = {
        op_name: _operation(name, op_name, op_spec, max_prompt_chars)
        for op_name, op_spec in spec.get("operations", {}).items()
    }
    return Model(
        name=name,
        title=spec.get("title", name),
        kind=spec.get("kind", "image"),
        provider=spec.get("provider", "local"),
        upstream_model=spec.get("upstream_model", name),
        description=spec.get("description", ""),
        operations=operations,
        retired=spec.get("retired", False),
        replacement=spec.get("replacement"),
    )


def _operation(model: str, name: str, spec: dict[str, Any], max_prompt_chars: int) -> Operation:
    fields = {
        field_name: _field(field_name, field_spec, max_prompt_chars)
        for field_name, field_spec in spec.get("fields", {}).items()
    }
    price = spec["price"]
    return Operation(
        model=model,
        name=name,
        description=spec.get("description", ""),
        fields=fields,
        price=Price(
            base=int(price["base"]),
            by=price.get("by"),
            table={str(k): int(v) for k, v in price.get("table", {}).items()},
            per=price.get("per"),
        ),
        typical_seconds=int(spec.get("typical_seconds", 30)),
    )


def _field(name: str, spec: dict[str, Any], max_prompt_chars: int) -> FieldSpec:
    max_length = spec.get("max_length")
    if name == "prompt" and max_length is None:
        max_length = max_prompt_chars
    enum = spec.get("enum")
    return FieldSpec(
        name=name,
        type=spec.get("type", "string"),
        required=spec.get("required", False),
        default=spec.get("default"),
        enum=tuple(enum) if enum is not None else None,
        min_length=spec.get("min_length"),
        max_length=max_length,
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        min_items=spec.get("min_items"),
        max_items=spec.get("max_items"),
        description=spec.get("description", ""),
    )
