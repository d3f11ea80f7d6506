"""Provider settings and the registry they build: which model runs where."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from studio402.catalog import Catalog
from studio402.errors import ProviderError
from studio402.providers.base import GenerationRequest
from studio402.providers.factory import UnconfiguredProvider, build_adapter
from studio402.providers.local import LocalProvider
from studio402.services import provider_registry
from studio402.settings import Settings


def test_provider_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO402_PROVIDERS__GEMINI__API_KEY", "g-key")
    monkeypatch.setenv("STUDIO402_PROVIDERS__FAL__BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("STUDIO402_PROVIDERS__VERTEX__PROJECT", "my-project")
    settings = Settings(chain={"embedded": False})
    assert settings.providers.gemini.key == "g-key"
    assert "g-key" not in repr(settings.providers.gemini)
    assert settings.providers.fal.base_url == "http://127.0.0.1:9/"
    assert settings.providers.vertex.configured and not settings.providers.openai.configured


def test_provider_keys_come_from_the_toml_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "studio402.toml"
    path.write_text('[providers.bfl]\napi_key = "bfl-key"\nbase_url = "https://api.eu.bfl.ai"\n')
    monkeypatch.setenv("STUDIO402_CONFIG_FILE", str(path))
    settings = Settings(chain={"embedded": False})
    assert settings.providers.bfl.key == "bfl-key"
    assert settings.providers.bfl.base_url == "https://api.eu.bfl.ai"


def test_dev_profile_without_keys_runs_everything_locally() -> None:
    registry = provider_registry(Catalog.load(), Settings(chain={"embedded": False}))
    for model in ("nano-banana-pro", "gpt-image-2", "flux-2-pro", "veo-3.1", "seedance", "grok"):
        provider, _ = registry.resolve(model)
        assert isinstance(provider, LocalProvider), model


def test_a_configured_vendor_gets_its_adapter_and_others_stay_local() -> None:
    settings = Settings(
        chain={"embedded": False}, providers={"openai": {"api_key": "sk"}, "fal": {"api_key": "f"}}
    )
    registry = provider_registry(Catalog.load(), settings)
    assert registry.resolve("gpt-image-2")[0].name == "openai"
    assert registry.resolve("gpt-image-1.5") == (registry.get("openai"), "gpt-image-1.5")
    assert registry.resolve("seedance")[0].name == "fal"
    assert registry.resolve("nano-banana-pro")[0].name == "local"


def test_local_only_ignores_keys() -> None:
    settings = Settings(
        chain={"embedded": False}, providers={"openai": {"api_key": "sk"}, "local_only": True}
    )
    assert provider_registry(Catalog.load(), settings).resolve("gpt-image-2")[0].name == "local"


async def test_refuse_fallback_fails_unconfigured_models() -> None:
    settings = Settings(chain={"embedded": False}, providers={"fallback": "refuse"})
    registry = provider_registry(Catalog.load(), settings)
    provider, upstream = registry.resolve("veo-3.1")
    assert isinstance(provider, UnconfiguredProvider)
    request = GenerationRequest(
        "j",
        "veo-3.1",
        "generate",
        upstream,
        {"prompt": "x"},
        deadline=datetime.now(UTC),
    )
    with pytest.raises(ProviderError) as caught:
        await provider.submit(request)
    assert caught.value.code == "upstream_not_configured" and not caught.value.retryable


@pytest.mark.parametrize("name", ["gemini", "openai", "bfl", "xai", "vertex", "fal"])
async def test_every_vendor_adapter_builds_from_settings(name: str) -> None:
    settings = Settings(chain={"embedded": False}, providers={name: {"api_key": "k"}})
    adapter = build_adapter(name, settings.providers)
    assert adapter.name == name
    await adapter.aclose()  # type: ignore[attr-defined]


def test_unknown_vendor_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        build_adapter("acme", Settings(chain={"embedded": False}).providers)
