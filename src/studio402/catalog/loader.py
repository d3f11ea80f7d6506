"""Load the catalog from TOML (plus operator overrides) and look up routes in it.

An operation may start from another with ``extends = "generate"`` (same model) or
``extends = "veo-3.1/generate"``: it inherits that operation's fields, price, description and
upstream id, and its own keys replace them (a field given again replaces the inherited field
whole; ``without = [...]`` drops inherited fields). See ``catalog.toml``'s header for the schema.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, get_args

from studio402.catalog.models import FieldSpec, FieldType, Model, Operation
from studio402.catalog.overrides import apply_overrides
from studio402.catalog.pricing import check_price, parse_price
from studio402.catalog.validation import validate_body
from studio402.errors import ConfigError, RetiredModelError, UnknownModelError
from studio402.settings import CatalogSettings

__all__ = ["Catalog", "validate_body"]

_KINDS = ("image", "video", "upload")


class Catalog:
    """Every model and operation studio402 sells, and the retired ones it still answers for.

    ``models`` holds the enabled models that are on sale; ``retired`` the enabled models whose
    routes answer 410. Disabled models are in neither.
    """

    def __init__(self, models: dict[str, Model], retired: dict[str, Model] | None = None) -> None:
        self.models = models
        self.retired = retired or {}

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        max_prompt_chars: int = 8000,
        overrides: CatalogSettings | None = None,
    ) -> Catalog:
        """Read the bundled ``catalog.toml`` (or ``path``, or ``overrides.path``), apply the
        operator's ``overrides``, and check every price formula. Prompts are capped at
        ``max_prompt_chars``.

        Raises:
            ConfigError: the data or an override is inconsistent (the message says where).
        """
        path = path or (overrides.path if overrides else None)
        if path is None:
            text = resources.files("studio402.catalog").joinpath("catalog.toml").read_text()
        else:
            text = Path(path).read_text()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"catalog {path or 'catalog.toml'}: {exc}") from exc
        if overrides is not None:
            data = apply_overrides(data, overrides)
        raw_models: dict[str, Any] = data.get("models", {})
        built = {
            name: _model(name, spec, raw_models, max_prompt_chars)
            for name, spec in raw_models.items()
            if spec.get("enabled", True)
        }
        for model in built.values():
            if model.replacement and model.replacement not in built:
                raise ConfigError(
                    f"models.{model.name}: replacement {model.replacement!r} "
                    "is not an enabled model"
                )
        return cls(
            {name: m for name, m in built.items() if not m.retired},
            {name: m for name, m in built.items() if m.retired},
        )

    def operations(self) -> list[Operation]:
        """Every operation on sale, in catalog order."""
        return [op for model in self.models.values() for op in model.operations.values()]

    def retired_operations(self) -> list[tuple[Model, Operation]]:
        """The operations of retired models, with their model."""
        return [(m, op) for m in self.retired.values() for op in m.operations.values()]

    def all_models(self) -> list[Model]:
        """Models on sale, then retired ones."""
        return [*self.models.values(), *self.retired.values()]

    def operation(self, model: str, operation: str) -> Operation:
        """The operation for a route.

        Raises:
            RetiredModelError: the model is retired (410 with its replacement).
            UnknownModelError: no such model or operation; the message names what exists.
        """
        gone = self.retired.get(model)
        if gone is not None:
            raise RetiredModelError(
                gone.retired_message(), replacement=gone.replacement, model=model
            )
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


def _model(name: str, spec: dict[str, Any], models: dict[str, Any], max_prompt: int) -> Model:
    kind = spec.get("kind", "image")
    if kind not in _KINDS:
        raise ConfigError(f"models.{name}: kind must be one of {_KINDS}")
    upstream = spec.get("upstream_model", name)
    operations = {
        op_name: _operation(name, op_name, _resolved(name, op_name, models, ()), max_prompt)
        for op_name in spec.get("operations", {})
    }
    if not operations:
        raise ConfigError(f"models.{name}: no operations")
    return Model(
        name=name,
        title=spec.get("title", name),
        kind=kind,
        provider=spec.get("provider", "local"),
        upstream_model=upstream,
        description=spec.get("description", ""),
        operations=operations,
        retired=bool(spec.get("retired", False)),
        replacement=spec.get("replacement"),
        retired_reason=spec.get("retired_reason", ""),
    )


def _resolved(model: str, op: str, models: dict[str, Any], seen: tuple[str, ...]) -> dict[str, Any]:
    """The operation's spec with ``extends`` merged in (cycles refused)."""
    where = f"{model}/{op}"
    if where in seen:
        raise ConfigError(f"catalog: 'extends' cycle through {' -> '.join((*seen, where))}")
    spec = models.get(model, {}).get("operations", {}).get(op)
    if spec is None:
        raise ConfigError(f"catalog: 'extends' names unknown operation {where}")
    parent_ref = spec.get("extends")
    if parent_ref is None:
        return dict(spec)
    parent_model, _, parent_op = parent_ref.rpartition("/")
    parent = _resolved(parent_model or model, parent_op, models, (*seen, where))
    own = {k: v for k, v in spec.items() if k not in ("fields", "extends", "without")}
    merged = {**parent, **own}
    dropped = set(spec.get("without", ()))
    inherited = {k: v for k, v in parent.get("fields", {}).items() if k not in dropped}
    merged["fields"] = {**inherited, **spec.get("fields", {})}
    return merged


def _operation(model: str, name: str, spec: dict[str, Any], max_prompt: int) -> Operation:
    where = f"models.{model}.operations.{name}"
    fields = {
        field_name: _field(field_name, field_spec, max_prompt, f"{where}.fields.{field_name}")
        for field_name, field_spec in spec.get("fields", {}).items()
    }
    if "price" not in spec:
        raise ConfigError(f"{where}: no price")
    price = parse_price(spec["price"], f"{where}.price")
    check_price(price, fields, f"{where}.price")
    for field in fields.values():
        for other in field.required_when or {}:
            if other not in fields:
                raise ConfigError(f"{where}.fields.{field.name}: required_when names {other!r}")
    return Operation(
        model=model,
        name=name,
        description=spec.get("description", ""),
        fields=fields,
        price=price,
        typical_seconds=int(spec.get("typical_seconds", 30)),
        upstream_model=spec.get("upstream_model"),
    )


def _field(name: str, spec: dict[str, Any], max_prompt: int, where: str) -> FieldSpec:
    max_length = spec.get("max_length")
    if name == "prompt" and max_length is None:
        max_length = max_prompt
    enum = spec.get("enum")
    when = spec.get("required_when")
    if spec.get("type", "string") not in get_args(FieldType):
        raise ConfigError(f"{where}: type must be one of {get_args(FieldType)}")
    field = FieldSpec(
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
        required_when={k: tuple(v) for k, v in when.items()} if when else None,
    )
    if field.enum is not None and field.default is not None and field.default not in field.enum:
        raise ConfigError(f"{where}: default {field.default!r} is not in its enum")
    if field.type == "image_list" and field.max_items is None:
        raise ConfigError(f"{where}: an image_list needs max_items")
    return field
