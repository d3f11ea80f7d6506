"""Every documented route is in the catalog, with StableStudio's fields and documented prices."""

from __future__ import annotations

import json
from typing import Any

import pytest

from studio402.catalog import Catalog, Operation, validate_body

from .documented import BASES, PRICES, RANGES, RETIRED, bodies


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def _op(catalog: Catalog, route: str) -> Operation:
    model, _, operation = route.partition("/")
    return catalog.models[model].operations[operation]


def _enums(op: Operation) -> dict[str, tuple[str, ...] | None]:
    return {name: spec.enum for name, spec in op.fields.items()}


def _optional(op: Operation) -> frozenset[str]:
    return frozenset(n for n, s in op.fields.items() if not s.required and s.default is None)


def test_the_catalog_sells_exactly_the_documented_routes(catalog: Catalog) -> None:
    selling = {f"{op.model}/{op.name}" for op in catalog.operations()}
    assert selling == set(PRICES)
    retired = {f"{m.name}/{op.name}" for m, op in catalog.retired_operations()}
    assert retired == set(RETIRED)


@pytest.mark.parametrize("route", sorted(PRICES))
def test_every_priced_combination_quotes_the_documented_price(catalog: Catalog, route: str) -> None:
    op = _op(catalog, route)
    checked = 0
    for body in bodies(route, _enums(op), _optional(op)):
        values = validate_body(op, json.dumps(body).encode())
        assert op.price.amount(values) == PRICES[route](values), body
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("route", sorted(RANGES))
def test_min_and_max_prices_match_the_documented_range(catalog: Catalog, route: str) -> None:
    op = _op(catalog, route)
    assert (op.min_price, op.max_price) == RANGES[route]


@pytest.mark.parametrize("route", sorted(BASES))
def test_defaults_fill_in_and_the_base_body_is_valid(catalog: Catalog, route: str) -> None:
    op = _op(catalog, route)
    values = validate_body(op, json.dumps(BASES[route]).encode())
    for name, spec in op.fields.items():
        if spec.default is not None and name not in BASES[route]:
            assert values[name] == spec.default


@pytest.mark.parametrize(
    ("route", "fields"),
    [
        ("nano-banana-pro/generate", {"aspectRatio", "imageSize"}),
        ("nano-banana/generate", {"aspectRatio", "imageSize", "thinkingLevel"}),
        ("gpt-image-2/generate", {"quality", "size", "background", "output_format", "moderation"}),
        ("gpt-image-1.5/edit", {"images", "input_fidelity", "background", "output_format"}),
        (
            "flux-2-pro/generate",
            {
                "aspect_ratio",
                "resolution",
                "output_format",
                "safety_tolerance",
                "prompt_upsampling",
            },
        ),
        ("flux-2-max/generate", {"resolution", "output_quality"}),
        ("grok/generate", {"aspect_ratio"}),
        (
            "veo-3.1/generate",
            {
                "durationSeconds",
                "aspectRatio",
                "resolution",
                "negativePrompt",
                "imageMode",
                "image",
                "lastFrame",
                "referenceImages",
            },
        ),
        ("grok-video/generate", {"duration", "resolution", "aspect_ratio", "image"}),
        ("seedance/t2v", {"duration", "aspectRatio", "outputResolution", "upscaleResolution"}),
        ("seedance/i2v", {"image"}),
        (
            "wan-2.6/t2v",
            {
                "duration",
                "size",
                "negativePrompt",
                "audioUrl",
                "seed",
                "enablePromptExpansion",
                "multiShots",
            },
        ),
        ("wan-2.6/i2v", {"image", "resolution", "duration"}),
    ],
)
def test_field_names_keep_stablestudios_casing(
    catalog: Catalog, route: str, fields: set[str]
) -> None:
    assert fields <= set(_op(catalog, route).fields)


def test_durations_and_sizes_are_strings_and_wan_uses_asterisks(catalog: Catalog) -> None:
    for route, name in [
        ("veo-3.1/generate", "durationSeconds"),
        ("grok-video/generate", "duration"),
        ("seedance/t2v", "duration"),
        ("wan-2.6/t2v", "duration"),
    ]:
        spec = _op(catalog, route).fields[name]
        assert spec.type == "string" and all(v.isdigit() for v in spec.enum or ())
    assert _op(catalog, "wan-2.6/t2v").fields["size"].enum == (
        "1280*720",
        "720*1280",
        "1920*1080",
        "1080*1920",
    )
    assert "size" not in _op(catalog, "wan-2.6/i2v").fields
    assert _op(catalog, "seedance-fast/t2v").fields["outputResolution"].enum == ("480p", "720p")


@pytest.mark.parametrize(
    ("route", "field", "low", "high"),
    [
        ("nano-banana-pro/edit", "images", 1, 14),
        ("nano-banana/edit", "images", 1, 14),
        ("flux-2-pro/edit", "images", 1, 8),
        ("flux-2-max/edit", "images", 1, 10),
        ("gpt-image-2/edit", "images", 1, 16),
        ("grok/edit", "images", 1, 3),
        ("veo-3.1/generate", "referenceImages", 1, 3),
    ],
)
def test_reference_image_limits(
    catalog: Catalog, route: str, field: str, low: int, high: int
) -> None:
    spec = _op(catalog, route).fields[field]
    assert spec.type == "image_list" and (spec.min_items, spec.max_items) == (low, high)


@pytest.mark.parametrize("route", ["seedance/i2v", "seedance-fast/i2v", "wan-2.6/i2v"])
def test_i2v_routes_need_their_image(catalog: Catalog, route: str) -> None:
    spec = _op(catalog, route).fields["image"]
    assert spec.type == "image" and spec.required


@pytest.mark.parametrize(
    ("model", "provider", "upstream"),
    [
        ("nano-banana-pro", "gemini", "gemini-3-pro-image"),
        ("nano-banana", "gemini", "gemini-3.1-flash-image"),
        ("gpt-image-2", "openai", "gpt-image-2"),
        ("gpt-image-1.5", "openai", "gpt-image-1.5"),
        ("flux-2-pro", "bfl", "flux-2-pro"),
        ("flux-2-max", "bfl", "flux-2-max"),
        ("grok", "xai", "grok-imagine-image"),
        ("grok-video", "xai", "grok-imagine-video"),
        ("veo-3.1", "vertex", "veo-3.1-generate-001"),
        ("veo-3.1-fast", "vertex", "veo-3.1-fast-generate-001"),
        ("seedance", "fal", "bytedance/seedance-2.0"),
        ("seedance-fast", "fal", "bytedance/seedance-2.0/fast"),
        ("wan-2.6", "fal", "wan/v2.6"),
    ],
)
def test_upstream_provider_and_model_ids(
    catalog: Catalog, model: str, provider: str, upstream: str
) -> None:
    found = catalog.models[model]
    assert (found.provider, found.upstream_model) == (provider, upstream)


def test_fal_operations_name_their_own_endpoints(catalog: Catalog) -> None:
    assert _op(catalog, "seedance/i2v").upstream_model == "bytedance/seedance-2.0/image-to-video"
    assert _op(catalog, "wan-2.6/t2v").upstream_model == "wan/v2.6/text-to-video"


def test_veo_frames_are_required_by_image_mode(catalog: Catalog) -> None:
    from studio402.errors import InvalidRequestError

    op = _op(catalog, "veo-3.1/generate")
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"imageMode": "first-frame"}, {"image"}),
        ({"imageMode": "interpolation"}, {"image", "lastFrame"}),
        ({"imageMode": "reference"}, {"referenceImages"}),
    ]
    for extra, fields in cases:
        with pytest.raises(InvalidRequestError) as caught:
            validate_body(op, json.dumps({"prompt": "p", **extra}).encode())
        assert {i["field"] for i in caught.value.issues} == fields
    body = {"prompt": "p", "imageMode": "interpolation", "image": "data:,", "lastFrame": "data:,"}
    assert validate_body(op, json.dumps(body).encode())["imageMode"] == "interpolation"


def test_retired_models_name_their_replacement(catalog: Catalog) -> None:
    for route, replacement in RETIRED.items():
        model = catalog.retired[route.partition("/")[0]]
        assert model.retired and model.replacement == replacement
        assert replacement in model.retired_message() and "2026-09-24" in model.retired_message()
