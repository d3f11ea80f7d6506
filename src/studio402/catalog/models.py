"""The catalog's types: models, operations, request fields and prices, loaded from TOML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

FieldType = Literal["string", "integer", "number", "boolean", "string_list"]


@dataclass(frozen=True)
class FieldSpec:
    """One request field, as StableStudio names and types it."""

    name: str
    type: FieldType
    required: bool = False
    default: Any = None
    enum: tuple[str, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    description: str = ""


@dataclass(frozen=True)
class Price:
    """A price formula in atomic units: a base, an optional per-value table and a multiplier."""

    base: int
    by: str | None = None
    table: dict[str, int] = field(default_factory=dict)
    per: str | None = None

    def amount(self, values: dict[str, Any]) -> int:
        """The exact price in atomic units for validated request ``values``."""
        amount = self.table.get(str(values.get(self.by)), self.base) if self.by else self.base
        if self.per is not None:
            amount *= int(float(values[self.per]))
        return amount

    def maximum(self, fields: dict[str, FieldSpec]) -> int:
        """The highest price any valid request can be quoted."""
        highest = max([self.base, *self.table.values()])
        if self.per is not None:
            spec = fields[self.per]
            candidates = [float(v) for v in spec.enum] if spec.enum else [spec.maximum or 1]
            highest *= int(max(candidates))
        return highest


@dataclass(frozen=True)
class Operation:
    """One paid route: ``POST /api/generate/{model}/{name}``."""

    model: str
    name: str
    description: str
    fields: dict[str, FieldSpec]
    price: Price
    typical_seconds: int = 30
    request_model: type[BaseModel] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "request_model", _request_model(self))

    @property
    def type(self) -> str:
        """The job type reported to clients, ``<model>-<operation>``."""
        return f"{self.model}-{self.name}"

    @property
    def path(self) -> str:
        """The route path."""
        return f"/api/generate/{self.model}/{self.name}"

    @property
    def max_price(self) -> int:
        """The most this route can cost, quoted when the body is absent or invalid."""
        return self.price.maximum(self.fields)


@dataclass(frozen=True)
class Model:
    """A model with its operations and upstream binding."""

    name: str
    title: str
    kind: Literal["image", "video", "upload"]
    provider: str
    upstream_model: str
    description: str
    operations: dict[str, Operation]
    retired: bool = False
    replacement: str | None = None


def _request_model(operation: Operation) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for spec in operation.fields.values():
        annotation = _annotation(spec)
        default = ... if spec.required else spec.default
        if not spec.required and spec.default is None:
            annotation = annotation | None
        definitions[spec.name] = (
            annotation,
            Field(
                default,
                description=spec.description or None,
                min_length=spec.min_length if spec.type == "string" else spec.min_items,
                max_length=spec.max_length if spec.type == "string" else spec.max_items,
                ge=spec.minimum,
                le=spec.maximum,
            ),
        )
    name = "".join(part.capitalize() for part in operation.type.replace(".", "-").split("-"))
    return create_model(
        f"{name}Request",
        __config__=ConfigDict(extra="forbid", strict=True),
        **definitions,
    )


def _annotation(spec: FieldSpec) -> Any:
    if spec.enum is not None:
        return Literal[spec.enum]
    return {
        "string": str,
        "integer": int,
        "number": float,
        "boolean": bool,
        "string_list": list[str],
    }[spec.type]
