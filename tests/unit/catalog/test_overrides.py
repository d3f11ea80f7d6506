"""Operator overrides: markups, absolute prices, disabled models, upstream ids, from settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio402.catalog import Catalog, validate_body
from studio402.errors import ConfigError
from studio402.settings import CatalogSettings, Settings


def price(catalog: Catalog, model: str, operation: str, body: dict[str, object]) -> int:
    op = catalog.operation(model, operation)
    return op.price.amount(validate_body(op, json.dumps(body).encode()))


def test_global_markup_rounds_up_and_moves_the_bounds() -> None:
    catalog = Catalog.load(overrides=CatalogSettings(markup_bps=1000))
    assert price(catalog, "nano-banana-pro", "generate", {"prompt": "p"}) == 147400
    assert catalog.operation("nano-banana-pro", "generate").max_price == 264000
    marked = Catalog.load(overrides=CatalogSettings(markup_bps=1))
    assert price(marked, "grok", "edit", {"prompt": "p", "images": ["https://x.io/a"]}) == 22003


def test_model_and_operation_markups_replace_the_global_one() -> None:
    overrides = CatalogSettings.model_validate(
        {
            "markup_bps": 1000,
            "models": {"grok": {"markup_bps": 5000, "operations": {"edit": {"markup_bps": 0}}}},
        }
    )
    catalog = Catalog.load(overrides=overrides)
    assert price(catalog, "grok", "generate", {"prompt": "p"}) == 105000
    assert price(catalog, "grok", "edit", {"prompt": "p", "images": ["https://x.io/a"]}) == 22000
    assert price(catalog, "nano-banana", "generate", {"prompt": "p"}) == 73700


def test_absolute_price_replaces_the_formula_including_per_image_charges() -> None:
    overrides = CatalogSettings.model_validate(
        {
            "models": {
                "nano-banana-pro": {"operations": {"generate": {"price": {"base": 99000}}}},
                "flux-2-pro": {
                    "operations": {
                        "edit": {
                            "price": {
                                "by": "resolution",
                                "table": {"0.5 MP": 10000, "1 MP": 20000, "2 MP": 40000},
                                "per_item": {"field": "images", "amount": 5000, "free": 1},
                            }
                        }
                    }
                },
            }
        }
    )
    catalog = Catalog.load(overrides=overrides)
    assert (
        price(catalog, "nano-banana-pro", "generate", {"prompt": "p", "imageSize": "4K"}) == 99000
    )
    images = [f"https://x.io/{i}" for i in range(3)]
    assert price(catalog, "flux-2-pro", "edit", {"prompt": "p", "images": images}) == 30000
    edit = catalog.operation("flux-2-pro", "edit")
    assert (edit.min_price, edit.max_price) == (10000, 40000 + 7 * 5000)


def test_disable_model_and_change_upstream_ids() -> None:
    overrides = CatalogSettings.model_validate(
        {
            "models": {
                "grok": {"enabled": False},
                "nano-banana-pro": {"upstream_model": "nano-banana-pro-preview", "provider": "fal"},
            }
        }
    )
    catalog = Catalog.load(overrides=overrides)
    assert "grok" not in catalog.models
    assert not any(op.model == "grok" for op in catalog.operations())
    model = catalog.models["nano-banana-pro"]
    assert (model.provider, model.upstream_model) == ("fal", "nano-banana-pro-preview")


def test_a_retired_model_can_be_brought_back_by_the_operator() -> None:
    catalog = Catalog.load(
        overrides=CatalogSettings.model_validate({"models": {"sora-2": {"retired": False}}})
    )
    assert "sora-2" in catalog.models and "sora-2" not in catalog.retired


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"models": {"dall-e-9": {"enabled": False}}}, "unknown models"),
        (
            {"models": {"grok": {"operations": {"upscale": {"markup_bps": 1}}}}},
            "unknown operations of grok",
        ),
        (
            {"models": {"grok": {"operations": {"generate": {"price": {"base": 1.5}}}}}},
            "non-negative integers",
        ),
        (
            {
                "models": {
                    "grok": {"operations": {"generate": {"price": {"by": "size", "table": {}}}}}
                }
            },
            "must be a field with an enum",
        ),
        ({"models": {"veo-3.1": {"enabled": False}}}, "replacement 'veo-3.1'"),
    ],
)
def test_bad_overrides_are_configuration_errors(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Catalog.load(overrides=CatalogSettings.model_validate(overrides))


def test_overrides_come_from_the_toml_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "studio402.toml"
    config.write_text(
        "[catalog]\nmarkup_bps = 2500\n\n"
        '[catalog.models."gpt-image-1.5"]\nenabled = false\n\n'
        "[catalog.models.nano-banana-pro.operations.generate]\nprice = { base = 150000 }\n"
    )
    monkeypatch.setenv("STUDIO402_CONFIG_FILE", str(config))
    settings = Settings()
    catalog = Catalog.load(overrides=settings.catalog)
    assert "gpt-image-1.5" not in catalog.models
    assert price(catalog, "nano-banana-pro", "generate", {"prompt": "p"}) == 150000
    assert price(catalog, "grok", "generate", {"prompt": "p"}) == 87500


def test_a_whole_replacement_catalog_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(
        '[models.tiny]\nkind = "image"\n[models.tiny.operations.generate]\n'
        '[models.tiny.operations.generate.fields.prompt]\ntype = "string"\nrequired = true\n'
        "[models.tiny.operations.generate.price]\nbase = 1000\n"
    )
    catalog = Catalog.load(overrides=CatalogSettings(path=path))
    assert list(catalog.models) == ["tiny"]
    assert catalog.operation("tiny", "generate").max_price == 1000
