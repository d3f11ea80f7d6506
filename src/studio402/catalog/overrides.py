"""Operator overrides (``Settings.catalog``) applied to the catalog's data before it is built.

Overrides are patches on the TOML data, so an overridden catalog goes through exactly the checks
the bundled one does. A name that matches no model or operation is a :class:`ConfigError`: a typo
must not silently leave a price unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

from studio402.errors import ConfigError
from studio402.settings import CatalogSettings

__all__ = ["apply_overrides"]

_MODEL_KEYS = ("enabled", "provider", "upstream_model", "retired", "replacement")


def apply_overrides(data: dict[str, Any], overrides: CatalogSettings) -> dict[str, Any]:
    """Return a copy of the catalog ``data`` with ``overrides`` applied.

    Markups do not stack: the global ``markup_bps`` applies to every operation without a model
    or operation markup; a model's markup replaces the global one for its operations, and an
    operation's markup replaces both. An operation's ``price`` replaces its whole formula and is
    final (no inherited markup; the operation's own ``markup_bps`` still applies).

    Raises:
        ConfigError: an override names a model or operation that does not exist.
    """
    patched = copy.deepcopy(data)
    models: dict[str, Any] = patched.setdefault("models", {})
    unknown = sorted(set(overrides.models) - set(models))
    if unknown:
        raise ConfigError(
            f"catalog overrides name unknown models {unknown}; known: {', '.join(sorted(models))}"
        )
    for name, spec in models.items():
        override = overrides.models.get(name)
        model_markup = overrides.markup_bps
        if override is not None:
            for key in _MODEL_KEYS:
                value = getattr(override, key)
                if value is not None:
                    spec[key] = value
            if override.markup_bps is not None:
                model_markup = override.markup_bps
        operations: dict[str, Any] = spec.setdefault("operations", {})
        op_overrides = override.operations if override is not None else {}
        missing = sorted(set(op_overrides) - set(operations))
        if missing:
            raise ConfigError(f"catalog overrides name unknown operations of {name}: {missing}")
        for op_name, op_spec in operations.items():
            op_override = op_overrides.get(op_name)
            markup = model_markup
            if op_override is not None and op_override.price is not None:
                op_spec["price"] = copy.deepcopy(op_override.price)
                markup = 0  # an absolute price is final, unless it sets its own markup
            if op_override is not None and op_override.markup_bps is not None:
                op_spec.setdefault("price", {})["markup_bps"] = op_override.markup_bps
            elif markup:
                op_spec.setdefault("price", {}).setdefault("markup_bps", markup)
    return patched
