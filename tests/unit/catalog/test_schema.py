"""The loader refuses inconsistent catalog data, naming where the problem is."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio402.catalog import Catalog
from studio402.errors import ConfigError

PROMPT = '[models.m.operations.g.fields.prompt]\ntype = "string"\nrequired = true\n'


def load(tmp_path: Path, text: str) -> Catalog:
    path = tmp_path / "catalog.toml"
    path.write_text(text)
    return Catalog.load(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[models.m]\n", "no operations"),
        ('[models.m]\nkind = "audio"\n[models.m.operations.g.price]\nbase = 1\n', "kind"),
        ("[models.m.operations.g]\n" + PROMPT, "no price"),
        ("[models.m.operations.g.price]\nbase = -1\n", "non-negative"),
        ("[models.m.operations.g.price]\nbase = 1\ncolour = 2\n", "unknown price keys"),
        (
            '[models.m.operations.g.fields.size]\ntype = "string"\nenum = ["a", "b"]\n'
            'default = "a"\n[models.m.operations.g.price]\nby = "size"\ntable = { a = 1 }\n',
            "no price for",
        ),
        (
            '[models.m.operations.g.fields.size]\ntype = "string"\nenum = ["a"]\n'
            '[models.m.operations.g.price]\nby = "size"\ntable = { a = 1 }\n',
            "no price for",
        ),
        (
            '[models.m.operations.g.fields.size]\ntype = "string"\nenum = ["a"]\ndefault = "b"\n'
            "[models.m.operations.g.price]\nbase = 1\n",
            "not in its enum",
        ),
        (
            '[models.m.operations.g.fields.images]\ntype = "image_list"\n'
            "[models.m.operations.g.price]\nbase = 1\n",
            "needs max_items",
        ),
        (
            '[models.m.operations.g.fields.x]\ntype = "blob"\n[models.m.operations.g.price]\n'
            "base = 1\n",
            "type must be one of",
        ),
        (
            '[models.m.operations.g.fields.s]\ntype = "string"\nenum = ["x"]\n'
            '[models.m.operations.g.price]\nbase = 1\nper = "s"\n',
            "'per' field",
        ),
        (
            '[models.m.operations.g.fields.s]\ntype = "string"\nenum = ["x"]\ndefault = "x"\n'
            '[models.m.operations.g.price]\nbase = 1\nper = "s"\n',
            "whole-number",
        ),
        (
            '[models.m.operations.g.fields.i]\ntype = "image"\nrequired_when = { mode = ["a"] }\n'
            "[models.m.operations.g.price]\nbase = 1\n",
            "required_when names 'mode'",
        ),
        ('[models.m.operations.g]\nextends = "h"\n', "unknown operation m/h"),
        (
            '[models.m.operations.g]\nextends = "h"\n[models.m.operations.h]\nextends = "g"\n',
            "cycle",
        ),
        (
            '[models.m]\nretired = true\nreplacement = "n"\n[models.m.operations.g.price]\n'
            "base = 1\n",
            "replacement 'n'",
        ),
        ("[models.m\n", "catalog"),
    ],
)
def test_inconsistent_data_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, text)


def test_extends_inherits_and_without_drops_fields(tmp_path: Path) -> None:
    catalog = load(
        tmp_path,
        PROMPT
        + (
            '[models.m.operations.g.fields.size]\ntype = "string"\nenum = ["1", "2"]\n'
            'default = "1"\n[models.m.operations.g.price]\nper = "size"\nbase = 10\n'
            '[models.m.operations.h]\nextends = "g"\n'
            '[models.n.operations.k]\nextends = "m/g"\nwithout = ["size"]\n'
            "[models.n.operations.k.price]\nbase = 3\n"
        ),
    )
    h = catalog.operation("m", "h")
    assert list(h.fields) == ["prompt", "size"] and (h.min_price, h.max_price) == (10, 20)
    k = catalog.operation("n", "k")
    assert list(k.fields) == ["prompt"] and k.max_price == 3
