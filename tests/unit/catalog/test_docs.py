"""docs/models.md stays true to the catalog: every route, every field, every price range."""

from __future__ import annotations

from pathlib import Path

from studio402.catalog import Catalog

DOC = Path(__file__).resolve().parents[3] / "docs" / "models.md"


def test_models_page_lists_every_route_field_and_price() -> None:
    text = DOC.read_text()
    catalog = Catalog.load()
    for model in catalog.all_models():
        for op in model.operations.values():
            section = text.split(f"### `POST {op.path}`\n", 1)[1].split("\n### ", 1)[0]
            for name in op.fields:
                assert f"| `{name}` |" in section, (op.path, name)
            low, high = op.min_price, op.max_price
            atomic = f"{low}" if low == high else f"{low} to {high}"
            assert f"(atomic units: {atomic})" in section, op.path
        if model.retired:
            assert f"**Retired**: {model.retired_message()}" in text
