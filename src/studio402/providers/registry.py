"""Which provider instance runs which model.

The registry holds provider instances by name (the catalog's ``provider`` field: ``gemini``,
``local``, ...) and a route per model: the provider's name and the upstream model id. The dev
profile routes every model to ``local``. Instances are passed in; nothing is built here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio402.catalog import Catalog
from studio402.errors import ConfigError, ModelUnavailableError, UnsupportedOptionsError
from studio402.providers.base import Provider, UnsupportedRequestError

__all__ = ["ProviderRegistry", "Route"]


@dataclass(frozen=True, slots=True)
class Route:
    """Where one model's jobs go: a provider name and that provider's model id."""

    provider: str
    upstream_model: str


class ProviderRegistry:
    """Provider instances by name, and a route for each model."""

    def __init__(
        self,
        providers: Iterable[Provider],
        routes: Mapping[str, Route] | None = None,
        *,
        route_all_to: str | None = None,
    ) -> None:
        """Register ``providers`` (names must be unique) and per-model ``routes``.

        With ``route_all_to``, every model goes to that provider whatever its route says (the
        dev profile passes ``"local"``); the route's upstream model id is still reported.

        Raises:
            ConfigError: two providers share a name, or a route names a provider not given.
        """
        self._providers: dict[str, Provider] = {}
        for provider in providers:
            if provider.name in self._providers:
                raise ConfigError(f"two providers are named {provider.name!r}")
            self._providers[provider.name] = provider
        self._routes = dict(routes or {})
        self._route_all_to = route_all_to
        needed = {route_all_to} if route_all_to else {r.provider for r in self._routes.values()}
        missing = sorted(needed - self._providers.keys())
        if missing:
            raise ConfigError(f"no provider registered for {', '.join(missing)}")

    @classmethod
    def from_catalog(
        cls, catalog: Catalog, providers: Iterable[Provider], *, route_all_to: str | None = None
    ) -> ProviderRegistry:
        """Route each catalog model to its ``provider`` and ``upstream_model``.

        Raises:
            ConfigError: a model's provider is not among ``providers`` (and ``route_all_to`` is
                not set).
        """
        routes = {
            name: Route(model.provider, model.upstream_model)
            for name, model in catalog.models.items()
        }
        return cls(providers, routes, route_all_to=route_all_to)

    @property
    def names(self) -> list[str]:
        """The registered provider names, sorted."""
        return sorted(self._providers)

    def get(self, name: str) -> Provider:
        """The provider registered as ``name``.

        Raises:
            ConfigError: no such provider.
        """
        provider = self._providers.get(name)
        if provider is None:
            raise ConfigError(f"no provider named {name!r}; registered: {', '.join(self.names)}")
        return provider

    def check(self, model: str, operation: str, values: dict[str, Any]) -> None:
        """Refuse, before any payment, a request this server cannot run.

        Raises:
            ModelUnavailableError: the model's vendor has no key configured here.
            UnsupportedOptionsError: the provider cannot run these options.
        """
        provider, upstream_model = self.resolve(model)
        if provider.name == "unconfigured":
            raise ModelUnavailableError(
                f"model {model!r} is not available on this server (no upstream configured)"
            )
        check = getattr(provider, "check", None)
        if check is None:
            return
        try:
            check(operation, upstream_model, values)
        except UnsupportedRequestError as exc:
            raise UnsupportedOptionsError(exc.message) from exc

    def route(self, model: str) -> Route | None:
        """The route of ``model`` as configured (None when it has none)."""
        if self._route_all_to is not None:
            found = self._routes.get(model)
            return Route(self._route_all_to, found.upstream_model if found else model)
        return self._routes.get(model)

    async def aclose(self) -> None:
        """Close every provider that holds connections (those with an ``aclose`` method)."""
        for provider in self._providers.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    def resolve(self, model: str) -> tuple[Provider, str]:
        """The provider instance and upstream model id that run ``model``.

        A model without a route still resolves under ``route_all_to`` (its upstream id is then
        the model name itself).

        Raises:
            ConfigError: the model has no route and nothing catches all models.
        """
        route = self._routes.get(model)
        if self._route_all_to is not None:
            upstream = route.upstream_model if route else model
            return self.get(self._route_all_to), upstream
        if route is None:
            raise ConfigError(f"no provider route for model {model!r}")
        return self.get(route.provider), route.upstream_model
