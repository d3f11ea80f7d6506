"""Catalog data: prices in atomic units, validation issues naming fields, defaults."""

from __future__ import annotations

import pytest

from studio402.catalog import Catalog, validate_body
from studio402.errors import InvalidRequestError, UnknownModelError

RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(max_prompt_chars=100)


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize(("size", "price"), [("1K", 134000), ("2K", 134000), ("4K", 240000)])
def test_nano_banana_pro_price_table(catalog: Catalog, ratio: str, size: str, price: int) -> None:
    op = catalog.operation("nano-banana-pro", "generate")
    values = validate_body(
        op, f'{{"prompt":"p","aspectRatio":"{ratio}","imageSize":"{size}"}}'.encode()
    )
    assert op.price.amount(values) == price


def test_defaults_are_filled_and_max_price_is_4k(catalog: Catalog) -> None:
    op = catalog.operation("nano-banana-pro", "generate")
    assert validate_body(op, b'{"prompt":"p"}') == {
        "prompt": "p",
        "aspectRatio": "1:1",
        "imageSize": "1K",
    }
    assert op.max_price == 240000
    assert op.type == "nano-banana-pro-generate"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b'{"aspectRatio":"1:1"}', {"prompt"}),
        (b'{"prompt":""}', {"prompt"}),
        (b'{"prompt":"' + b"x" * 101 + b'"}', {"prompt"}),
        (b'{"prompt":"p","imageSize":"1k"}', {"imageSize"}),
        (b'{"prompt":"p","imageSize":4}', {"imageSize"}),
        (b'{"prompt":"p","aspect_ratio":"1:1"}', {"aspect_ratio"}),
        (b'{"prompt":7}', {"prompt"}),
        (b"[]", {"body"}),
        (b"{", {"body"}),
    ],
)
def test_invalid_bodies_name_each_field(catalog: Catalog, body: bytes, fields: set[str]) -> None:
    op = catalog.operation("nano-banana-pro", "generate")
    with pytest.raises(InvalidRequestError) as caught:
        validate_body(op, body)
    assert {issue["field"] for issue in caught.value.issues} == fields


def test_unknown_model_and_operation(catalog: Catalog) -> None:
    with pytest.raises(UnknownModelError, match=r"available: .*nano-banana-pro"):
        catalog.operation("midjourney", "generate")
    with pytest.raises(UnknownModelError, match="has no operation 'upscale'"):
        catalog.operation("nano-banana-pro", "upscale")
