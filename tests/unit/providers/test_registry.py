"""The provider registry and the protocol's value types."""

from __future__ import annotations

import pytest

from studio402.catalog import Catalog
from studio402.errors import ConfigError, ProviderUnavailableError
from studio402.providers.base import Output, PollResult, Submission, UpstreamStatus
from studio402.providers.local import LocalProvider
from studio402.providers.registry import ProviderRegistry, Route


class NamedProvider(LocalProvider):
    def __init__(self, name: str) -> None:
        self.name = name


def test_dev_profile_routes_every_model_to_local() -> None:
    local = LocalProvider()
    registry = ProviderRegistry.from_catalog(Catalog.load(), [local], route_all_to="local")

    assert registry.resolve("nano-banana-pro") == (local, "gemini-3-pro-image")
    assert registry.resolve("not-in-catalog") == (local, "not-in-catalog")


VENDORS = ("bfl", "fal", "gemini", "openai", "vertex", "xai")


def test_routes_follow_the_catalog_provider() -> None:
    vendors = {name: NamedProvider(name) for name in VENDORS}
    local = LocalProvider()
    registry = ProviderRegistry.from_catalog(Catalog.load(), [*vendors.values(), local])

    assert registry.resolve("nano-banana-pro") == (vendors["gemini"], "gemini-3-pro-image")
    assert registry.get("local") is local
    assert registry.names == sorted([*VENDORS, "local"])
    with pytest.raises(ConfigError, match="no provider route for model 'unknown'"):
        registry.resolve("unknown")


def test_missing_or_duplicate_providers_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="no provider registered for bfl, fal, gemini"):
        ProviderRegistry.from_catalog(Catalog.load(), [LocalProvider()])
    with pytest.raises(ConfigError, match="two providers"):
        ProviderRegistry([LocalProvider(), LocalProvider()])
    with pytest.raises(ConfigError, match="no provider named 'fal'"):
        ProviderRegistry([LocalProvider()], {"m": Route("local", "m")}).get("fal")


def test_submission_and_poll_result_must_be_consistent() -> None:
    image = Output(data=b"png", content_type="image/png", kind="image", width=1, height=1)
    assert Submission(outputs=(image,)).done
    assert not Submission(handle="abc").done
    with pytest.raises(ValueError):
        Submission()
    with pytest.raises(ValueError):
        Submission(handle="abc", outputs=(image,))
    with pytest.raises(ValueError):
        PollResult(UpstreamStatus.COMPLETE)
    with pytest.raises(ValueError):
        PollResult(UpstreamStatus.FAILED)
    failed = PollResult(UpstreamStatus.FAILED, error=ProviderUnavailableError())
    assert failed.error is not None and failed.error.retryable
