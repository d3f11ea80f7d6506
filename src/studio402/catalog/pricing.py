"""Price formulas as data: integer atomic units, never floats.

A price is ``base`` plus one value looked up in each table (keyed by the request's values of the
table's ``by`` fields, joined with ``","``), multiplied by the numeric value of the ``per`` field
(a duration in seconds, say), plus ``per_item.amount`` for every item of a list field beyond the
first ``per_item.free``; then the operator's markup (basis points) is added, rounding up::

    raw = (base + sum of table[key]) * per + per_item.amount * extra_items
    amount = ceil(raw * (10000 + markup_bps) / 10000)

A table entry missing for a reachable combination (or for an absent optional field) falls back to
the table's ``default``; :func:`check_price` refuses a formula where neither exists, so every valid
body has a price and :meth:`Price.bounds` is the exact range of quotes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio402.errors import ConfigError

if TYPE_CHECKING:
    from studio402.catalog.models import FieldSpec

__all__ = ["PerItem", "Price", "PriceTable", "check_price", "parse_price"]

BPS = 10_000


@dataclass(frozen=True)
class PriceTable:
    """Atomic amounts keyed by the values of the ``by`` fields (``"high,1024x1024"``)."""

    by: tuple[str, ...]
    values: Mapping[str, int]
    default: int | None = None

    def lookup(self, body: Mapping[str, Any]) -> int:
        """The amount for ``body``'s values of the ``by`` fields.

        Raises:
            ConfigError: no entry and no default (prevented at load by :func:`check_price`).
        """
        parts = [body.get(name) for name in self.by]
        if all(part is not None for part in parts):
            found = self.values.get(",".join(str(part) for part in parts))
            if found is not None:
                return found
        if self.default is None:
            raise ConfigError(f"no price for {dict(zip(self.by, parts, strict=True))}")
        return self.default

    def to_json(self) -> dict[str, Any]:
        """The table as ``/api/models`` shows it (amounts as atomic strings)."""
        document: dict[str, Any] = {
            "by": list(self.by),
            "values": {key: str(value) for key, value in self.values.items()},
        }
        if self.default is not None:
            document["default"] = str(self.default)
        return document


@dataclass(frozen=True)
class PerItem:
    """A charge for each item of the list ``field`` beyond the first ``free``."""

    field: str
    amount: int
    free: int = 0


@dataclass(frozen=True)
class Price:
    """A price formula (see the module docstring)."""

    base: int = 0
    tables: tuple[PriceTable, ...] = ()
    per: str | None = None
    per_item: PerItem | None = None
    markup_bps: int = 0

    def amount(self, body: Mapping[str, Any]) -> int:
        """The exact price in atomic units of a validated request ``body``."""
        raw = self.base + sum(table.lookup(body) for table in self.tables)
        if self.per is not None:
            raw *= _units(body.get(self.per))
        if self.per_item is not None:
            items = body.get(self.per_item.field) or []
            raw += self.per_item.amount * max(0, len(items) - self.per_item.free)
        return _marked_up(raw, self.markup_bps)

    def bounds(self, fields: Mapping[str, FieldSpec]) -> tuple[int, int]:
        """The lowest and highest price any valid request can be quoted."""
        low = high = self.base
        for table in self.tables:
            amounts = [table.lookup(combo) for combo in _combinations(table, fields)]
            low, high = low + min(amounts), high + max(amounts)
        if self.per is not None:
            units = _unit_range(fields[self.per])
            low, high = low * min(units), high * max(units)
        if self.per_item is not None:
            spec = fields[self.per_item.field]
            fewest = (spec.min_items or 0) if spec.required else 0
            most = spec.max_items or 0
            low += self.per_item.amount * max(0, fewest - self.per_item.free)
            high += self.per_item.amount * max(0, most - self.per_item.free)
        return _marked_up(low, self.markup_bps), _marked_up(high, self.markup_bps)

    def to_json(self) -> dict[str, Any]:
        """The formula as ``/api/models`` shows it."""
        document: dict[str, Any] = {"base": str(self.base)}
        if self.tables:
            document["tables"] = [table.to_json() for table in self.tables]
        if self.per is not None:
            document["per"] = self.per
        if self.per_item is not None:
            document["perItem"] = {
                "field": self.per_item.field,
                "amount": str(self.per_item.amount),
                "free": self.per_item.free,
            }
        if self.markup_bps:
            document["markupBps"] = self.markup_bps
        return document


def parse_price(spec: Mapping[str, Any], where: str) -> Price:
    """Build a :class:`Price` from its TOML table (``base``, ``by``/``table``/``default``
    shorthand for one table, ``tables``, ``per``, ``per_item``, ``markup_bps``).

    Raises:
        ConfigError: unknown keys or values that are not integers.
    """
    allowed = {"base", "by", "table", "default", "tables", "per", "per_item", "markup_bps"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown price keys {unknown}")
    tables = [_table(t, where) for t in spec.get("tables", [])]
    if "by" in spec or "table" in spec:
        tables.insert(
            0, _table({k: spec[k] for k in ("by", "table", "default") if k in spec}, where)
        )
    per_item = spec.get("per_item")
    return Price(
        base=_atomic(spec.get("base", 0), f"{where}.base"),
        tables=tuple(tables),
        per=spec.get("per"),
        per_item=PerItem(
            field=str(per_item["field"]),
            amount=_atomic(per_item["amount"], f"{where}.per_item.amount"),
            free=int(per_item.get("free", 0)),
        )
        if per_item
        else None,
        markup_bps=_atomic(spec.get("markup_bps", 0), f"{where}.markup_bps"),
    )


def check_price(price: Price, fields: Mapping[str, FieldSpec], where: str) -> None:
    """Refuse a formula that names unknown fields or leaves a valid body without a price.

    Raises:
        ConfigError: naming ``where`` and the problem.
    """
    for table in price.tables:
        for name in table.by:
            spec = fields.get(name)
            if spec is None or spec.enum is None:
                raise ConfigError(f"{where}: price field {name!r} must be a field with an enum")
        for combo in _combinations(table, fields):
            try:
                table.lookup(combo)
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from exc
    if price.per is not None:
        spec = fields.get(price.per)
        if spec is None or (not spec.required and spec.default is None):
            raise ConfigError(f"{where}: 'per' field {price.per!r} must be required or defaulted")
        _unit_range(spec)
    if price.per_item is not None:
        spec = fields.get(price.per_item.field)
        if spec is None or spec.max_items is None:
            raise ConfigError(f"{where}: 'per_item' needs a list field with max_items")


def _table(spec: Mapping[str, Any], where: str) -> PriceTable:
    by = spec.get("by")
    names = (by,) if isinstance(by, str) else tuple(by or ())
    if not names or "table" not in spec:
        raise ConfigError(f"{where}: a price table needs 'by' and 'table'")
    values = {str(k): _atomic(v, f"{where}.table.{k}") for k, v in spec["table"].items()}
    default = spec.get("default")
    return PriceTable(names, values, None if default is None else _atomic(default, where))


def _atomic(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: prices are non-negative integers (atomic units)")
    return value


def _combinations(table: PriceTable, fields: Mapping[str, FieldSpec]) -> list[dict[str, Any]]:
    choices: list[list[Any]] = []
    for name in table.by:
        spec = fields[name]
        options: list[Any] = list(spec.enum or ())
        if not spec.required and spec.default is None:
            options.append(None)
        choices.append(options)
    return [dict(zip(table.by, combo, strict=True)) for combo in itertools.product(*choices)]


def _unit_range(spec: FieldSpec) -> list[int]:
    if spec.enum is not None:
        candidates: list[Any] = list(spec.enum)
    else:
        candidates = [spec.minimum, spec.maximum]
    try:
        units = [int(str(value)) for value in candidates]
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"'per' field {spec.name!r} needs whole-number enum values or minimum and maximum"
        ) from exc
    if min(units) < 0:
        raise ConfigError(f"'per' field {spec.name!r} must not be negative")
    return units


def _units(value: Any) -> int:
    return int(str(value))


def _marked_up(amount: int, markup_bps: int) -> int:
    return -(-amount * (BPS + markup_bps) // BPS)
