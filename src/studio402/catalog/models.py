"""The catalog's types: models, operations, request fields and prices, loaded from TOML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from studio402.catalog.pricing import Price

__all__ = [
    "IMAGE_TYPES",
    "FieldSpec",
    "FieldType",
    "Model",
    "Operation",
    "Price",
]

FieldType = Literal[
    "string", "integer", "number", "boolean", "string_list", "url", "image", "image_list"
]
"""``image`` / ``image_list`` hold reference images (http(s) URLs or ``data:`` URIs) that the
server fetches and checks before payment; ``url`` is a link passed upstream as is (audio)."""

IMAGE_TYPES = frozenset({"image", "image_list"})

IMAGE_PATTERN = r"(?i)^(https?://|data:)"
URL_PATTERN = r"(?i)^https?://"
MAX_URL_CHARS = 4096


@dataclass(frozen=True)
class FieldSpec:
    """One request field, as StableStudio names and types it.

    ``required_when`` makes the field required when another field has one of the listed values
    (Veo's ``image`` when ``imageMode`` is ``first-frame`` or ``interpolation``).
    """

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
    required_when: dict[str, tuple[str, ...]] | None = None

    @property
    def is_image(self) -> bool:
        """True for reference-image fields."""
        return self.type in IMAGE_TYPES

    def to_json(self) -> dict[str, Any]:
        """The parameter as ``/api/models`` describes it (absent constraints left out)."""
        document: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        optional = {
            "default": self.default,
            "enum": list(self.enum) if self.enum is not None else None,
            "minLength": self.min_length,
            "maxLength": self.max_length,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "minItems": self.min_items,
            "maxItems": self.max_items,
            "requiredWhen": {k: list(v) for k, v in self.required_when.items()}
            if self.required_when
            else None,
            "description": self.description or None,
        }
        document.update({k: v for k, v in optional.items() if v is not None})
        return document


@dataclass(frozen=True)
class Operation:
    """One paid route: ``POST /api/generate/{model}/{name}``.

    ``upstream_model`` overrides the model's upstream id for this operation (fal apps have one
    endpoint per operation, e.g. ``.../text-to-video`` and ``.../image-to-video``).
    """

    model: str
    name: str
    description: str
    fields: dict[str, FieldSpec]
    price: Price
    typical_seconds: int = 30
    upstream_model: str | None = None
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
        return self.price.bounds(self.fields)[1]

    @property
    def min_price(self) -> int:
        """The least any valid body of this route costs."""
        return self.price.bounds(self.fields)[0]

    @property
    def image_fields(self) -> list[FieldSpec]:
        """The reference-image fields, in declaration order."""
        return [spec for spec in self.fields.values() if spec.is_image]

    @property
    def max_references(self) -> int:
        """The most reference images one request may carry."""
        return sum(1 if s.type == "image" else (s.max_items or 0) for s in self.image_fields)


@dataclass(frozen=True)
class Model:
    """A model with its operations and upstream binding.

    A ``retired`` model keeps its routes, which answer 410 naming ``replacement``.
    """

    name: str
    title: str
    kind: Literal["image", "video", "upload"]
    provider: str
    upstream_model: str
    description: str
    operations: dict[str, Operation]
    retired: bool = False
    replacement: str | None = None
    retired_reason: str = ""

    def retired_message(self) -> str:
        """Why the model is gone and what to use instead."""
        text = self.retired_reason or f"{self.title} has been retired upstream"
        if self.replacement:
            text += f"; use {self.replacement} instead (see GET /api/models)"
        return text


def _request_model(operation: Operation) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for spec in operation.fields.values():
        annotation = _annotation(spec)
        default = ... if spec.required else spec.default
        if not spec.required and spec.default is None:
            annotation = annotation | None
        is_list = spec.type in {"string_list", "image_list"}
        definitions[spec.name] = (
            annotation,
            Field(
                default,
                description=spec.description or None,
                min_length=spec.min_items if is_list else spec.min_length,
                max_length=spec.max_items if is_list else spec.max_length,
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


_Image = Annotated[str, StringConstraints(pattern=IMAGE_PATTERN, min_length=6)]
_Url = Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=MAX_URL_CHARS)]


def _annotation(spec: FieldSpec) -> Any:
    if spec.enum is not None:
        return Literal[spec.enum]
    return {
        "string": str,
        "integer": int,
        "number": float,
        "boolean": bool,
        "string_list": list[str],
        "url": _Url,
        "image": _Image,
        "image_list": list[_Image],
    }[spec.type]
